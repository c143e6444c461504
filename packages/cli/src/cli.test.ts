import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commandNames, main } from './cli.js'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs the CLI in-process with captured streams. */
async function run(
  argv: string[],
  options: { stdin?: string; cwd?: string; signal?: AbortSignal } = {},
): Promise<Run> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (c: Buffer) => {
    out += c.toString()
  })
  stderr.on('data', (c: Buffer) => {
    err += c.toString()
  })
  const code = await main(argv, {
    stdout,
    stderr,
    stdin: Readable.from([options.stdin ?? '']),
    cwd: options.cwd ?? repoRoot,
    ...(options.signal ? { signal: options.signal } : {}),
  })
  return { code, stdout: out, stderr: err }
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portico-cli-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('portico (no command)', () => {
  it('prints help and exits 2 without a command', async () => {
    const r = await run([])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('usage: portico <command>')
  })
  it('prints the version of the package with --version', async () => {
    const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string
    }
    for (const flag of ['--version', '-V']) {
      const r = await run([flag])
      expect(r.code).toBe(0)
      expect(r.stdout).toBe(`${version}\n`)
    }
  })
  it('prints a usage line and a summary for every command with --help, -h and help <command>', async () => {
    expect(commandNames).toContain('routes')
    for (const name of commandNames) {
      for (const argv of [
        [name, '--help'],
        [name, '-h'],
        ['help', name],
      ]) {
        const r = await run(argv)
        expect(r.code, argv.join(' ')).toBe(0)
        expect(r.stderr).toBe('')
        expect(r.stdout).toMatch(new RegExp(`^usage: portico ${name}\\b`))
        expect(r.stdout.trim().split('\n').length).toBeGreaterThan(2)
      }
    }
  })
  it('exits 2 for an unknown command', async () => {
    const r = await run(['frobnicate'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('unknown command "frobnicate"')
  })
})

describe('portico validate', () => {
  it('accepts the httpbin example', async () => {
    const r = await run(['validate', '-f', 'examples/httpbin'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^valid: 3 resources: 0 errors/m)
  })

  it('names file, line, column, code, resource and field of an error, and exits 1', async () => {
    const file = join(dir, 'bad.yaml')
    await writeFile(
      file,
      [
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata:',
        '  name: httpbin',
        'spec:',
        '  hosts: ["*"]',
        '  gateways: [httpbin-gateway]',
        '  http:',
        '  - mach:',
        '    - uri: { prefix: /status }',
        '    route:',
        '    - destination: { host: httpbin }',
        '',
      ].join('\n'),
    )
    const r = await run(['validate', '-f', file])
    expect(r.code).toBe(1)
    const line = r.stdout.split('\n').find((l) => l.includes('spec.http[0].mach'))
    expect(line).toBeDefined()
    expect(line).toMatch(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:9:5  error  PTC\\d{4}  .*"match".*\\(VirtualService default/httpbin  spec\\.http\\[0\\]\\.mach\\)$`,
      ),
    )
    expect(r.stderr).toMatch(/^invalid: /m)
    // the refused VirtualService is analyzed all the same, as istioctl analyze does
    expect(r.stdout).toContain(':7:14  warning  IST0101  Referenced gateway not found: "httpbin-gateway"')
  })

  it('prints an array of diagnostics with --output json', async () => {
    const r = await run(['validate', '-f', '-', '--output', 'json'], {
      stdin:
        'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: { name: gw }\nspec:\n  servers: []\n',
    })
    expect(r.code).toBe(1)
    const diagnostics = JSON.parse(r.stdout) as {
      severity: string
      path?: string
      source?: { file: string }
    }[]
    expect(Array.isArray(diagnostics)).toBe(true)
    expect(diagnostics.some((d) => d.severity === 'error')).toBe(true)
  })

  it('gives each analyzer finding its IST code, resource, path and position with --output json, and compares selectors with --label', async () => {
    const file = join(dir, 'analyze.yaml')
    await writeFile(
      file,
      [
        'apiVersion: networking.istio.io/v1',
        'kind: Gateway',
        'metadata: { name: edge }',
        'spec:',
        '  selector: { app: edge }',
        '  servers:',
        '  - port: { number: 80, name: http, protocol: HTTP }',
        '    hosts: [a.example.com]',
        '---',
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata: { name: a }',
        'spec:',
        '  hosts: [a.example.com]',
        '  gateways: [edge]',
        '  http:',
        '  - route:',
        '    - destination: { host: nowhere.example.com }',
        '',
      ].join('\n'),
    )
    const r = await run(['validate', '-f', file, '--output', 'json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual([
      {
        severity: 'warning',
        code: 'IST0101',
        message: `Referenced selector not found: "app=edge" (compared with the gateway's labels istio=ingressgateway)`,
        resource: { kind: 'Gateway', namespace: 'default', name: 'edge' },
        path: 'spec.selector.app',
        source: { file, line: 5, column: 15 },
      },
      {
        severity: 'warning',
        code: 'IST0101',
        message: 'Referenced host not found: "nowhere.example.com"',
        resource: { kind: 'VirtualService', namespace: 'default', name: 'a' },
        path: 'spec.http[0].route[0].destination.host',
        source: { file, line: 18, column: 22 },
      },
    ])
    const labelled = await run(['validate', '-f', file, '--output', 'json', '--label', 'app=edge'])
    expect((JSON.parse(labelled.stdout) as { code: string; path: string }[]).map((d) => d.path)).toEqual([
      'spec.http[0].route[0].destination.host',
    ])
    expect((await run(['validate', '-f', file, '--label', 'nonsense'])).code).toBe(2)
  })

  it('judges the security policies that reach a gateway in the namespace --namespace names, as serve does', async () => {
    const file = join(dir, 'edge-policies.yaml')
    await writeFile(
      file,
      [
        'apiVersion: networking.istio.io/v1',
        'kind: Gateway',
        'metadata: { name: edge, namespace: edge }',
        'spec:',
        '  selector: { istio: ingressgateway }',
        '  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: [a.example.com] }]',
        '---',
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata: { name: a, namespace: edge }',
        'spec:',
        '  hosts: [a.example.com]',
        '  gateways: [edge]',
        '  http:',
        '  - match: [{ headers: { "@request.auth.claims.group": { exact: admin } } }]',
        '    directResponse: { status: 200 }',
        '---',
        'apiVersion: security.istio.io/v1',
        'kind: RequestAuthentication',
        'metadata: { name: jwt, namespace: edge }',
        'spec:',
        '  jwtRules: [{ issuer: https://issuer.example.com, jwks: \'{"keys":[]}\' }]',
        '',
      ].join('\n'),
    )
    const codes = async (...flags: string[]) => {
      const r = await run(['validate', '-f', file, '--output', 'json', ...flags])
      expect(r.code).toBe(0)
      return (JSON.parse(r.stdout) as { code: string; resource: { kind: string } }[]).map(
        (d) => `${d.code} ${d.resource.kind}`,
      )
    }
    // A gateway in istio-system (the default): the policy in edge never reaches it, so the claim
    // route has no RequestAuthentication.
    expect(await codes()).toEqual(['IST0149 VirtualService', 'PTC3600 RequestAuthentication'])
    // serve --namespace edge applies it; validate --namespace edge says so.
    expect(await codes('--namespace', 'edge')).toEqual([])
    const served = await run(['routes', '-f', file, '--namespace', 'edge'])
    expect(served.code).toBe(0)
    expect(served.stderr).not.toMatch(/PTC3600|IST0149/)
  })

  it('reports an unreadable path as invalid, without a stack trace', async () => {
    const r = await run(['validate', '-f', join(dir, 'missing.yaml')])
    expect(r.code).toBe(1)
    expect(r.stdout + r.stderr).toContain('missing.yaml')
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /)
  })

  it('exits 2 on a usage error', async () => {
    expect((await run(['validate'])).code).toBe(2)
    expect((await run(['validate', '-f', 'x', '--output', 'xml'])).code).toBe(2)
    expect((await run(['validate', '--nope'])).code).toBe(2)
  })
})

describe('portico schema', () => {
  it('prints the JSON Schema of one kind', async () => {
    const r = await run(['schema', 'gateway'])
    expect(r.code).toBe(0)
    const schema = JSON.parse(r.stdout) as { type?: string; properties?: Record<string, unknown> }
    expect(schema.properties).toHaveProperty('spec')
  })
  it('rejects an unknown kind', async () => {
    expect((await run(['schema', 'Deployment'])).code).toBe(2)
  })
})

describe('portico routes', () => {
  it('prints the compiled table of the example', async () => {
    const r = await run(['routes', '-f', 'examples/httpbin'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('http.80')
    expect(r.stdout).toContain('/status')
    expect(r.stdout).toContain('outbound|8000||httpbin.default.svc.cluster.local')
  })
  it('prints only the tables that have rows: L4 routes without an empty HTTP table, and says when nothing is routed', async () => {
    const l4 = await run(['routes', '-f', 'examples/gateway-api-tls-tcp'])
    expect(l4.code).toBe(0)
    const lines = l4.stdout.split('\n')
    expect(lines[0]).toMatch(/^SERVER\s+MATCH\s+ACTION\s+VIRTUAL SERVICE$/)
    expect(l4.stdout).not.toContain('VHOST NAME')
    expect(l4.stdout).toContain('TCPRoute default/tcp-echo rules[0]')
    expect(l4.stdout).toMatch(/\n\nCLUSTER\s+LB\s+ENDPOINTS\n/)

    const gatewayOnly = join(dir, 'tls-gateway-only.yaml')
    await writeFile(
      gatewayOnly,
      (await readFile(join(repoRoot, 'examples/gateway-api-tls-tcp/gateway.yaml'), 'utf8')).trim(),
    )
    const idle = await run(['routes', '-f', gatewayOnly])
    expect(idle.code).toBe(0)
    expect(idle.stdout).toMatch(
      /^no routes: no route is bound to https\.443\.\S+ \(TLS\), tcp\.31400 \(TCP\)\n/,
    )
    expect(idle.stdout).not.toContain('VHOST NAME')
    expect(idle.stdout).not.toContain('SERVER')

    const unselected = await run(['routes', '-f', 'examples/httpbin', '--label', 'app=other'])
    expect(unselected.code).toBe(0)
    expect(unselected.stdout.split('\n')[0]).toBe(
      'no routes: no Gateway server is served (no Gateway, or none selects this gateway)',
    )
    expect(unselected.stdout).toContain('CLUSTER')
  })

  it('draws the canary example as Mermaid and DOT, weights on the edges', async () => {
    const mermaid = await run(['routes', '-f', 'examples/canary', '--output', 'mermaid'])
    expect(mermaid.code).toBe(0)
    expect(mermaid.stdout).toMatch(/^flowchart LR\n/)
    expect(mermaid.stdout).toContain('-->|"90%"|')
    expect(mermaid.stdout).toContain('outbound|9080|v2|reviews.default.svc.cluster.local')
    const dot = await run(['routes', '-f', 'examples/canary', '-o', 'dot'])
    expect(dot.code).toBe(0)
    expect(dot.stdout).toMatch(/^digraph routes \{/)
    expect(dot.stdout).toContain('[label="10%"]')
    const both = await run(['routes', '-f', 'examples/canary', '-o', 'dot', '--explain', 'GET', 'http://x/'])
    expect(both.code).toBe(2)
  })
  it('explains which rule a request matches, and why another gets 404', async () => {
    const hit = await run([
      'routes',
      '-f',
      'examples/httpbin',
      '--explain',
      'GET',
      'http://httpbin.example.com/status/200',
    ])
    expect(hit.code).toBe(0)
    expect(hit.stdout).toContain('default/httpbin')
    const miss = await run([
      'routes',
      '-f',
      'examples/httpbin',
      '--explain',
      'GET',
      'http://httpbin.example.com/headers',
      '-o',
      'json',
    ])
    expect(miss.code).toBe(0)
    expect(JSON.parse(miss.stdout)).toMatchObject({ kind: 'notFound', reason: 'no-route' })
  })
})

describe('Gateway API: status and routes', () => {
  it('status prints the conditions a controller would write', async () => {
    const r = await run(['status', '-f', 'examples/gateway-api'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Gateway default/httpbin-gateway (class istio)')
    expect(r.stdout).toContain('listener http: 1 attached route')
    expect(r.stdout).toContain('HTTPRoute default/httpbin')
    expect(r.stdout).toContain('Accepted=True (Accepted)')
    expect(r.stdout).toContain('ResolvedRefs=True (ResolvedRefs)')
    const json = JSON.parse((await run(['status', '-f', 'examples/gateway-api', '-o', 'json'])).stdout)
    expect(json.routes[0].parents[0].conditions.map((c: { type: string }) => c.type)).toEqual([
      'Accepted',
      'ResolvedRefs',
    ])
  })

  it('validate refuses an HTTPRoute backendRef to a Service without port, at its line, as the CRD does', async () => {
    const route = await readFile(join(repoRoot, 'examples/gateway-api/httproute.yaml'), 'utf8')
    const portless = route.replace('      port: 8000\n', '')
    expect(portless).not.toBe(route)
    const file = join(dir, 'httproute-no-port.yaml')
    await writeFile(file, portless)
    const line = portless.split('\n').indexOf('    - name: httpbin') + 1
    const r = await run([
      'validate',
      '-f',
      'examples/gateway-api/gateway.yaml',
      '-f',
      'examples/gateway-api/service.yaml',
      '-f',
      file,
    ])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain(
      `${file}:${line}:7  error  PTC2606  Must have port for Service reference  (HTTPRoute default/httpbin  spec.rules[0].backendRefs[0])`,
    )
  })

  it('status with another --gateway-class serves no Gateway', async () => {
    const r = await run(['status', '-f', 'examples/gateway-api', '--gateway-class', 'other'])
    expect(r.stdout).toContain('no Gateway of class other')
  })

  it('routes --explain names the HTTPRoute and rule', async () => {
    const r = await run([
      'routes',
      '-f',
      'examples/gateway-api',
      '--explain',
      'GET',
      'http://httpbin.example.com/status/200',
    ])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('HTTPRoute default/httpbin rules[0].matches[0]')
  })
})
