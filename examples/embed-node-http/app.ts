// An existing node:http application with Portico embedded next to it: the gateway owns ports 80
// and 443 (TLS from a certificate held in memory), routes /api/ to the app through the
// programmatic service registry and /status/ to httpbin, and reports each request on
// node:diagnostics_channel.
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Resource } from '@portico/core'
import { CHANNELS, createGateway, type Gateway, type RequestEndEvent } from '@portico/server'

/** What {@link startApp} needs. */
export interface AppOptions {
  /** PEM certificate and key for `shop.example.com` (from a vault, an env var, a file…). */
  readonly tls: { readonly cert: string; readonly key: string }
  /** Where httpbin listens. */
  readonly httpbin: { readonly address: string; readonly port: number }
  /** Listen ports for gateway ports 80 and 443 (0 = ephemeral). */
  readonly ports?: { readonly 80?: number; readonly 443?: number }
  /** Aborting it stops everything. */
  readonly signal?: AbortSignal
}

/** The running application. */
export interface RunningApp extends AsyncDisposable {
  readonly gateway: Gateway
  readonly app: Server
  /** Access-log lines collected from `portico:request:end`. */
  readonly log: string[]
  close(): Promise<void>
}

function resources(options: AppOptions): Resource[] {
  return [
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name: 'shop' },
      spec: {
        selector: { istio: 'ingressgateway' },
        servers: [
          {
            port: { number: 80, name: 'http', protocol: 'HTTP' },
            hosts: ['shop.example.com'],
            tls: { httpsRedirect: true },
          },
          {
            port: { number: 443, name: 'https', protocol: 'HTTPS' },
            hosts: ['shop.example.com'],
            tls: { mode: 'SIMPLE', credentialName: 'shop-cert' },
          },
        ],
      },
    },
    {
      // TLS from memory: a kubernetes.io/tls Secret with PEM text in stringData.
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'shop-cert' },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': options.tls.cert, 'tls.key': options.tls.key },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'shop' },
      spec: {
        hosts: ['shop.example.com'],
        gateways: ['shop'],
        http: [
          { match: [{ uri: { prefix: '/api/' } }], route: [{ destination: { host: 'app' } }] },
          {
            match: [{ uri: { prefix: '/status/' } }],
            route: [{ destination: { host: 'httpbin', port: { number: 8000 } } }],
          },
        ],
      },
    },
  ]
}

/** Starts the app on an ephemeral loopback port and the gateway in front of it. */
export async function startApp(options: AppOptions): Promise<RunningApp> {
  const app = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ path: req.url, forwardedProto: req.headers['x-forwarded-proto'] }))
  })
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  const appPort = (app.address() as AddressInfo).port

  const log: string[] = []
  const onEnd = (message: unknown) => {
    const e = message as RequestEndEvent
    log.push(
      `${e.method} ${e.path} ${e.responseCode} ${e.responseFlags.join(',') || '-'} ${e.upstreamCluster ?? '-'}`,
    )
  }
  subscribe(CHANNELS.requestEnd, onEnd)

  let gateway: Gateway
  try {
    gateway = await createGateway({
      config: {
        resources: resources(options),
        compile: {
          // The programmatic registry: `app` (app.default.svc.cluster.local) is this process.
          services: {
            'app.default.svc.cluster.local': {
              ports: [{ number: 80, protocol: 'HTTP' }],
              endpoints: [{ address: '127.0.0.1', port: appPort }],
            },
            'httpbin.default.svc.cluster.local': {
              ports: [{ number: 8000, protocol: 'HTTP' }],
              endpoints: [{ address: options.httpbin.address, port: options.httpbin.port }],
            },
          },
        },
      },
      ports: { 80: options.ports?.[80] ?? 0, 443: options.ports?.[443] ?? 0 },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    })
  } catch (error) {
    unsubscribe(CHANNELS.requestEnd, onEnd)
    app.close()
    throw error
  }

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      await gateway.close() // drains in-flight requests first
      unsubscribe(CHANNELS.requestEnd, onEnd)
      await new Promise((resolve) => app.close(resolve))
    })()
    return closing
  }
  options.signal?.addEventListener('abort', () => void close(), { once: true })
  return { gateway, app, log, close, [Symbol.asyncDispose]: close }
}
