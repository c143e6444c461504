import { randomBytes } from 'node:crypto'
import type { Cluster, Endpoint } from '@portico/core'
import { endpointKey } from '../upstream/endpoint.js'

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

interface OutlierState {
  consecutive5xx: number
  consecutiveGateway: number
  ejectedUntil: number
  ejections: number
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
  readonly #outliers = new Map<string, OutlierState>()

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

  /**
   * Records the outcome of a request for outlier detection (DestinationRule `outlierDetection`):
   * `consecutive5xxErrors` 5xx answers or connection failures in a row, or
   * `consecutiveGatewayErrors` 502/503/504 (and connection failures) in a row, eject the
   * endpoint for `baseEjectionTime` × the number of times it was ejected, while no more than
   * `maxEjectionPercent` of the cluster is ejected (one endpoint always may be, as in Envoy).
   */
  report(cluster: Cluster, endpoint: Endpoint, outcome: 'success' | 'error' | 'gateway-error'): void {
    const od = cluster.trafficPolicy.outlierDetection
    if (od === undefined) return
    const key = `${cluster.name}|${endpointKey(endpoint)}`
    let state = this.#outliers.get(key)
    if (outcome === 'success') {
      if (state !== undefined) {
        state.consecutive5xx = 0
        state.consecutiveGateway = 0
      }
      return
    }
    if (state === undefined) {
      state = { consecutive5xx: 0, consecutiveGateway: 0, ejectedUntil: 0, ejections: 0 }
      this.#outliers.set(key, state)
    }
    state.consecutive5xx++
    if (outcome === 'gateway-error') state.consecutiveGateway++
    else state.consecutiveGateway = 0
    const tripped =
      (od.consecutive5xxErrors > 0 && state.consecutive5xx >= od.consecutive5xxErrors) ||
      (od.consecutiveGatewayErrors !== undefined &&
        od.consecutiveGatewayErrors > 0 &&
        state.consecutiveGateway >= od.consecutiveGatewayErrors)
    if (!tripped) return
    const now = performance.now()
    if (state.ejectedUntil > now) return
    const ejected = cluster.endpoints.filter((e) => this.#isEjected(cluster, e, now)).length
    if (ejected > 0 && ((ejected + 1) / cluster.endpoints.length) * 100 > od.maxEjectionPercent) return
    state.ejections++
    state.ejectedUntil = now + od.baseEjectionTimeMs * state.ejections
    state.consecutive5xx = 0
    state.consecutiveGateway = 0
  }

  #isEjected(cluster: Cluster, endpoint: Endpoint, now: number): boolean {
    const state = this.#outliers.get(`${cluster.name}|${endpointKey(endpoint)}`)
    return state !== undefined && state.ejectedUntil > now
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
    if (cluster.trafficPolicy.outlierDetection !== undefined && this.#outliers.size > 0) {
      const now = performance.now()
      candidates = candidates.filter((e) => !this.#isEjected(cluster, e, now))
      // Istio's minHealthPercent 0: with every endpoint ejected there is no healthy upstream.
      if (candidates.length === 0) return undefined
    }
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
