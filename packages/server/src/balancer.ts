import { randomBytes } from 'node:crypto'
import type { Cluster, Endpoint } from '@portico/core'

/** What a consistent-hash policy may hash on, gathered from the request. */
export interface HashInput {
  header(name: string): string | undefined
  cookie(name: string): string | undefined
  queryParam(name: string): string | undefined
  readonly sourceAddress: string | undefined
}

/** An endpoint choice; `setCookie` is a cookie the response must set (consistent hash on a generated cookie). */
export interface Pick {
  readonly endpoint: Endpoint
  readonly setCookie?: string
}

/** `address:port`, bracketing IPv6 addresses. */
export function endpointKey(endpoint: Endpoint): string {
  const host = endpoint.address.includes(':') ? `[${endpoint.address}]` : endpoint.address
  return `${host}:${endpoint.port}`
}

interface ClusterState {
  next: number
  /** Smooth weighted round-robin current weights (only when weights differ). */
  current?: number[]
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  return hash >>> 0
}

/**
 * Load balancing across a cluster's endpoints: round robin (smooth weighted when endpoint
 * weights differ), least request (power of two choices over in-flight counts), random
 * (weighted), and consistent hash (rendezvous hashing: the same key picks the same endpoint while
 * the endpoint set is stable, and only keys of a removed endpoint move).
 */
export class Balancer {
  readonly #state = new WeakMap<Cluster, ClusterState>()
  readonly #inflight = new Map<string, number>()

  /** Counts a request started on an endpoint (for least request). */
  acquire(endpoint: Endpoint): void {
    const key = endpointKey(endpoint)
    this.#inflight.set(key, (this.#inflight.get(key) ?? 0) + 1)
  }

  /** Counts a request finished on an endpoint. */
  release(endpoint: Endpoint): void {
    const key = endpointKey(endpoint)
    const n = (this.#inflight.get(key) ?? 1) - 1
    if (n <= 0) this.#inflight.delete(key)
    else this.#inflight.set(key, n)
  }

  /** In-flight requests on an endpoint. */
  inflight(endpoint: Endpoint): number {
    return this.#inflight.get(endpointKey(endpoint)) ?? 0
  }

  /**
   * Picks an endpoint, avoiding those in `exclude` when another remains (Envoy's previous-hosts
   * retry predicate). `undefined` when the cluster has no endpoint.
   */
  pick(cluster: Cluster, input: HashInput | undefined, exclude?: ReadonlySet<Endpoint>): Pick | undefined {
    let candidates = cluster.endpoints
    if (candidates.length === 0) return undefined
    if (exclude !== undefined && exclude.size > 0) {
      const rest = candidates.filter((e) => !exclude.has(e))
      if (rest.length > 0) candidates = rest
    }
    if (candidates.length === 1) return { endpoint: candidates[0]! }
    const lb = cluster.trafficPolicy.loadBalancer
    switch (lb.kind) {
      case 'ROUND_ROBIN':
        return { endpoint: this.#roundRobin(cluster, candidates) }
      case 'RANDOM':
      case 'PASSTHROUGH':
        return { endpoint: weightedRandom(candidates) }
      case 'CONSISTENT_HASH': {
        const key = lb.key
        let hashKey: string | undefined
        let setCookie: string | undefined
        if ('header' in key) hashKey = input?.header(key.header)
        else if ('queryParameter' in key) hashKey = input?.queryParam(key.queryParameter)
        else if ('sourceIp' in key) hashKey = input?.sourceAddress
        else {
          hashKey = input?.cookie(key.cookie)
          if (hashKey === undefined && key.ttlMs !== undefined) {
            hashKey = randomBytes(8).toString('hex')
            const parts = [`${key.cookie}=${hashKey}`]
            if (key.ttlMs > 0) parts.push(`Max-Age=${Math.floor(key.ttlMs / 1000)}`)
            if (key.path !== undefined) parts.push(`Path=${key.path}`)
            parts.push('HttpOnly')
            setCookie = parts.join('; ')
          }
        }
        if (hashKey === undefined) return { endpoint: weightedRandom(candidates) }
        const endpoint = rendezvous(candidates, hashKey)
        return setCookie === undefined ? { endpoint } : { endpoint, setCookie }
      }
      default:
        return { endpoint: this.#leastRequest(candidates) }
    }
  }

  #roundRobin(cluster: Cluster, candidates: readonly Endpoint[]): Endpoint {
    let state = this.#state.get(cluster)
    if (state === undefined) {
      state = { next: 0 }
      this.#state.set(cluster, state)
    }
    const w0 = candidates[0]!.weight
    if (candidates.every((e) => e.weight === w0)) {
      const endpoint = candidates[state.next % candidates.length]!
      state.next = (state.next + 1) % 1_000_000_007
      return endpoint
    }
    // Smooth weighted round robin over the full endpoint list, skipping excluded endpoints.
    const all = cluster.endpoints
    if (state.current === undefined || state.current.length !== all.length) state.current = all.map(() => 0)
    const current = state.current
    let total = 0
    let best = -1
    for (let i = 0; i < all.length; i++) {
      const e = all[i]!
      if (!candidates.includes(e)) continue
      const w = Math.max(e.weight, 0) || 1
      current[i] = (current[i] ?? 0) + w
      total += w
      if (best < 0 || (current[i] ?? 0) > (current[best] ?? 0)) best = i
    }
    current[best] = (current[best] ?? 0) - total
    return all[best]!
  }

  #leastRequest(candidates: readonly Endpoint[]): Endpoint {
    const a = candidates[Math.floor(Math.random() * candidates.length)]!
    let b = candidates[Math.floor(Math.random() * (candidates.length - 1))]!
    if (b === a) b = candidates[candidates.length - 1]!
    const la = this.inflight(a) / (a.weight || 1)
    const lb = this.inflight(b) / (b.weight || 1)
    return lb < la ? b : a
  }
}

function weightedRandom(candidates: readonly Endpoint[]): Endpoint {
  let total = 0
  for (const e of candidates) total += Math.max(e.weight, 0) || 1
  let draw = Math.random() * total
  for (const e of candidates) {
    draw -= Math.max(e.weight, 0) || 1
    if (draw < 0) return e
  }
  return candidates[candidates.length - 1]!
}

function rendezvous(candidates: readonly Endpoint[], key: string): Endpoint {
  let best = candidates[0]!
  let bestScore = -1
  for (const e of candidates) {
    const score = fnv1a(`${endpointKey(e)}#${key}`)
    if (score > bestScore) {
      bestScore = score
      best = e
    }
  }
  return best
}
