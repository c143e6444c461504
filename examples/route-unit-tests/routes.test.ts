// A user's own suite: the routing of routes.yaml checked with route(), no sockets, no server.
import { fileURLToPath } from 'node:url'
import {
  type CompiledConfig,
  compile,
  createSnapshot,
  hasErrors,
  loadResources,
  type RequestFacts,
  route,
  validate,
} from '@portico/core'
import { arbitraries } from '@portico/testing'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'

let compiled: CompiledConfig

beforeAll(async () => {
  const { resources, diagnostics } = await loadResources([
    fileURLToPath(new URL('routes.yaml', import.meta.url)),
  ])
  const findings = [...diagnostics, ...validate(resources)]
  expect(hasErrors(findings)).toBe(false)
  compiled = compile(createSnapshot(resources)).value
})

/** A GET to api.example.com on gateway port 80. */
function get(path: string, headers: Record<string, string> = {}): RequestFacts {
  return { port: 80, scheme: 'http', method: 'GET', authority: 'api.example.com', path, headers }
}

describe('api.example.com', () => {
  it('sends /v1/ to api with the prefix rewritten', () => {
    const d = route(compiled, get('/v1/users?page=2'))
    expect(d.kind).toBe('route')
    if (d.kind !== 'route') return
    expect(d.origin.name).toBe('v1')
    expect(d.forward.destinations[0]?.clusterName).toBe('outbound|8080||api.default.svc.cluster.local')
    expect(d.upstreamPath).toBe('/users?page=2')
  })

  it('sends x-beta: 1 to api-beta, unrewritten', () => {
    const d = route(compiled, get('/v1/users', { 'x-beta': '1' }))
    expect(d.kind === 'route' && d.origin.name).toBe('beta')
    expect(d.kind === 'route' && d.forward.destinations[0]?.host).toBe('api-beta.default.svc.cluster.local')
    expect(d.kind === 'route' && d.upstreamPath).toBe('/v1/users')
  })

  it('redirects /old with 308', () => {
    const d = route(compiled, get('/old'))
    expect(d).toMatchObject({ kind: 'redirect', status: 308, location: 'http://api.example.com/v1/' })
  })

  it('answers 404 for what is not exposed, other hosts and other ports', () => {
    expect(route(compiled, get('/admin'))).toMatchObject({ kind: 'notFound', reason: 'no-route' })
    expect(route(compiled, { ...get('/v1/'), authority: 'www.example.com' })).toMatchObject({
      kind: 'notFound',
      reason: 'no-virtual-host',
    })
    expect(route(compiled, { ...get('/v1/'), port: 443 })).toMatchObject({
      kind: 'notFound',
      reason: 'no-listener',
    })
  })

  it('normalizes dot segments before matching, so /v1/../admin is not under /v1/', () => {
    expect(route(compiled, get('/v1/../admin'))).toMatchObject({ kind: 'notFound', path: '/admin' })
  })
})

const segment = fc.stringMatching(/^[a-z0-9-]{1,8}$/)

describe('properties', () => {
  it('every path under /v1/ reaches api with /v1 cut off', () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 4 }), (parts) => {
        const d = route(compiled, get(`/v1/${parts.join('/')}`))
        return d.kind === 'route' && d.origin.name === 'v1' && d.upstreamPath === `/${parts.join('/')}`
      }),
    )
  })

  it('nothing outside /v1/ and /old is routed', () => {
    fc.assert(
      fc.property(
        fc
          .array(segment, { minLength: 1, maxLength: 4 })
          .filter((p) => p[0] !== 'v1' && p.join('/') !== 'old'),
        (parts) => route(compiled, get(`/${parts.join('/')}`)).kind === 'notFound',
      ),
    )
  })

  it('route() decides every request aimed at any valid config without throwing', () => {
    // arbitraries.config() draws resource sets Istio accepts; arbitraries.request() aims requests at them.
    const setup = arbitraries
      .config({ plaintext: true })
      .chain((resources) =>
        fc.tuple(fc.constant(resources), fc.array(arbitraries.request(resources), { maxLength: 5 })),
      )
    fc.assert(
      fc.property(setup, ([resources, requests]) => {
        expect(hasErrors(validate(resources))).toBe(false)
        const config = compile(createSnapshot(resources)).value
        for (const facts of requests) {
          const d = route(config, facts)
          expect(['route', 'redirect', 'directResponse', 'notFound', 'reject']).toContain(d.kind)
        }
      }),
      { numRuns: 50 },
    )
  })
})
