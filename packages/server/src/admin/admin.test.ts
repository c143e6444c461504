import { request as httpRequest } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  gatewayYaml,
  parsePrometheus,
  seedYaml,
  serviceEntryYaml,
  sum,
  virtualServiceYaml,
} from '../test/admin.js'
import { http1, startUpstream, type Upstream } from '../test/config.js'
import { type AdminServer, isLoopback, startAdmin } from './admin.js'
import { createManagedGateway, type ManagedGateway } from './managed.js'

interface Answer {
  readonly status: number
  readonly type: string | undefined
  readonly body: string
}

function call(
  port: number,
  method: string,
  path: string,
  body?: string,
  extra: Readonly<Record<string, string>> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          ...(body === undefined
            ? {}
            : { 'content-type': 'application/yaml', 'content-length': String(Buffer.byteLength(body)) }),
          ...extra,
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: res.headers['content-type'],
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

let upstream: Upstream
let gw: ManagedGateway
let admin: AdminServer

beforeEach(async () => {
  upstream = await startUpstream('httpbin')
  gw = await createManagedGateway({ ports: { 80: 0 } })
  admin = await startAdmin(gw, { port: 0 })
})
afterEach(async () => {
  await admin.close()
  await gw.close()
  await upstream.close()
})

describe('admin endpoint', () => {
  it('listens on loopback and refuses a non-loopback address unless asked', async () => {
    expect(admin.address.address).toBe('127.0.0.1')
    await expect(startAdmin(gw, { host: '0.0.0.0', port: 0 })).rejects.toThrow(/allowRemote/)
    expect(isLoopback('127.0.0.1')).toBe(true)
    expect(isLoopback('::1')).toBe(true)
    expect(isLoopback('10.0.0.1')).toBe(false)
  })

  it('answers /ready with 200 while serving, 503 when failed by hand and once draining', async () => {
    expect(await call(admin.address.port, 'GET', '/ready')).toMatchObject({ status: 200, body: 'LIVE\n' })
    expect((await call(admin.address.port, 'POST', '/healthcheck/fail', '')).status).toBe(200)
    expect((await call(admin.address.port, 'GET', '/ready')).status).toBe(503)
    expect((await call(admin.address.port, 'POST', '/healthcheck/ok', '')).status).toBe(200)
    expect((await call(admin.address.port, 'GET', '/ready')).status).toBe(200)
    await gw.close()
    expect((await call(admin.address.port, 'GET', '/ready')).status).toBe(503)
  })

  it('creates, refuses, replaces and deletes through POST / PUT / DELETE with YAML bodies', async () => {
    const port = admin.address.port
    const created = await call(port, 'POST', '/config', seedYaml(upstream.port))
    expect(created.status).toBe(200)
    expect(created.type).toBe('application/json')
    const outcome = JSON.parse(created.body) as {
      ok: boolean
      version: number
      changes: { action: string }[]
    }
    expect(outcome.ok).toBe(true)
    expect(outcome.changes.map((c) => c.action)).toEqual(['created', 'created', 'created'])
    expect((await http1(gw.addresses[80]!.port, '/status/200')).status).toBe(200)

    const again = await call(port, 'POST', '/config', gatewayYaml(['http']))
    expect(again.status).toBe(422)
    expect(JSON.parse(again.body)).toMatchObject({
      ok: false,
      diagnostics: [{ code: 'PTC4200', severity: 'error' }],
    })

    const replaced = await call(
      port,
      'PUT',
      '/config',
      virtualServiceYaml(['/status', '/delay', '/anything']),
    )
    expect(JSON.parse(replaced.body)).toMatchObject({ ok: true, version: outcome.version + 1 })
    expect((await http1(gw.addresses[80]!.port, '/anything')).status).toBe(200)

    const applied = await call(port, 'POST', '/config/apply', serviceEntryYaml(upstream.port))
    expect(JSON.parse(applied.body)).toMatchObject({ ok: true, changes: [{ action: 'unchanged' }] })

    const deleted = await call(port, 'DELETE', '/config/gw/httpbin-gateway')
    expect(JSON.parse(deleted.body)).toMatchObject({
      ok: true,
      changes: [
        { action: 'deleted', resource: { kind: 'Gateway', name: 'httpbin-gateway', namespace: 'default' } },
      ],
    })
    expect(gw.addresses[80]).toBeUndefined()
    const gone = await call(port, 'DELETE', '/config/gateway/httpbin-gateway')
    expect(gone.status).toBe(422)
    expect(JSON.parse(gone.body).diagnostics[0].code).toBe('PTC4202')
    const byBody = await call(port, 'DELETE', '/config', virtualServiceYaml())
    expect(JSON.parse(byBody.body)).toMatchObject({ ok: true, changes: [{ action: 'deleted' }] })
  })

  it('answers a YAML syntax error with 422 and its position', async () => {
    const answer = await call(admin.address.port, 'POST', '/config?file=bad.yaml', 'kind: Gateway\nspec: [\n')
    expect(answer.status).toBe(422)
    const outcome = JSON.parse(answer.body) as { diagnostics: { source?: { file: string; line: number } }[] }
    expect(outcome.diagnostics[0]?.source).toMatchObject({ file: 'bad.yaml' })
  })

  it('dumps the config (Secret values redacted), the routes and the metrics', async () => {
    const port = admin.address.port
    const secret = `apiVersion: v1
kind: Secret
metadata: { name: creds, namespace: istio-system }
type: kubernetes.io/tls
stringData: { tls.crt: "CERTDATA", tls.key: "KEYDATA" }
`
    expect(
      JSON.parse((await call(port, 'POST', '/config', `${seedYaml(upstream.port)}---\n${secret}`)).body).ok,
    ).toBe(true)
    await http1(gw.addresses[80]!.port, '/status/200')
    await http1(gw.addresses[80]!.port, '/status/418')
    const dump = await call(port, 'GET', '/config_dump')
    expect(dump.status).toBe(200)
    expect(dump.body).not.toContain('KEYDATA')
    const parsed = JSON.parse(dump.body) as {
      version: number
      resources: { kind: string; stringData?: Record<string, string> }[]
      listeners: { port: number; listenPort: number }[]
      compiled: { listeners: { name: string }[] }
    }
    expect(parsed.version).toBe(gw.version)
    expect(parsed.resources.map((r) => r.kind)).toEqual([
      'Gateway',
      'VirtualService',
      'ServiceEntry',
      'Secret',
    ])
    expect(parsed.resources[3]?.stringData).toEqual({ 'tls.crt': '[redacted]', 'tls.key': '[redacted]' })
    expect(parsed.listeners).toEqual([
      expect.objectContaining({ port: 80, listenPort: gw.addresses[80]!.port }),
    ])
    expect(parsed.compiled.listeners.map((l) => l.name)).toEqual(['http.80'])

    const routes = await call(port, 'GET', '/routes')
    expect(routes.body).toContain('http.80')
    expect(routes.body).toContain('outbound|8000||httpbin.default.svc.cluster.local')

    const stats = await call(port, 'GET', '/stats/prometheus')
    expect(stats.type).toMatch(/^text\/plain; version=0\.0\.4/)
    const { samples } = parsePrometheus(stats.body)
    expect(sum(samples, 'istio_requests_total', { response_code: '200' })).toBe(1)
    expect(sum(samples, 'istio_requests_total', { response_code: '418' })).toBe(1)
  })

  it('takes Gateway API resources mixed with Istio kinds and reports their status', async () => {
    const port = admin.address.port
    const gatewayApi = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: web }
spec:
  gatewayClassName: istio
  listeners: [{ name: http, port: 80, protocol: HTTP, hostname: gwapi.example.com }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web }
spec:
  parentRefs: [{ name: web }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /status } }], backendRefs: [{ name: echo, port: 8000 }] }]
---
apiVersion: v1
kind: Service
metadata: { name: echo }
spec: { ports: [{ name: http, port: 8000 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: echo-1, labels: { kubernetes.io/service-name: echo } }
addressType: IPv4
endpoints: [{ addresses: [127.0.0.1] }]
ports: [{ name: http, port: ${upstream.port} }]
`
    const applied = await call(port, 'POST', '/config/apply', `${seedYaml(upstream.port)}---\n${gatewayApi}`)
    expect(JSON.parse(applied.body).ok).toBe(true)
    const status = JSON.parse((await call(port, 'GET', '/gateway_api_status')).body) as {
      gateways: { gateway: { name: string }; listeners: { attachedRoutes: number }[] }[]
      routes: { parents: { conditions: { type: string; status: string }[] }[] }[]
    }
    expect(status.gateways[0]?.listeners[0]?.attachedRoutes).toBe(1)
    // One port, two APIs: the Istio Gateway's host and the Gateway API listener's host.
    const gwPort = gw.addresses[80]!.port
    expect((await http1(gwPort, '/status/201', { host: 'gwapi.example.com' })).status).toBe(201)
    expect((await http1(gwPort, '/headers', { host: 'gwapi.example.com' })).status).toBe(404)
    expect((await http1(gwPort, '/status/200')).status).toBe(200)
    expect(status.routes[0]?.parents[0]?.conditions.every((c) => c.status === 'True')).toBe(true)
    expect((await call(port, 'GET', '/gateway_api_status?format=text')).body).toContain(
      'HTTPRoute default/web',
    )
  })

  it('answers unknown pages with 404 and wrong methods with 405', async () => {
    expect((await call(admin.address.port, 'GET', '/nope')).status).toBe(404)
    expect((await call(admin.address.port, 'GET', '/config')).status).toBe(404)
    expect((await call(admin.address.port, 'POST', '/ready', 'x')).status).toBe(404)
  })
})

describe("requests a web page in the operator's browser could send", () => {
  it('answers loopback names and IP addresses, and refuses any other Host with 403 and a reason', async () => {
    const port = admin.address.port
    const before = gw.version
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'localhost']) {
      expect((await call(port, 'GET', '/ready', undefined, { host })).status, host).toBe(200)
    }
    // What a page at http://rebind.example:<port>/ sends once its name points at 127.0.0.1.
    for (const path of ['/', '/config_dump', '/stats/prometheus', '/ready']) {
      const refused = await call(port, 'GET', path, undefined, { host: `rebind.example:${port}` })
      expect(refused.status, path).toBe(403)
      expect(JSON.parse(refused.body).error).toMatch(
        /does not answer for host "rebind\.example".*--admin-allowed-hosts rebind\.example/,
      )
    }
    const write = await call(port, 'POST', '/config/apply', seedYaml(upstream.port), {
      host: 'rebind.example',
    })
    expect(write.status).toBe(403)
    expect(gw.version).toBe(before)
    expect(gw.snapshot.resources).toEqual([])
  })

  it('refuses a change sent by a page of another origin, and takes one from its own origin', async () => {
    const port = admin.address.port
    const before = gw.version
    const host = `127.0.0.1:${port}`
    const foreign = await call(port, 'POST', '/config/apply', seedYaml(upstream.port), {
      host,
      origin: 'http://127.0.0.1:3000',
    })
    expect(foreign.status).toBe(403)
    expect(JSON.parse(foreign.body).error).toContain('another origin (http://127.0.0.1:3000)')
    expect((await call(port, 'POST', '/healthcheck/fail', '', { host, origin: 'null' })).status).toBe(403)
    expect((await call(port, 'GET', '/ready')).status).toBe(200)
    expect(gw.version).toBe(before)
    const own = await call(port, 'POST', '/config/apply', seedYaml(upstream.port), {
      host,
      origin: `http://${host}`,
    })
    expect(own.status).toBe(200)
    expect(gw.version).toBe(before + 1)
  })

  it('answers the names given in allowedHosts, or every name with all', async () => {
    const named = await startAdmin(gw, { port: 0, allowedHosts: ['admin.example.com', '.corp.example'] })
    const open = await startAdmin(gw, { port: 0, allowedHosts: 'all' })
    try {
      const at = named.address.port
      expect((await call(at, 'GET', '/ready', undefined, { host: 'admin.example.com:15000' })).status).toBe(
        200,
      )
      expect((await call(at, 'GET', '/ready', undefined, { host: 'gw7.corp.example' })).status).toBe(200)
      expect((await call(at, 'GET', '/ready', undefined, { host: 'other.example.com' })).status).toBe(403)
      expect(
        (await call(open.address.port, 'GET', '/ready', undefined, { host: 'any.example' })).status,
      ).toBe(200)
    } finally {
      await named.close()
      await open.close()
    }
  })
})

describe('admin page and its read-only endpoints', () => {
  it('serves one self-contained HTML page with a strict Content-Security-Policy', async () => {
    await gw.create(seedYaml(upstream.port))
    const res = await fetch(`http://127.0.0.1:${admin.address.port}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'sha256-/)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    const html = await res.text()
    expect(html).toContain('uri prefix &#34;/status&#34;')
    expect(html).not.toMatch(/<(link|img|iframe)\b|src="http|href="http/)
  })

  it('counts requests per route and per cluster in /stats/traffic', async () => {
    await gw.create(seedYaml(upstream.port))
    const traffic = async () =>
      (await (await fetch(`http://127.0.0.1:${admin.address.port}/stats/traffic`)).json()) as {
        routes: { routeConfig: string; routeName: string; requests: number; status4xx: number }[]
        clusters: { cluster: string; requests: number }[]
      }
    expect((await traffic()).routes).toEqual([])
    expect((await http1(gw.addresses[80]!.port, '/status/200')).status).toBe(200)
    expect((await http1(gw.addresses[80]!.port, '/status/404')).status).toBe(404)
    const after = await traffic()
    expect(after.routes).toEqual([
      expect.objectContaining({ routeConfig: 'http.80', routeName: 'httpbin.0', requests: 2, status4xx: 1 }),
    ])
    expect(after.clusters).toEqual([
      expect.objectContaining({ cluster: 'outbound|8000||httpbin.default.svc.cluster.local', requests: 2 }),
    ])
  })

  it('explains a request as portico routes --explain does, and changes nothing doing it', async () => {
    await gw.create(seedYaml(upstream.port))
    const version = gw.version
    const q = new URLSearchParams({ method: 'GET', url: 'http://httpbin.example.com/headers' })
    const res = await call(admin.address.port, 'GET', `/explain?${q}`)
    expect(res.status).toBe(200)
    expect(res.body).toMatch(/decision +404 \(no-route\)/)
    const bad = await call(admin.address.port, 'GET', '/explain?url=/relative')
    expect(bad.status).toBe(400)
    expect((await call(admin.address.port, 'POST', '/explain', '')).status).toBe(404)
    expect((await call(admin.address.port, 'POST', '/', '')).status).toBe(404)
    expect(gw.version).toBe(version)
  })

  it('explains the security filters before the route, as the gateway runs them', async () => {
    await gw.create(`${seedYaml(upstream.port)}---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-status, namespace: istio-system }
spec:
  action: DENY
  rules:
  - to: [{ operation: { paths: ["/status/418"] } }]
`)
    const explainOf = async (url: string) =>
      (await call(admin.address.port, 'GET', `/explain?${new URLSearchParams({ method: 'GET', url })}`)).body
    const denied = await explainOf('http://httpbin.example.com/status/418')
    expect(denied).toMatch(/authz +denied by istio-system\/deny-status rules\[0\]/)
    expect(denied).toMatch(/decision +403 "RBAC: access denied" \(rbac\)/)
    const allowed = await explainOf('http://httpbin.example.com/status/200')
    expect(allowed).toMatch(/authz +/)
    expect(allowed).toMatch(/decision +route/)
  })

  it('keeps the change history with the last refused change and its diagnostics', async () => {
    await gw.create(seedYaml(upstream.port))
    await gw.create(gatewayYaml(['http']))
    const history = JSON.parse((await call(admin.address.port, 'GET', '/config_history')).body) as {
      entries: { operation: string; ok: boolean }[]
      lastRefused: { diagnostics: { code: string }[] } | null
    }
    expect(history.entries.map((e) => [e.operation, e.ok])).toEqual([
      ['start', true],
      ['create', true],
      ['create', false],
    ])
    expect(history.lastRefused?.diagnostics[0]?.code).toBe('PTC4200')
    const vs = await call(
      admin.address.port,
      'GET',
      '/resource?namespace=default&name=httpbin&kind=VirtualService',
    )
    expect(JSON.parse(vs.body)).toMatchObject([{ kind: 'VirtualService', metadata: { name: 'httpbin' } }])
  })
})
