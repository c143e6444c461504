import type { Cluster, Endpoint } from '@portico/core'
import { type Dispatcher, H2CClient, Pool } from 'undici'
import { endpointKey } from './balancer.js'
import { readPem } from './tls.js'

/** Idle upstream connections are closed after this long (below common 5 s upstream keep-alives). */
const DEFAULT_KEEP_ALIVE_MS = 4_000

/**
 * One undici Pool per endpoint origin and connection settings: keep-alive, no pipelining, the
 * cluster's connect timeout and connection cap. Pools outlive config swaps when their settings
 * stay the same; `retain` closes the others once their requests are done.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, Dispatcher>()

  #key(cluster: Cluster, endpoint: Endpoint): string {
    const p = cluster.trafficPolicy
    const tls = p.tls !== undefined && p.tls.mode !== 'DISABLE' ? `${p.tls.mode}:${p.tls.sni ?? ''}` : ''
    return `${endpointKey(endpoint)}|${speaksH2(cluster) ? 'h2' : 'h1'}|${p.connectTimeoutMs}|${p.maxConnections ?? ''}|${p.maxRequestsPerConnection ?? ''}|${p.idleTimeoutMs ?? ''}|${tls}`
  }

  /** The pool for an endpoint of a cluster, created on first use. */
  get(cluster: Cluster, endpoint: Endpoint): Dispatcher {
    const key = this.#key(cluster, endpoint)
    let pool = this.#pools.get(key)
    if (pool === undefined) {
      pool = createPool(cluster, endpoint)
      this.#pools.set(key, pool)
    }
    return pool
  }

  /** Closes the pools no cluster in `clusters` uses any more (gracefully: pending requests finish). */
  retain(clusters: Iterable<Cluster>): void {
    const keep = new Set<string>()
    for (const cluster of clusters) for (const e of cluster.endpoints) keep.add(this.#key(cluster, e))
    for (const [key, pool] of this.#pools) {
      if (keep.has(key)) continue
      this.#pools.delete(key)
      pool.close().catch(() => {})
    }
  }

  /** Closes every pool; `force` aborts in-flight requests. */
  async close(force = false): Promise<void> {
    const pools = [...this.#pools.values()]
    this.#pools.clear()
    await Promise.all(pools.map((p) => (force ? p.destroy() : p.close()).catch(() => {})))
  }
}

/** Clusters whose port protocol is HTTP/2 (HTTP2, GRPC, GRPC-WEB) are spoken to in HTTP/2. */
export function speaksH2(cluster: Cluster): boolean {
  const protocol = cluster.protocol.toUpperCase()
  return protocol === 'HTTP2' || protocol === 'GRPC' || protocol === 'GRPC-WEB'
}

function createPool(cluster: Cluster, endpoint: Endpoint): Dispatcher {
  const p = cluster.trafficPolicy
  const tls =
    p.tls !== undefined && p.tls.mode !== 'DISABLE' && p.tls.mode !== 'ISTIO_MUTUAL' ? p.tls : undefined
  const origin = `${tls ? 'https' : 'http'}://${endpointKey(endpoint)}`
  const idle = p.idleTimeoutMs ?? DEFAULT_KEEP_ALIVE_MS
  const name = `cluster ${cluster.name}`
  if (speaksH2(cluster) && tls === undefined) {
    // HTTP/2 prior knowledge: one multiplexed connection per endpoint.
    return new H2CClient(origin, {
      connectTimeout: p.connectTimeoutMs,
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: Math.min(idle, DEFAULT_KEEP_ALIVE_MS),
    })
  }
  return new Pool(origin, {
    ...(speaksH2(cluster) ? { allowH2: true } : {}),
    pipelining: 1,
    ...(p.maxConnections === undefined ? {} : { connections: p.maxConnections }),
    ...(p.maxRequestsPerConnection ? { maxRequestsPerClient: p.maxRequestsPerConnection } : {}),
    keepAliveTimeout: Math.min(idle, DEFAULT_KEEP_ALIVE_MS),
    keepAliveMaxTimeout: Math.max(idle, DEFAULT_KEEP_ALIVE_MS),
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: {
      timeout: p.connectTimeoutMs,
      ...(tls === undefined
        ? {}
        : {
            servername: tls.sni ?? cluster.host,
            rejectUnauthorized: !tls.insecureSkipVerify,
            ...(tls.caCertificates ? { ca: readPem(tls.caCertificates, name, 'CA certificates') } : {}),
            ...(tls.clientCertificate
              ? { cert: readPem(tls.clientCertificate, name, 'client certificate') }
              : {}),
            ...(tls.privateKey ? { key: readPem(tls.privateKey, name, 'private key') } : {}),
          }),
    },
  })
}
