import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import {
  createServer as createH2cServer,
  type IncomingHttpHeaders as Http2Headers,
  type Http2Server,
  type Http2Session,
  connect as h2connect,
} from 'node:http2'
import type { AddressInfo } from 'node:net'
import {
  type CompiledConfig,
  compile,
  createSnapshot,
  formatDiagnostics,
  parseResources,
  type Resource,
  validate,
} from '@portico/core'
import { createGateway, type Gateway } from '@portico/server'
import { createCertificate } from '../../certs.js'
import { type HttpResponse, request } from '../../request.js'

/** What an echo backend saw of one request. */
export interface EchoRecord {
  readonly backend: string
  readonly namespace: string
  readonly method: string
  readonly path: string
  readonly host: string
  readonly headers: IncomingMessage['headers']
}

/** One response, with the echo backend's view of the request when a backend answered. */
export interface ConformanceResponse extends HttpResponse {
  readonly echo?: EchoRecord
}

const BACKENDS: readonly (readonly [string, string])[] = [
  ['gateway-conformance-infra', 'infra-backend-v1'],
  ['gateway-conformance-infra', 'infra-backend-v2'],
  ['gateway-conformance-infra', 'infra-backend-v3'],
  ['gateway-conformance-web-backend', 'web-backend'],
  ['gateway-conformance-app-backend', 'app-backend-v1'],
  ['gateway-conformance-app-backend', 'app-backend-v2'],
]

/** The suite's gRPC echo backends (h2c, `appProtocol: kubernetes.io/h2c`). */
const GRPC_BACKENDS = ['grpc-infra-backend-v1', 'grpc-infra-backend-v2', 'grpc-infra-backend-v3'] as const

/** gRPC's mapping of an HTTP status without grpc-status to a code (else 2 Unknown). */
const HTTP_TO_GRPC: Readonly<Record<number, number>> = {
  400: 13,
  401: 16,
  403: 7,
  404: 12,
  429: 14,
  502: 14,
  503: 14,
  504: 14,
}

/** What a gRPC call through the gateway got: HTTP status, grpc-status, and the answering backend. */
export interface GrpcResult {
  readonly status: number
  /** The call's gRPC code: grpc-status, or what the HTTP status maps to (404 → 12 Unimplemented). */
  readonly code: number
  readonly backend?: string
  /** The request metadata the backend received. */
  readonly received?: Http2Headers
}

/** The conformance suite's base: namespaces and the Secrets its Gateways refer to. */
function baseManifests(
  certificate: { cert: string; key: string },
  webBackendCertificate: { cert: string; key: string },
): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64')
  return `apiVersion: v1
kind: Namespace
metadata: {name: gateway-conformance-infra, labels: {gateway-conformance: infra}}
---
apiVersion: v1
kind: Namespace
metadata: {name: gateway-conformance-app-backend, labels: {gateway-conformance: backend}}
---
apiVersion: v1
kind: Namespace
metadata: {name: gateway-conformance-web-backend, labels: {gateway-conformance: backend}}
---
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata: {name: tls-validity-checks-certificate, namespace: gateway-conformance-infra}
data:
  tls.crt: ${b64(certificate.cert)}
  tls.key: ${b64(certificate.key)}
---
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata: {name: certificate, namespace: gateway-conformance-web-backend}
data:
  tls.crt: ${b64(webBackendCertificate.cert)}
  tls.key: ${b64(webBackendCertificate.key)}
`
}

/** The suite's base Gateways the HTTP tests attach to. */
const BASE_GATEWAYS = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: same-namespace, namespace: gateway-conformance-infra}
spec:
  gatewayClassName: istio
  listeners:
  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Same}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: same-namespace-with-https-listener, namespace: gateway-conformance-infra}
spec:
  gatewayClassName: istio
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    allowedRoutes: {namespaces: {from: Same}}
    tls: {certificateRefs: [{group: "", kind: Secret, name: tls-validity-checks-certificate, namespace: gateway-conformance-infra}]}
  - name: https-with-hostname
    port: 443
    hostname: second-example.org
    protocol: HTTPS
    allowedRoutes: {namespaces: {from: Same}}
    tls: {certificateRefs: [{group: "", kind: Secret, name: tls-validity-checks-certificate, namespace: gateway-conformance-infra}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: backend-namespaces, namespace: gateway-conformance-infra}
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {gateway-conformance: backend}}}}
`

function serviceManifests(ports: ReadonlyMap<string, number>): string {
  const all = [
    ...BACKENDS.map(([ns, name]) => [ns, name, ''] as const),
    ...GRPC_BACKENDS.map(
      (name) => ['gateway-conformance-infra', name, ', appProtocol: kubernetes.io/h2c'] as const,
    ),
  ]
  return all
    .map(([ns, name, app]) => {
      const port = ports.get(`${ns}/${name}`)
      return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec:
  selector: {app: ${name}}
  ports: [{name: first-port, protocol: TCP, port: 8080, targetPort: 3000${app}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${name}-1, namespace: ${ns}, labels: {kubernetes.io/service-name: ${name}}}
addressType: IPv4
endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
ports: [{name: first-port, port: ${port}, protocol: TCP}]
`
    })
    .join('---\n')
}

/** A running conformance setup: the base, one test's manifests, echo backends, a gateway. */
export interface Conformance {
  readonly gateway: Gateway
  readonly compiled: CompiledConfig
  /** Every request the echo backends received, in arrival order. */
  readonly received: EchoRecord[]
  /** The certificate the HTTPS listener serves (CA for requests). */
  readonly certificate: { readonly cert: string; readonly key: string }
  /** The certificate of the Secret `certificate` in gateway-conformance-web-backend. */
  readonly webBackendCertificate: { readonly cert: string; readonly key: string }
  /** Sends a request to a gateway port with `host` as Host (and SNI on 443). */
  send(
    host: string,
    path: string,
    options?: {
      method?: string
      headers?: Record<string, string | readonly string[]>
      port?: number
      scheme?: 'http' | 'https'
      /** The CA to verify the gateway's certificate with (default: `certificate`). */
      ca?: string
    },
  ): Promise<ConformanceResponse>
  /** Calls `/service/method` over h2c on gateway port 80 with `host` as :authority. */
  grpc(host: string, service: string, method: string, metadata?: Record<string, string>): Promise<GrpcResult>
  close(): Promise<void>
}

/** Reads one of the suite's manifests from `testdata/`, with the GatewayClass set to `istio`. */
export function manifest(name: string): string {
  const text = readFileSync(new URL(`./testdata/${name}.yaml`, import.meta.url), 'utf8')
  return text.replaceAll('{GATEWAY_CLASS_NAME}', 'istio').replaceAll('"{GATEWAY_CLASS_NAME}"', 'istio')
}

/**
 * Loads manifests, refuses them on any error (schema or validation), compiles them and serves
 * every listener port on an ephemeral port of 127.0.0.1.
 */
export async function serveManifests(
  text: string,
): Promise<{ readonly gateway: Gateway; readonly compiled: CompiledConfig }> {
  const { resources, diagnostics } = parseResources(text, 'conformance.yaml')
  const findings = [...diagnostics, ...validate(resources as Resource[])].filter(
    (d) => d.severity === 'error',
  )
  if (findings.length > 0) throw new Error(formatDiagnostics(findings))
  const compiled = compile(createSnapshot(resources)).value
  const listen: Record<number, number> = {}
  for (const port of compiled.listeners.keys()) listen[port] = 0
  const gateway = await createGateway({
    config: compiled,
    ports: listen,
    bind: '127.0.0.1',
    drainTimeoutMs: 500,
  })
  return { gateway, compiled }
}

/**
 * Starts echo backends (one per conformance Service, described by Service + EndpointSlice), loads
 * the suite's base Gateways with the given manifests, validates, compiles and serves them on
 * ephemeral ports of 127.0.0.1.
 */
export async function startConformance(
  manifests: string,
  options: {
    /** Loads the suite's base Gateways too (default); a test with its own Gateways on 443 leaves them out. */
    baseGateways?: boolean
  } = {},
): Promise<Conformance> {
  const received: EchoRecord[] = []
  const servers: Server[] = []
  const ports = new Map<string, number>()
  // The suite's retry simulation: the first `succeedAfter` requests carrying one `uuid` are
  // answered `responseCode`, later ones 200.
  const attempts = new Map<string, number>()
  for (const [ns, name] of BACKENDS) {
    const server = createServer((req, res) => {
      const record: EchoRecord = {
        backend: name,
        namespace: ns,
        method: req.method ?? '',
        path: req.url ?? '',
        host: req.headers.host ?? '',
        headers: req.headers,
      }
      received.push(record)
      const delay = /[?&]delay=(\d+)(ms|s)/.exec(req.url ?? '')
      const ms = delay === null ? 0 : Number(delay[1]) * (delay[2] === 's' ? 1000 : 1)
      req.resume()
      // As the suite's echo server: X-Echo-Set-Header "Name:value,Name:value" sets response headers.
      const setHeaders = String(req.headers['x-echo-set-header'] ?? '')
      const query = new URL(req.url ?? '/', 'http://echo').searchParams
      const uuid = query.get('uuid')
      if (uuid !== null && query.has('succeedAfter')) {
        const seen = (attempts.get(uuid) ?? 0) + 1
        attempts.set(uuid, seen)
        if (seen <= Number(query.get('succeedAfter'))) {
          res.statusCode = Number(query.get('responseCode') ?? 500)
          res.end()
          return
        }
      }
      const timer = setTimeout(() => {
        for (const pair of setHeaders.split(',')) {
          const colon = pair.indexOf(':')
          if (colon > 0) res.appendHeader(pair.slice(0, colon).trim(), pair.slice(colon + 1).trim())
        }
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify(record))
      }, ms)
      res.on('close', () => clearTimeout(timer))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push(server)
    ports.set(`${ns}/${name}`, (server.address() as AddressInfo).port)
  }
  // gRPC echo backends: answer OK with the backend's name and the received metadata in headers.
  const grpcServers: Http2Server[] = []
  for (const name of GRPC_BACKENDS) {
    const server = createH2cServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(200, {
          'content-type': 'application/grpc',
          'x-echo-backend': name,
          'x-echo-received': JSON.stringify(req.headers),
        })
        res.addTrailers({ 'grpc-status': '0' })
        res.end(Buffer.from([0, 0, 0, 0, 0]))
      })
    })
    const sessions = new Set<Http2Session>()
    server.on('session', (session) => {
      sessions.add(session)
      session.on('close', () => sessions.delete(session))
    })
    server.on('close', () => {
      for (const session of sessions) session.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    grpcServers.push(server)
    ports.set(`gateway-conformance-infra/${name}`, (server.address() as AddressInfo).port)
  }
  const closeBackends = () =>
    Promise.all([...servers, ...grpcServers].map((s) => new Promise((r) => s.close(r))))
  const certificate = createCertificate({
    commonName: 'example.org',
    altNames: ['example.org', '*.example.org', 'second-example.org', '*.wildcard.org'],
  })
  const webBackendCertificate = createCertificate({ commonName: 'example.org', altNames: ['example.org'] })
  const text = [
    baseManifests(certificate, webBackendCertificate),
    ...(options.baseGateways === false ? [] : [BASE_GATEWAYS]),
    serviceManifests(ports),
    manifests,
  ].join('---\n')
  const served = await serveManifests(text).catch(async (error: unknown) => {
    await closeBackends()
    throw error
  })
  const { gateway, compiled } = served
  return {
    gateway,
    compiled,
    received,
    certificate,
    webBackendCertificate,
    async send(host, path, options = {}) {
      const port = options.port ?? (options.scheme === 'https' ? 443 : 80)
      const address = gateway.addresses[port]
      if (address === undefined) throw new Error(`gateway port ${port} is not served`)
      const scheme = options.scheme ?? (port === 443 ? 'https' : 'http')
      const response = await request(
        { host: '127.0.0.1', port: address.port },
        {
          url: `${scheme}://${host}${path}`,
          ...(options.method === undefined ? {} : { method: options.method }),
          ...(options.headers === undefined ? {} : { headers: options.headers }),
          ...(scheme === 'https' ? { ca: options.ca ?? certificate.cert } : {}),
        },
      )
      let echo: EchoRecord | undefined
      if (response.status === 200 && String(response.headers['content-type']).includes('json')) {
        try {
          echo = JSON.parse(response.body.toString('utf8')) as EchoRecord
        } catch {
          echo = undefined
        }
      }
      return echo === undefined ? response : { ...response, echo }
    },
    async grpc(host, service, method, metadata = {}) {
      const address = gateway.addresses[80]
      if (address === undefined) throw new Error('gateway port 80 is not served')
      const session = h2connect(`http://127.0.0.1:${address.port}`)
      try {
        return await new Promise<GrpcResult>((resolve, reject) => {
          session.on('error', reject)
          const stream = session.request({
            ':method': 'POST',
            ':path': `/${service}/${method}`,
            ':authority': host,
            'content-type': 'application/grpc',
            te: 'trailers',
            ...metadata,
          })
          let headers: Http2Headers = {}
          let trailers: Http2Headers = {}
          stream.on('response', (h) => {
            headers = h
          })
          stream.on('trailers', (t) => {
            trailers = t
          })
          stream.on('error', reject)
          stream.resume()
          stream.on('end', () => {
            const status = Number(headers[':status'])
            const grpcStatus = trailers['grpc-status'] ?? headers['grpc-status']
            const code = grpcStatus !== undefined ? Number(grpcStatus) : (HTTP_TO_GRPC[status] ?? 2)
            const backend = headers['x-echo-backend']
            const received = headers['x-echo-received']
            resolve({
              status,
              code,
              ...(typeof backend === 'string' ? { backend } : {}),
              ...(typeof received === 'string' ? { received: JSON.parse(received) as Http2Headers } : {}),
            })
          })
          stream.end(Buffer.from([0, 0, 0, 0, 0]))
        })
      } finally {
        session.close()
      }
    },
    async close() {
      await gateway.close()
      await closeBackends()
    },
  }
}
