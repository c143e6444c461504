import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hostMatches, hostsIntersect, intersectHosts } from './hosts.js'

const label = fc.constantFrom('a', 'b', 'example', 'com', 'io')
const concrete = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.'))
const wildcard = fc.oneof(
  fc.constant('*'),
  fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => `*.${ls.join('.')}`),
)
const name = fc.oneof(concrete, wildcard)

describe('host algebra properties', () => {
  it('a concrete host matches a pattern exactly when the pattern covers it by suffix', () => {
    fc.assert(
      fc.property(wildcard, concrete, (pattern, host) => {
        const suffix = pattern.slice(1)
        expect(hostMatches(pattern, host)).toBe(pattern === '*' || host.endsWith(suffix))
      }),
    )
  })

  it('subset implies intersection, and intersection is symmetric', () => {
    fc.assert(
      fc.property(name, name, (a, b) => {
        if (hostMatches(a, b)) expect(hostsIntersect(a, b)).toBe(true)
        expect(hostsIntersect(a, b)).toBe(hostsIntersect(b, a))
      }),
    )
  })

  it('every name in an intersection is covered by a name of each list', () => {
    fc.assert(
      fc.property(fc.array(name, { maxLength: 4 }), fc.array(name, { maxLength: 4 }), (a, b) => {
        for (const h of intersectHosts(a, b)) {
          expect(a.some((x) => hostMatches(x, h))).toBe(true)
          expect(b.some((y) => hostMatches(y, h))).toBe(true)
        }
      }),
    )
  })

  it('a concrete host covered by both lists is covered by the intersection', () => {
    fc.assert(
      fc.property(fc.array(name, { maxLength: 4 }), fc.array(name, { maxLength: 4 }), concrete, (a, b, h) => {
        if (a.some((x) => hostMatches(x, h)) && b.some((y) => hostMatches(y, h))) {
          expect(intersectHosts(a, b).some((z) => hostMatches(z, h))).toBe(true)
        }
      }),
    )
  })
})
