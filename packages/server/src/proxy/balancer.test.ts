import type { Cluster, ClusterPolicy } from '@portico/core'
import { describe, expect, it } from 'vitest'
import { cluster } from '../test/config.js'
import { endpointKey } from '../upstream/endpoint.js'
import { Balancer, type HashInput } from './balancer.js'

const endpoints: { port: number; weight?: number }[] = [
  { port: 1001 },
  { port: 1002 },
  { port: 1003 },
  { port: 1004 },
]

function make(loadBalancer: ClusterPolicy['loadBalancer'], eps = endpoints): Cluster {
  return cluster('c', eps, { loadBalancer })
}

function input(values: { header?: string; cookie?: string; query?: string; ip?: string }): HashInput {
  return {
    header: () => values.header,
    cookie: () => values.cookie,
    queryParam: () => values.query,
    sourceAddress: values.ip,
  }
}

const portOf = (b: Balancer, c: Cluster, i?: HashInput) => b.pick(c, i)!.endpoint.port

describe('load balancing', () => {
  it('round robin visits every endpoint in turn', () => {
    const b = new Balancer()
    const c = make({ kind: 'ROUND_ROBIN' })
    expect(Array.from({ length: 8 }, () => portOf(b, c))).toEqual([
      1001, 1002, 1003, 1004, 1001, 1002, 1003, 1004,
    ])
  })

  it('weighted round robin follows endpoint weights', () => {
    const b = new Balancer()
    const c = make({ kind: 'ROUND_ROBIN' }, [
      { port: 1, weight: 3 },
      { port: 2, weight: 1 },
    ])
    const picks = Array.from({ length: 8 }, () => portOf(b, c))
    expect(picks.filter((p) => p === 1).length).toBe(6)
  })

  it('least request prefers the endpoint with fewer requests in flight', () => {
    const b = new Balancer()
    const c = make({ kind: 'LEAST_REQUEST' }, [{ port: 1 }, { port: 2 }])
    for (let i = 0; i < 5; i++) b.acquire(c.endpoints[0]!)
    for (let i = 0; i < 20; i++) expect(portOf(b, c)).toBe(2)
    for (let i = 0; i < 5; i++) b.release(c.endpoints[0]!)
    expect(b.inflight(c.endpoints[0]!)).toBe(0)
  })

  it('random reaches every endpoint', () => {
    const b = new Balancer()
    const c = make({ kind: 'RANDOM' })
    const seen = new Set(Array.from({ length: 200 }, () => portOf(b, c)))
    expect(seen.size).toBe(4)
  })

  it.each([
    ['header', { header: 'x-user' }, (k: string) => input({ header: k })],
    ['cookie', { cookie: 'session' }, (k: string) => input({ cookie: k })],
    ['query parameter', { queryParameter: 'user' }, (k: string) => input({ query: k })],
    ['source IP', { sourceIp: true as const }, (k: string) => input({ ip: k })],
  ])('consistent hash on a %s keeps a key on one endpoint and spreads keys', (_name, key, build) => {
    const b = new Balancer()
    const c = make({ kind: 'CONSISTENT_HASH', key })
    const chosen = new Set<number>()
    for (let k = 0; k < 64; k++) {
      const first = portOf(b, c, build(`key-${k}`))
      for (let i = 0; i < 5; i++) expect(portOf(b, c, build(`key-${k}`))).toBe(first)
      chosen.add(first)
    }
    expect(chosen.size).toBeGreaterThan(1)
  })

  it('consistent hash moves only the keys of a removed endpoint', () => {
    const b = new Balancer()
    const key = { header: 'x-user' }
    const full = make({ kind: 'CONSISTENT_HASH', key })
    const fewer = make({ kind: 'CONSISTENT_HASH', key }, endpoints.slice(0, 3))
    for (let k = 0; k < 100; k++) {
      const before = portOf(b, full, input({ header: `u${k}` }))
      const after = portOf(b, fewer, input({ header: `u${k}` }))
      if (before !== 1004) expect(after).toBe(before)
    }
  })

  it('consistent hash on a missing cookie with a ttl generates one to set', () => {
    const b = new Balancer()
    const c = make({ kind: 'CONSISTENT_HASH', key: { cookie: 'sticky', ttlMs: 60_000, path: '/' } })
    const pick = b.pick(c, input({}))!
    expect(pick.setCookie).toMatch(/^sticky=[0-9a-f]{16}; Max-Age=60; Path=\/; HttpOnly$/)
    const value = pick.setCookie!.split(';')[0]!.split('=')[1]!
    expect(portOf(b, c, input({ cookie: value }))).toBe(pick.endpoint.port)
  })

  it('avoids excluded endpoints while others remain', () => {
    const b = new Balancer()
    const c = make({ kind: 'ROUND_ROBIN' }, [{ port: 1 }, { port: 2 }])
    for (let i = 0; i < 6; i++)
      expect(b.pick(c, undefined, new Set([c.endpoints[0]!]))!.endpoint.port).toBe(2)
    expect(b.pick(c, undefined, new Set(c.endpoints))).toBeDefined()
    expect(b.pick(make({ kind: 'ROUND_ROBIN' }, []), undefined)).toBeUndefined()
  })

  it('brackets IPv6 endpoint addresses', () => {
    expect(endpointKey({ address: '::1', port: 80, labels: {}, weight: 1 })).toBe('[::1]:80')
  })

  it('ejects an endpoint after consecutive errors, and readmits it after the ejection time', async () => {
    const b = new Balancer()
    const c = cluster('od', [{ port: 1 }, { port: 2 }], {
      loadBalancer: { kind: 'ROUND_ROBIN' },
      outlierDetection: {
        consecutive5xxErrors: 3,
        intervalMs: 1000,
        baseEjectionTimeMs: 100,
        maxEjectionPercent: 10,
      },
    })
    const bad = c.endpoints[0]!
    b.report(c, bad, 'error')
    b.report(c, bad, 'error')
    b.report(c, bad, 'success')
    b.report(c, bad, 'error')
    expect(new Set(Array.from({ length: 4 }, () => portOf(b, c))).size).toBe(2)
    b.report(c, bad, 'error')
    b.report(c, bad, 'gateway-error')
    // Ejected: only the healthy endpoint is chosen, although 10% of 2 endpoints is less than one.
    for (let i = 0; i < 6; i++) expect(portOf(b, c)).toBe(2)
    // No more than maxEjectionPercent beyond the first: the second endpoint stays.
    for (let i = 0; i < 5; i++) b.report(c, c.endpoints[1]!, 'error')
    expect(portOf(b, c)).toBe(2)
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(new Set(Array.from({ length: 4 }, () => portOf(b, c))).size).toBe(2)
  })

  it('counts only gateway errors toward consecutiveGatewayErrors', () => {
    const b = new Balancer()
    const c = cluster('gw', [{ port: 1 }, { port: 2 }], {
      loadBalancer: { kind: 'ROUND_ROBIN' },
      outlierDetection: {
        consecutive5xxErrors: 0,
        consecutiveGatewayErrors: 2,
        intervalMs: 1000,
        baseEjectionTimeMs: 10_000,
        maxEjectionPercent: 100,
      },
    })
    b.report(c, c.endpoints[0]!, 'error')
    b.report(c, c.endpoints[0]!, 'error')
    expect(new Set(Array.from({ length: 4 }, () => portOf(b, c))).size).toBe(2)
    b.report(c, c.endpoints[0]!, 'gateway-error')
    b.report(c, c.endpoints[0]!, 'gateway-error')
    for (let i = 0; i < 4; i++) expect(portOf(b, c)).toBe(2)
    b.report(c, c.endpoints[1]!, 'gateway-error')
    b.report(c, c.endpoints[1]!, 'gateway-error')
    expect(b.pick(c, undefined)).toBeUndefined()
  })
})
