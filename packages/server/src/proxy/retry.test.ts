import type { RetryPolicy } from '@portico/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type AttemptFailure,
  avoidsPreviousHosts,
  retriesFailure,
  retriesStatus,
  retryBackoffMs,
} from './retry.js'

const policy = (retryOn: string[], codes: number[] = [], more: Partial<RetryPolicy> = {}): RetryPolicy => ({
  attempts: 2,
  retryOn,
  retriableStatusCodes: codes,
  isDefault: false,
  ...more,
})

describe('retry back-off (Envoy: fully jittered exponential, cap 10 × base)', () => {
  it('with the default 25 ms base the bounds are 25, 50, 100, 200, then 250 ms', () => {
    // A draw just below 1 gives the largest wait of each range: bound − 1.
    const top = () => 0.999_999_9
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => retryBackoffMs(n, 25, top))).toEqual([
      24, 49, 99, 199, 249, 249, 249,
    ])
    expect([0, 1, 2, 3, 4].map((n) => retryBackoffMs(n, 25, () => 0))).toEqual([0, 0, 0, 0, 0])
    expect(retryBackoffMs(1, 25, () => 0.5)).toBe(25)
  })

  it('a configured base scales the range and the cap (Istio retries.backoff)', () => {
    const top = () => 0.999_999_9
    expect([0, 1, 2, 3, 4].map((n) => retryBackoffMs(n, 100, top))).toEqual([99, 199, 399, 799, 999])
  })

  it('every wait is a whole number of milliseconds in [0, min(10 × base, base × 2^n))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 64 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, base, r) => {
          const wait = retryBackoffMs(n, base, () => r)
          const bound = Math.min(10 * base, base * 2 ** n)
          return Number.isInteger(wait) && wait >= 0 && wait < bound
        },
      ),
    )
  })

  it('draws are uniform: each millisecond of the first range is reached', () => {
    let i = 0
    const sweep = () => (i++ % 25) / 25
    const seen = new Set(Array.from({ length: 25 }, () => retryBackoffMs(0, 25, sweep)))
    expect(seen.size).toBe(25)
  })
})

describe('retryOn on failures without a response (Envoy router resets)', () => {
  const failures: AttemptFailure[] = [
    'connect',
    'timeout-connect',
    'reset',
    'protocol',
    'per-try-timeout',
    'route-timeout',
    'aborted',
    'overflow',
  ]
  const retried = (on: string[]) => failures.filter((f) => retriesFailure(policy(on), f))

  it('5xx, gateway-error and reset take every reset, an expired per-try timeout included', () => {
    const all = ['connect', 'timeout-connect', 'reset', 'protocol', 'per-try-timeout']
    expect(retried(['5xx'])).toEqual(all)
    expect(retried(['gateway-error'])).toEqual(all)
    expect(retried(['reset'])).toEqual(all)
  })

  it('connect-failure and reset-before-request take only failures before the request was sent', () => {
    expect(retried(['connect-failure'])).toEqual(['connect', 'timeout-connect'])
    expect(retried(['reset-before-request'])).toEqual(['connect', 'timeout-connect'])
  })

  it('a route timeout, an overflow and a client gone are never retried; status-only tokens take no reset', () => {
    const everything = ['5xx', 'gateway-error', 'reset', 'connect-failure', 'reset-before-request']
    expect(failures.filter((f) => retriesFailure(policy(everything), f))).not.toContain('route-timeout')
    expect(retried(everything)).toEqual([
      'connect',
      'timeout-connect',
      'reset',
      'protocol',
      'per-try-timeout',
    ])
    expect(retried(['retriable-4xx', 'retriable-status-codes', 'envoy-ratelimited', 'unavailable'])).toEqual(
      [],
    )
  })
})

describe('retryOn on responses', () => {
  it('5xx takes 500..599; gateway-error 502, 503, 504; retriable-4xx 409', () => {
    const statuses = [200, 404, 409, 429, 500, 501, 502, 503, 504, 599]
    const retried = (on: string[]) => statuses.filter((s) => retriesStatus(policy(on), s, {}))
    expect(retried(['5xx'])).toEqual([500, 501, 502, 503, 504, 599])
    expect(retried(['gateway-error'])).toEqual([502, 503, 504])
    expect(retried(['retriable-4xx'])).toEqual([409])
    expect(retried(['connect-failure', 'reset', 'refused-stream'])).toEqual([])
  })

  it('retriable-status-codes takes the listed codes only when the token is present', () => {
    expect(retriesStatus(policy(['retriable-status-codes'], [429]), 429, {})).toBe(true)
    expect(retriesStatus(policy(['retriable-status-codes'], [429]), 503, {})).toBe(false)
    expect(retriesStatus(policy(['5xx'], [429]), 429, {})).toBe(false)
    // Istio's default: the token with no codes listed retries no status.
    expect(retriesStatus(policy(['retriable-status-codes']), 503, {})).toBe(false)
  })

  it('an answer with x-envoy-ratelimited is retried under envoy-ratelimited only, whatever its status', () => {
    const limited = { 'x-envoy-ratelimited': 'true' }
    expect(retriesStatus(policy(['envoy-ratelimited']), 429, limited)).toBe(true)
    expect(retriesStatus(policy(['5xx', 'gateway-error']), 503, limited)).toBe(false)
    expect(retriesStatus(policy(['envoy-ratelimited']), 429, {})).toBe(false)
  })

  it('gRPC names read the grpc-status of the response head', () => {
    const grpc = (status: string) => ({ 'grpc-status': status })
    expect(retriesStatus(policy(['unavailable']), 200, grpc('14'))).toBe(true)
    expect(retriesStatus(policy(['cancelled']), 200, grpc('1'))).toBe(true)
    expect(retriesStatus(policy(['deadline-exceeded']), 200, grpc('4'))).toBe(true)
    expect(retriesStatus(policy(['resource-exhausted']), 200, grpc('8'))).toBe(true)
    expect(retriesStatus(policy(['internal']), 200, grpc('13'))).toBe(true)
    expect(retriesStatus(policy(['unavailable']), 200, grpc('13'))).toBe(false)
    expect(retriesStatus(policy(['unavailable']), 200, grpc('0'))).toBe(false)
  })
})

describe('retryIgnorePreviousHosts', () => {
  it('defaults to avoiding tried endpoints except under consistent hashing; an explicit value wins', () => {
    expect(avoidsPreviousHosts(policy(['5xx']), false)).toBe(true)
    expect(avoidsPreviousHosts(policy(['5xx']), true)).toBe(false)
    expect(avoidsPreviousHosts(policy(['5xx'], [], { ignorePreviousHosts: false }), false)).toBe(false)
    expect(avoidsPreviousHosts(policy(['5xx'], [], { ignorePreviousHosts: true }), true)).toBe(true)
  })
})
