import { connect, type Socket } from 'node:net'
import { type CompiledConfig, pickDestination, type TcpRouteEntry, type TlsRouteEntry } from '@portico/core'
import { plainAddress } from '../events/address.js'
import { observeConnection } from '../events/connection.js'
import type { Balancer } from '../proxy/balancer.js'

/** True when a TLS route's `sniHosts` entry accepts an SNI (exact, `*.suffix`, or `*`). */
export function sniMatches(pattern: string, sni: string): boolean {
  if (pattern === '*') return true
  if (pattern.startsWith('*.')) return sni.length > pattern.length - 1 && sni.endsWith(pattern.slice(1))
  return pattern === sni
}

/** The passthrough entry for an SNI: exact host first, then the longest wildcard, then `*`. */
export function selectTlsRoute(
  entries: readonly TlsRouteEntry[],
  sni: string | undefined,
): TlsRouteEntry | undefined {
  if (sni === undefined) return entries.find((e) => e.sniHosts.includes('*'))
  let best: TlsRouteEntry | undefined
  let bestScore = -1
  for (const entry of entries) {
    for (const host of entry.sniHosts) {
      if (!sniMatches(host, sni)) continue
      const score = host === sni ? Number.MAX_SAFE_INTEGER : host === '*' ? 0 : host.length
      if (score > bestScore) {
        best = entry
        bestScore = score
      }
    }
  }
  return best
}

/**
 * Proxies a raw connection to one endpoint of the entry's weighted destinations: `head` (bytes
 * already read, e.g. the ClientHello) first, then both directions piped with backpressure. A
 * missing cluster or endpoint, an invalid Gateway API backend, or a failed connect, closes the
 * client connection.
 */
export function proxyStream(
  config: CompiledConfig,
  balancer: Balancer,
  entry: TlsRouteEntry | TcpRouteEntry,
  client: Socket,
  head: Buffer | undefined,
): void {
  const destination = pickDestination(entry, Math.random())
  // A Gateway API backendRef that does not resolve keeps its share of the connections, refused.
  const cluster =
    destination === undefined || destination.invalid === true
      ? undefined
      : config.clusters.get(destination.clusterName)
  const pick =
    cluster === undefined
      ? undefined
      : balancer.pick(cluster, {
          sourceAddress: plainAddress(client.remoteAddress),
          header: () => undefined,
          cookie: () => undefined,
          queryParam: () => undefined,
        })
  if (cluster === undefined || pick === undefined) {
    observeConnection(client, undefined, destination?.clusterName, cluster, undefined)
    client.destroy()
    return
  }
  const endpoint = pick.endpoint
  balancer.acquire(endpoint)
  const upstream = connect({ host: endpoint.address, port: endpoint.port })
  observeConnection(client, upstream, destination?.clusterName, cluster, endpoint)
  const timer = setTimeout(() => upstream.destroy(), cluster.trafficPolicy.connectTimeoutMs)
  let released = false
  const release = () => {
    if (released) return
    released = true
    balancer.release(endpoint)
  }
  upstream.on('error', () => client.destroy())
  client.on('error', () => upstream.destroy())
  upstream.once('close', (hadError: boolean) => {
    release()
    if (hadError) client.destroy()
    else client.end()
  })
  client.once('close', () => upstream.destroy())
  upstream.once('connect', () => {
    clearTimeout(timer)
    if (head !== undefined && head.length > 0) upstream.write(head)
    client.pipe(upstream)
    upstream.pipe(client)
    client.resume()
  })
}
