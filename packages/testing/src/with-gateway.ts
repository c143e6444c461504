import {
  compile,
  createSnapshot,
  type Diagnostic,
  formatDiagnostics,
  type RegistryService,
  type Resource,
  resolveShortname,
  validate,
} from '@portico/core'
import { createGateway, type Gateway } from '@portico/server'
import { type RunningHttpbin, startHttpbin } from './httpbin/index.js'
import { type HttpResponse, type RequestOptions, request } from './request.js'

/** What {@link withGateway} serves. */
export interface WithGatewayConfig {
  /** Gateways, VirtualServices, ServiceEntries, DestinationRules and Secrets, in load order. */
  readonly resources: readonly Resource[]
  /**
   * Extra services of the programmatic registry (FQDN → ports and endpoints), next to the
   * `httpbin.<namespace>.svc.cluster.local` entries that point at the httpbin fake.
   */
  readonly services?: Readonly<Record<string, RegistryService>>
  /** Labels of the gateway process (default `istio=ingressgateway`). */
  readonly labels?: Readonly<Record<string, string>>
}

/** What the callback of {@link withGateway} receives. */
export interface GatewayTestContext {
  /** The running gateway; every port listens on 127.0.0.1 on an ephemeral port. */
  readonly gateway: Gateway
  /** The httpbin fake behind `httpbin` destinations. */
  readonly httpbin: RunningHttpbin
  /**
   * Sends a request the way `curl --resolve` does: connects to the gateway port the URL names
   * (its explicit port, else 80 for `http:` and 443 for `https:`) and sends the URL's host as
   * SNI and Host.
   */
  request(url: string, options?: Omit<RequestOptions, 'url'>): Promise<HttpResponse>
}

/** The error {@link withGateway} rejects with when the resources fail validation. */
export class InvalidConfigError extends Error {
  /** Always `PORTICO_INVALID_CONFIG`. */
  readonly code = 'PORTICO_INVALID_CONFIG'
  /** The validation errors (warnings are not included). */
  readonly diagnostics: readonly Diagnostic[]
  constructor(diagnostics: readonly Diagnostic[]) {
    super(`the config is invalid:\n${formatDiagnostics(diagnostics)}`)
    this.name = 'InvalidConfigError'
    this.diagnostics = diagnostics
  }
}

const HTTPBIN_PORTS = [8000, 80] as const

function namespacesOf(resources: readonly Resource[]): Set<string> {
  const out = new Set(['default'])
  for (const r of resources) out.add(r.metadata.namespace ?? 'default')
  return out
}

/** `httpbin.<ns>.svc.cluster.local` → the fake, for each namespace no ServiceEntry already serves it in. */
function httpbinServices(resources: readonly Resource[], port: number): Record<string, RegistryService> {
  const declared = new Set<string>()
  for (const r of resources) {
    if (r.kind !== 'ServiceEntry') continue
    const ns = r.metadata.namespace ?? 'default'
    for (const host of r.spec.hosts) declared.add(resolveShortname(host, ns).toLowerCase())
  }
  const out: Record<string, RegistryService> = {}
  for (const ns of namespacesOf(resources)) {
    const fqdn = resolveShortname('httpbin', ns)
    if (declared.has(fqdn)) continue
    out[fqdn] = {
      ports: HTTPBIN_PORTS.map((number) => ({ number, name: `http-${number}`, protocol: 'HTTP' })),
      endpoints: [{ address: '127.0.0.1', port }],
    }
  }
  return out
}

function gatewayPortOf(url: URL): number {
  if (url.port !== '') return Number(url.port)
  if (url.protocol === 'https:') return 443
  if (url.protocol === 'http:') return 80
  throw new TypeError(`unsupported URL scheme ${url.protocol} in ${url.href}`)
}

/**
 * Runs `fn` against a real gateway serving `config` and an httpbin fake, both on 127.0.0.1 with
 * ephemeral ports, and closes both afterwards whether `fn` returns or throws. The resources are
 * validated first (errors reject with an {@link InvalidConfigError} listing them), then compiled;
 * a destination `httpbin` (short name or `httpbin.<ns>.svc.cluster.local`, ports 8000 and 80)
 * without a ServiceEntry goes to the fake.
 *
 * ```ts
 * await withGateway(resources, async ({ request }) => {
 *   expect((await request('http://httpbin.example.com/status/200')).status).toBe(200)
 * })
 * ```
 */
export async function withGateway<T>(
  config: readonly Resource[] | WithGatewayConfig,
  fn: (context: GatewayTestContext) => Promise<T> | T,
): Promise<T> {
  const options: WithGatewayConfig = Array.isArray(config)
    ? { resources: config as readonly Resource[] }
    : (config as WithGatewayConfig)
  const { resources } = options
  const knownHosts = [
    ...[...namespacesOf(resources)].map((ns) => resolveShortname('httpbin', ns)),
    ...Object.keys(options.services ?? {}),
  ]
  const errors = validate(resources, { knownHosts }).filter((d) => d.severity === 'error')
  if (errors.length > 0) throw new InvalidConfigError(errors)

  const httpbin = await startHttpbin()
  let gateway: Gateway | undefined
  try {
    const services = { ...httpbinServices(resources, httpbin.port), ...(options.services ?? {}) }
    const compiled = compile(createSnapshot(resources), {
      services,
      ...(options.labels === undefined ? {} : { labels: options.labels }),
    }).value
    const ports: Record<number, number> = {}
    for (const port of compiled.listeners.keys()) ports[port] = 0
    gateway = await createGateway({ config: compiled, ports, bind: '127.0.0.1', drainTimeoutMs: 1_000 })
    const running = gateway
    const context: GatewayTestContext = {
      gateway: running,
      httpbin,
      request(url, requestOptions = {}) {
        const port = gatewayPortOf(new URL(url))
        const address = running.addresses[port]
        if (address === undefined) {
          const served = Object.keys(running.addresses).join(', ') || 'none'
          return Promise.reject(
            new Error(`the gateway does not serve port ${port} (ports served: ${served})`),
          )
        }
        return request({ host: address.address, port: address.port }, { ...requestOptions, url })
      },
    }
    return await fn(context)
  } finally {
    await Promise.allSettled([gateway?.close(), httpbin.close()])
  }
}
