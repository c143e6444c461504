import { describe, expect, it } from 'vitest'
import { isJwtClaimHeader } from './http-route-match.js'
import { checkVirtualServiceHost } from './virtual-service-hosts.js'
import { goFixed, goFloat, quote } from './virtual-service-report.js'

describe('Go formatting of message arguments', () => {
  it.each([
    [150, '150'],
    [0.5, '0.5'],
    [0, '0'],
    [0.00001, '1e-05'],
    [-0.00002, '-2e-05'],
    [1e21, '1e+21'],
    [0.0001, '0.0001'],
  ])('%%v of %d is %s', (value, text) => {
    expect(goFloat(value)).toBe(text)
  })

  it('%f prints six decimals and %q quotes', () => {
    expect(goFixed(150)).toBe('150.000000')
    expect(goFixed(-1)).toBe('-1.000000')
    expect(quote('a"b')).toBe('"a\\"b"')
  })
})

describe('isJwtClaimHeader', () => {
  it.each([
    ['@request.auth.claims.sub', true],
    ['@request.auth.claims.a.b', true],
    ['@REQUEST.auth.claims.sub', true],
    ['@request.auth.claims[groups]', true],
    ['@request.auth.claims[a][b]', true],
    ['@request.auth.claims', false],
    ['@request.auth.claims.', false],
    ['@request.auth.claims[]', false],
    ['@request.auth.claimsx', false],
    ['x-claims', false],
  ])('%s → %s', (name, expected) => {
    expect(isJwtClaimHeader(name)).toBe(expected)
  })
})

describe('checkVirtualServiceHost', () => {
  it('accepts the AUTO_PASSTHROUGH SNI form only on gateway-bound VirtualServices with SNI matches', () => {
    const host = 'outbound_.80_._.e2e.foobar.mesh'
    expect(checkVirtualServiceHost(host, true, true)).toBeUndefined()
    expect(checkVirtualServiceHost(host, false, true)).toMatch(/invalid/)
    expect(checkVirtualServiceHost(host, true, false)).toMatch(/invalid/)
  })

  it("rejects malformed outbound names with Istio's messages", () => {
    expect(checkVirtualServiceHost('outbound_.80_.x', true, true)).toBe(
      "domain name outbound_.80_.x invalid, should follow 'outbound_.<PORT>_._.<HOSTNAME>' format",
    )
    expect(checkVirtualServiceHost('outbound_.http_._.a.mesh', true, true)).toBe(
      'domain name "outbound_.http_._.a.mesh" invalid (label "http" invalid). should follow outbound_.<PORT>_._.<HOSTNAME> format',
    )
    expect(checkVirtualServiceHost('outbound_.80_._.123', true, true)).toBe(
      'domain name "outbound_.80_._.123" invalid (label "123" invalid). should follow outbound_.<PORT>_._.<HOSTNAME> format',
    )
  })

  it('judges ordinary names as wildcard domains', () => {
    expect(checkVirtualServiceHost('*.example.com', true, true)).toBeUndefined()
    expect(checkVirtualServiceHost('a.*.com', false, false)).toBeDefined()
  })
})
