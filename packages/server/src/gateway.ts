import {
  type CompiledConfig,
  type CompileOptions,
  compile,
  route as coreRoute,
  createSnapshot,
  type ListenerProtocol,
  loadRegexEngine,
  type SnapshotResource,
} from '@portico/core'
import type { HandlerContext } from './downstream/handler.js'
import type { ConnectionLimits } from './downstream/limits.js'
import {
  buildRuntime,
  type ListenerEnv,
  PortListener,
  type Runtime,
  releaseTerminators,
} from './downstream/listeners.js'
import { OverloadGuard, type OverloadOptions, type OverloadState } from './downstream/overload.js'
import { listenPortFor } from './downstream/port-map.js'
import { createJwksCache } from './policy/jwks-cache.js'
import { Balancer } from './proxy/balancer.js'
import { type Logger, type RouteFunction, silentLogger } from './types.js'
import { UpstreamPools } from './upstream/pools.js'

/** Resources to compile (Gateway, VirtualService, ServiceEntry, DestinationRule, Secret), in load order. */
export interface GatewaySource {
  readonly resources: readonly SnapshotResource[]
  readonly compile?: CompileOptions
}

/** What a gateway serves: a compiled config, or resources compiled with `compile()` of `@portico/core`. */
export type GatewayConfig = CompiledConfig | GatewaySource

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  /** The config to serve. */
  readonly config: GatewayConfig
  /**
   * Gateway port → listen port. Unmapped ports p < 1024 listen on p + 8000, others on p;
   * `0` picks an ephemeral port.
   */
  readonly ports?: Readonly<Record<number, number>>
  /** Address to bind when a server sets no `bind` (default `127.0.0.1`). */
  readonly bind?: string
  /** `server` response header (default `portico`); `false` passes the upstream's through. */
  readonly serverHeader?: string | false
  /** pino-compatible logger; silent by default. */
  readonly logger?: Logger
  /** Aborting it closes the gateway. */
  readonly signal?: AbortSignal
  /** The router (default: `route` of `@portico/core`). */
  readonly route?: RouteFunction
  /** How long `close()` and removed ports wait for in-flight requests (default 5000 ms). */
  readonly drainTimeoutMs?: number
  /** Serve HTTP/1.0 instead of answering 426, like Envoy's `accept_http_10` (default false). */
  readonly acceptHttp10?: boolean
  /** Downstream timeouts, header size and count, URI length and connection cap. */
  readonly limits?: ConnectionLimits
  /**
   * Istio's `gatewayTopology.numTrustedProxies` (Envoy `xff_num_trusted_hops`): how many proxies in
   * front of the gateway are trusted, so the client address (`%DOWNSTREAM_REMOTE_ADDRESS%`, source
   * IP hashing) is read that many hops into `x-forwarded-for`. Default 0: the socket peer. The peer
   * is always appended to `x-forwarded-for`.
   */
  readonly numTrustedProxies?: number
  /**
   * Sheds new requests with 503 and `Connection: close` while memory or event-loop delay is past
   * a threshold (Envoy's overload manager); off when absent.
   */
  readonly overload?: OverloadOptions
}

/** Where one gateway port listens. */
export interface GatewayAddress {
  readonly address: string
  readonly port: number
  readonly protocol: ListenerProtocol
}

/** A running gateway. */
export interface Gateway extends AsyncDisposable {
  /** Gateway port → where it listens. */
  readonly addresses: Readonly<Record<number, GatewayAddress>>
  /** The config being served. */
  readonly config: CompiledConfig
  /**
   * Swaps the config atomically: certificates are read and checked first (a failure rejects and
   * keeps the old config), requests already routed finish on the old one, new ports start
   * listening, removed ports stop accepting and drain. Connections stay: a TLS server that keeps
   * its name, kind and mode keeps its connections, and new certificates, keys or CAs are swapped
   * into its secure context for new handshakes. The same config object with unchanged
   * certificates changes nothing. A config with HTTP/2 clusters (or resources with regexes) first
   * waits for the module it needs to load; if a later update is swapped in meanwhile, this one is
   * dropped, as it would have been replaced.
   */
  update(config: GatewayConfig): Promise<void>
  /** Stops accepting, drains in-flight requests (up to `drainTimeoutMs`), closes upstream pools. */
  close(): Promise<void>
  /** The overload guard's last measurement and counts, when the `overload` option is set. */
  readonly overload: OverloadState | undefined
}

let sourceVersion = 0

function compiledOf(config: GatewayConfig, logger: Logger): CompiledConfig {
  if (!('resources' in config)) return config
  const result = compile(createSnapshot(config.resources, { version: ++sourceVersion }), config.compile)
  for (const d of result.diagnostics)
    logger.warn({ code: d.code, path: d.path, resource: d.resource }, d.message)
  return result.value
}

function bindOf(listenerBind: string | undefined, fallback: string): string {
  return listenerBind !== undefined && !listenerBind.startsWith('unix://') ? listenerBind : fallback
}

/**
 * Serves a compiled config on Node listeners: one per gateway port, HTTP/1.1 and h2c on
 * plaintext ports, TLS with SNI-selected servers and ALPN h2/http1.1 on TLS ports, TLS
 * passthrough and TCP proxying. Resolves once every port listens.
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const logger = options.logger ?? silentLogger
  const bind = options.bind ?? '127.0.0.1'
  const drainTimeoutMs = options.drainTimeoutMs ?? 5_000
  const pools = new UpstreamPools()
  const balancer = new Balancer()
  const listeners = new Map<number, PortListener>()
  const overload = options.overload === undefined ? undefined : new OverloadGuard(options.overload)
  const jwks = createJwksCache({ logger })
  let runtime: Runtime
  const handler: HandlerContext = {
    current: () => runtime.config,
    route: options.route ?? coreRoute,
    pools,
    balancer,
    serverHeader: options.serverHeader ?? 'portico',
    logger,
    acceptHttp10: options.acceptHttp10 ?? false,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    numTrustedProxies: options.numTrustedProxies ?? 0,
    ...(overload === undefined ? {} : { overload }),
    jwks,
  }
  const base: Omit<ListenerEnv, 'runtime'> = {
    handler,
    balancer,
    listenerFor: (port) => listeners.get(port),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  }
  const env: ListenerEnv = { ...base, runtime: () => runtime }
  if ('resources' in options.config) await loadRegexEngine(options.config.resources)
  const first = compiledOf(options.config, logger)
  await pools.prepare(first.clusters.values())
  runtime = buildRuntime(first, base).runtime
  // Updates in call order: one that waited for a module to load is dropped when a later one was swapped in.
  let updates = 0
  let closed = false
  let closing: Promise<void> | undefined

  async function reconcile(config: CompiledConfig): Promise<void> {
    const removed: PortListener[] = []
    for (const [port, listener] of listeners) {
      const wanted = config.listeners.get(port)
      if (wanted === undefined || bindOf(wanted.bind, bind) !== listener.bind) {
        listeners.delete(port)
        removed.push(listener)
      }
    }
    const started: Promise<unknown>[] = []
    for (const [port, wanted] of config.listeners) {
      if (listeners.has(port)) continue
      const previous = removed.find((l) => l.gatewayPort === port)
      const listenPort =
        previous?.address?.port ??
        options.ports?.[port] ??
        wanted.listenPort ??
        listenPortFor(port, undefined)
      const listener = new PortListener(port, bindOf(wanted.bind, bind), listenPort, env)
      listeners.set(port, listener)
      started.push(listener.listen())
    }
    for (const listener of removed) {
      listener.drain(drainTimeoutMs).catch(() => {})
      logger.info({ port: listener.gatewayPort }, 'gateway port removed')
    }
    const results = await Promise.allSettled(started)
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }

  const close = (): Promise<void> => {
    if (closing !== undefined) return closing
    closed = true
    closing = (async () => {
      const all = [...listeners.values()]
      listeners.clear()
      await Promise.all(all.map((l) => l.drain(drainTimeoutMs)))
      jwks.close()
      await pools.close()
      overload?.close()
      releaseTerminators(runtime.terminators.values())
      logger.info({}, 'gateway closed')
    })()
    return closing
  }

  try {
    await reconcile(runtime.config)
  } catch (error) {
    for (const l of listeners.values()) l.destroy()
    releaseTerminators(runtime.terminators.values())
    overload?.close()
    await pools.close(true)
    throw error
  }

  const gateway: Gateway = {
    get addresses() {
      const out: Record<number, GatewayAddress> = {}
      for (const [port, listener] of listeners) {
        const address = listener.address
        const protocol = runtime.config.listeners.get(port)?.protocol
        if (address !== undefined && protocol !== undefined) {
          out[port] = { address: address.address, port: address.port, protocol }
        }
      }
      return out
    },
    get config() {
      return runtime.config
    },
    async update(source) {
      if (closed) throw new Error('gateway is closed')
      const seq = ++updates
      const superseded = () => {
        if (closed) throw new Error('gateway is closed')
        return seq !== updates
      }
      if ('resources' in source) {
        await loadRegexEngine(source.resources)
        if (superseded()) return
      }
      const config = compiledOf(source, logger)
      const loading = pools.prepare(config.clusters.values())
      if (loading !== undefined) {
        await loading
        if (superseded()) return
      }
      const change = buildRuntime(config, base, runtime)
      // The same config with the same certificates: nothing to swap, no connection touched.
      if (config === runtime.config && change.changedTerminators === 0 && change.retired.length === 0) return
      runtime = change.runtime
      releaseTerminators(change.retired)
      pools.retain(config.clusters.values())
      await reconcile(config)
      logger.info({ version: config.version }, 'config applied')
    },
    close,
    [Symbol.asyncDispose]: close,
    overload,
  }
  if (options.signal !== undefined) {
    if (options.signal.aborted) await close()
    else options.signal.addEventListener('abort', () => void close(), { once: true })
  }
  return gateway
}
