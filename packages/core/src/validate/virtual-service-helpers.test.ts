import { describe, expect, it } from 'vitest'
import { checkVirtualServiceHost } from './virtual-service-hosts.js'
import { goFixed } from './virtual-service-report.js'

describe('goFixed', () => {
  it("prints Go's %f: six decimals", () => {
    expect(goFixed(150)).toBe('150.000000')
    expect(goFixed(-1)).toBe('-1.000000')
    expect(goFixed(0.5)).toBe('0.500000')
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
