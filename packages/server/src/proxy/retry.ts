import type { RetryPolicy } from '@portico/core'
import type { HeaderRecord } from '../types.js'
import type { CircuitBreaker } from '../upstream/breakers.js'

/** Envoy's default base interval between attempts (`upstream.base_retry_backoff_ms`). */
export const DEFAULT_BACKOFF_BASE_MS = 25

/** How an attempt failed before any response head arrived. */
export type AttemptFailure =
  | 'connect'
  | 'timeout-connect'
  | 'reset'
  | 'protocol'
  | 'per-try-timeout'
  | 'route-timeout'
  | 'aborted'
  | 'overflow'

/**
 * The wait before retry number `retry` (0 for the first retry), as Envoy's fully jittered
 * exponential back-off draws it: a whole number of milliseconds, uniform in
 * `[0, min(10 × base, base × 2^retry))`. `random` returns a number in `[0, 1)`.
 */
export function retryBackoffMs(retry: number, baseMs: number, random: () => number): number {
  const base = Math.max(1, Math.floor(baseMs))
  const bound = Math.min(base * 10, base * 2 ** Math.min(retry, 31))
  return Math.min(bound - 1, Math.floor(random() * bound))
}

/**
 * Whether a failure without a response is retried under the policy's `retryOn`, as Envoy's
 * router decides on a reset: `5xx`, `gateway-error` and `reset` take every reset (connection
 * failures, resets, protocol errors, an expired per-try timeout); `connect-failure` and
 * `reset-before-request` take the failures that happen before the request was sent. A route
 * timeout, a circuit-breaker overflow and a client that went away are never retried.
 */
export function retriesFailure(policy: RetryPolicy, failure: AttemptFailure): boolean {
  const on = policy.retryOn
  switch (failure) {
    case 'connect':
    case 'timeout-connect':
      return on.some(
        (t) =>
          t === 'connect-failure' ||
          t === 'reset-before-request' ||
          t === '5xx' ||
          t === 'gateway-error' ||
          t === 'reset',
      )
    case 'reset':
    case 'protocol':
    case 'per-try-timeout':
      return on.some((t) => t === '5xx' || t === 'gateway-error' || t === 'reset')
    default:
      return false
  }
}

const GRPC_TOKENS: Readonly<Record<string, string>> = {
  '1': 'cancelled',
  '4': 'deadline-exceeded',
  '8': 'resource-exhausted',
  '13': 'internal',
  '14': 'unavailable',
}

/**
 * Whether a response is retried under the policy's `retryOn` (Envoy's `x-envoy-retry-on` and
 * `x-envoy-retry-grpc-on` vocabularies): an answer carrying `x-envoy-ratelimited` only under
 * `envoy-ratelimited`; otherwise `5xx` on any 5xx, `gateway-error` on 502/503/504,
 * `retriable-4xx` on 409, `retriable-status-codes` on the listed codes, and the gRPC names on
 * the `grpc-status` of the response head.
 */
export function retriesStatus(policy: RetryPolicy, status: number, headers: HeaderRecord): boolean {
  const on = policy.retryOn
  if (headers['x-envoy-ratelimited'] !== undefined) return on.includes('envoy-ratelimited')
  if (status >= 500 && status <= 599 && on.includes('5xx')) return true
  if ((status === 502 || status === 503 || status === 504) && on.includes('gateway-error')) return true
  if (status === 409 && on.includes('retriable-4xx')) return true
  if (on.includes('retriable-status-codes') && policy.retriableStatusCodes.includes(status)) return true
  const grpc = headers['grpc-status']
  if (typeof grpc === 'string') {
    const token = GRPC_TOKENS[grpc]
    if (token !== undefined && on.includes(token)) return true
  }
  return false
}

/**
 * Whether a retry avoids the endpoints already tried (Envoy's previous-hosts predicate): as
 * `retryIgnorePreviousHosts` says, else Istio's default, on except for consistent hashing.
 */
export function avoidsPreviousHosts(policy: RetryPolicy, consistentHash: boolean): boolean {
  return policy.ignorePreviousHosts ?? !consistentHash
}

/**
 * Takes a retry slot of the cluster's circuit breaker (DestinationRule `maxRetries`: the retries
 * outstanding to a cluster at once, taken per retry as Envoy does) for the next attempt, after
 * handing back the slot `held` since the previous retry. Returns the breaker whose slot the
 * request holds now (`undefined` when the cluster counts no retries), or `false` when the breaker
 * refuses: then no retry is made and the last answer stands, flagged UO (Envoy's retry overflow).
 */
export function takeRetrySlot(
  held: CircuitBreaker | undefined,
  breaker: CircuitBreaker | undefined,
): CircuitBreaker | undefined | false {
  held?.releaseRetry()
  return breaker === undefined || breaker.takeRetry() ? breaker : false
}
