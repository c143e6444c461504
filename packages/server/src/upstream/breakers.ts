import type { Cluster } from '@portico/core'

/** The circuit-breaker limits of a cluster (DestinationRule `trafficPolicy.connectionPool`). */
export interface BreakerLimits {
  /** `tcp.maxConnections`: open connections to the cluster's endpoints together. */
  readonly maxConnections?: number | undefined
  /** `http.http1MaxPendingRequests`: requests waiting for a connection. */
  readonly maxPendingRequests?: number | undefined
  /** `http.http2MaxRequests`: requests in flight (HTTP/1.1 and HTTP/2 alike, as in Envoy). */
  readonly maxRequests?: number | undefined
  /** `http.maxRetries`: retries outstanding at once. */
  readonly maxRetries?: number | undefined
}

/**
 * Envoy's circuit breakers of one cluster: counters shared by the connection pools of all its
 * endpoints, checked where Envoy checks them. A request that finds no idle connection waits only
 * while fewer than `maxPendingRequests` wait; a request is sent only while fewer than
 * `maxRequests` are in flight; a pool opens a connection only while the cluster has fewer than
 * `maxConnections` (or when it has none of its own, so that no endpoint starves); a retry is made
 * only while fewer than `maxRetries` are outstanding. Overflow is answered 503 with flag `UO`.
 */
export class CircuitBreaker {
  connections = 0
  pending = 0
  requests = 0
  retries = 0
  /** How many requests overflowed (pending queue, requests in flight) and retries were refused. */
  readonly overflows = { pending: 0, requests: 0, retries: 0 }

  constructor(readonly limits: BreakerLimits) {}

  canConnect(): boolean {
    const max = this.limits.maxConnections
    return max === undefined || this.connections < max
  }

  /** Whether one more request may wait for a connection; counts the refusal otherwise. */
  admitPending(): boolean {
    const max = this.limits.maxPendingRequests
    if (max === undefined || this.pending < max) return true
    this.overflows.pending++
    return false
  }

  /** Whether one more request may be sent; counts the refusal otherwise. */
  admitRequest(): boolean {
    const max = this.limits.maxRequests
    if (max === undefined || this.requests < max) return true
    this.overflows.requests++
    return false
  }

  /** Takes a retry slot; `false` (counted) when `maxRetries` are already outstanding. */
  takeRetry(): boolean {
    const max = this.limits.maxRetries
    if (max !== undefined && this.retries >= max) {
      this.overflows.retries++
      return false
    }
    this.retries++
    return true
  }

  releaseRetry(): void {
    if (this.retries > 0) this.retries--
  }
}

/** A cluster's breaker limits, or `undefined` when it sets none (nothing is counted then). */
export function breakerLimits(cluster: Cluster): BreakerLimits | undefined {
  const p = cluster.trafficPolicy
  if (
    p.maxConnections === undefined &&
    p.maxPendingRequests === undefined &&
    p.maxRequests === undefined &&
    p.maxRetries === undefined
  ) {
    return undefined
  }
  return {
    maxConnections: p.maxConnections,
    maxPendingRequests: p.maxPendingRequests,
    maxRequests: p.maxRequests,
    maxRetries: p.maxRetries,
  }
}

/** Identifies a cluster's breaker: its name and limits (changed limits make a new breaker, as in Envoy). */
export function breakerKey(cluster: Cluster, limits: BreakerLimits): string {
  return `${cluster.name}|${limits.maxConnections ?? ''}|${limits.maxPendingRequests ?? ''}|${limits.maxRequests ?? ''}|${limits.maxRetries ?? ''}`
}
