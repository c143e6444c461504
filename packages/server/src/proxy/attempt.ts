import type { Cluster, Endpoint } from '@portico/core'
import { UpstreamError } from '../upstream/h1-client.js'
import type { Balancer } from './balancer.js'
import type { AttemptFailure } from './retry.js'
import { Trip } from './trip.js'

/**
 * One try at an upstream endpoint, and its cancellation: it fires when the route times out, when
 * the downstream goes away, or when its per-try timeout expires. It is the `signal` of the
 * upstream request and of the relay of its response.
 */
export class Attempt extends Trip {
  readonly #route: Trip
  readonly #downstream: Trip
  readonly #onRoute = () => this.abort(this.#route.reason)
  readonly #onGone = () => this.abort({ failure: 'aborted' })
  readonly #perTry: NodeJS.Timeout | undefined

  constructor(route: Trip, downstream: Trip, perTryTimeoutMs: number | undefined) {
    super()
    this.#route = route
    this.#downstream = downstream
    route.once('abort', this.#onRoute)
    downstream.once('abort', this.#onGone)
    this.#perTry =
      perTryTimeoutMs !== undefined && perTryTimeoutMs > 0
        ? setTimeout(() => this.abort({ failure: 'per-try-timeout' }), perTryTimeoutMs)
        : undefined
  }

  /** The upstream answered (or failed): the per-try timeout and the downstream no longer cancel it. */
  settle(): void {
    clearTimeout(this.#perTry)
    this.#downstream.removeListener('abort', this.#onGone)
  }

  /** Done with the attempt (failed, retried, or its response relayed): the route timer lets it go. */
  release(): void {
    this.#route.removeListener('abort', this.#onRoute)
  }
}

/** How an attempt failed, and the words of Envoy's local reply for it. */
export interface AttemptError {
  readonly failure: AttemptFailure
  readonly detail: string
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
])

const PROTOCOL_CODES = new Set([
  'UND_ERR_HEADERS_OVERFLOW',
  'UND_ERR_INVALID_ARG',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_EXCEEDED_MAX_SIZE',
])

/**
 * Names the failure of an attempt from the error of its upstream request (our HTTP/1.1 client's
 * or undici's), or from the reason its signal fired.
 */
export function classifyFailure(error: unknown, signal: Trip): AttemptError {
  if (signal.aborted) {
    const reason = signal.reason as { failure?: AttemptFailure } | undefined
    return { failure: reason?.failure ?? 'aborted', detail: 'aborted' }
  }
  if (error instanceof UpstreamError) {
    switch (error.kind) {
      case 'connect':
        return { failure: 'connect', detail: `connection failure (${error.code ?? 'error'})` }
      case 'timeout-connect':
        return { failure: 'timeout-connect', detail: 'connection timeout' }
      case 'protocol':
        return { failure: 'protocol', detail: 'protocol error' }
      case 'aborted':
        return { failure: 'aborted', detail: 'aborted' }
      case 'overflow':
        return { failure: 'overflow', detail: 'overflow' }
      default:
        return { failure: 'reset', detail: 'connection termination' }
    }
  }
  const code = (error as { code?: string } | undefined)?.code ?? ''
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { failure: 'timeout-connect', detail: 'connection timeout' }
  if (CONNECT_CODES.has(code)) return { failure: 'connect', detail: `connection failure (${code})` }
  // undici's HTTPParserError often carries no code: match it by name (garbage, bare CR → 502 UPE).
  const name = (error as { name?: string } | undefined)?.name
  if (code.startsWith('HPE_') || PROTOCOL_CODES.has(code) || name === 'HTTPParserError') {
    return { failure: 'protocol', detail: 'protocol error' }
  }
  return { failure: 'reset', detail: 'connection termination' }
}

/**
 * Tells outlier detection how an attempt without a response went: connection failures and
 * resets count as gateway errors, protocol errors as errors; other failures are not the
 * endpoint's.
 */
export function reportFailure(
  balancer: Balancer,
  cluster: Cluster,
  endpoint: Endpoint,
  failure: AttemptFailure | undefined,
): void {
  if (failure === 'connect' || failure === 'timeout-connect' || failure === 'reset') {
    balancer.report(cluster, endpoint, 'gateway-error')
  } else if (failure === 'protocol') {
    balancer.report(cluster, endpoint, 'error')
  }
}

/** Tells outlier detection the status an endpoint answered (502, 503, 504 are gateway errors). */
export function reportStatus(balancer: Balancer, cluster: Cluster, endpoint: Endpoint, status: number): void {
  balancer.report(
    cluster,
    endpoint,
    status === 502 || status === 503 || status === 504
      ? 'gateway-error'
      : status >= 500
        ? 'error'
        : 'success',
  )
}
