import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createAdminHostCheck, hostName } from './host-check.js'

describe('hostName', () => {
  it('removes the port and brackets, lowercases and drops one trailing dot', () => {
    expect(hostName('LocalHost:15000')).toBe('localhost')
    expect(hostName('[::1]:15000')).toBe('::1')
    expect(hostName('[::1]')).toBe('::1')
    expect(hostName('::1')).toBe('::1')
    expect(hostName('gw1.example.com.:80')).toBe('gw1.example.com')
    expect(hostName('127.0.0.1')).toBe('127.0.0.1')
  })
})

describe('the admin endpoint host check', () => {
  const loopback = createAdminHostCheck('127.0.0.1', undefined)

  it('answers loopback names and IP addresses, whatever the port', () => {
    for (const host of [
      '127.0.0.1:15000',
      'localhost:15000',
      'LOCALHOST',
      'localhost.:15000',
      'admin.localhost:15000',
      '[::1]:15000',
      '10.0.0.5:25000',
      '[fe80::1]',
    ]) {
      expect(loopback('GET', host, undefined), host).toBeUndefined()
    }
  })

  it('refuses any other name with 403 and says how to allow it', () => {
    const refused = loopback('GET', 'attacker.example:15000', undefined)
    expect(refused?.status).toBe(403)
    expect(refused?.message).toContain('"attacker.example"')
    expect(refused?.message).toContain('--admin-allowed-hosts attacker.example')
    // Names that only look like loopback are names an attacker can point anywhere.
    for (const host of ['localhost.attacker.example', '127.0.0.1.nip.io', 'mylocalhost', 'localhost-1']) {
      expect(loopback('GET', host, undefined), host).toBeDefined()
    }
  })

  it('answers the bound name and the allowed names; a leading dot allows the names under it', () => {
    const check = createAdminHostCheck('gw1.internal', [
      'admin.example.com',
      '.corp.example',
      'Trail.Example.',
    ])
    expect(check('GET', 'gw1.internal:15000', undefined)).toBeUndefined()
    expect(check('GET', 'admin.example.com', undefined)).toBeUndefined()
    expect(check('GET', 'corp.example', undefined)).toBeUndefined()
    expect(check('GET', 'a.b.corp.example:15000', undefined)).toBeUndefined()
    expect(check('GET', 'trail.example', undefined)).toBeUndefined()
    expect(check('GET', 'x.admin.example.com', undefined)).toBeDefined()
    expect(check('GET', 'evilcorp.example', undefined)).toBeDefined()
  })

  it("answers every name with 'all', and requests without Host (HTTP/1.0)", () => {
    expect(createAdminHostCheck('0.0.0.0', 'all')('GET', 'anything.example', undefined)).toBeUndefined()
    expect(loopback('POST', undefined, undefined)).toBeUndefined()
  })

  it('takes a change only from its own origin or from a client that sends none', () => {
    expect(loopback('POST', '127.0.0.1:15000', undefined)).toBeUndefined()
    expect(loopback('POST', '127.0.0.1:15000', 'http://127.0.0.1:15000')).toBeUndefined()
    for (const origin of [
      'http://attacker.example',
      'http://127.0.0.1:3000',
      'null',
      'http://localhost:15000',
    ]) {
      const refused = loopback('POST', '127.0.0.1:15000', origin)
      expect(refused?.status, origin).toBe(403)
      expect(refused?.message).toContain('another origin')
    }
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      expect(loopback(method, '127.0.0.1:15000', 'http://attacker.example')).toBeDefined()
    }
    // Reading stays possible (the answer carries no CORS header, so another page cannot read it).
    expect(loopback('GET', '127.0.0.1:15000', 'http://attacker.example')).toBeUndefined()
    // Turning the name check off keeps the origin check.
    expect(createAdminHostCheck('0.0.0.0', 'all')('DELETE', 'a.example', 'http://b.example')).toBeDefined()
  })

  it('judges a name the same with and without a port, in any case', () => {
    const check = createAdminHostCheck('127.0.0.1', ['.example.com'])
    fc.assert(
      fc.property(fc.domain(), fc.integer({ min: 1, max: 65535 }), (name, port) => {
        const bare = check('GET', name, undefined) === undefined
        expect(check('GET', `${name.toUpperCase()}:${port}`, undefined) === undefined).toBe(bare)
        expect(bare).toBe(
          name === 'example.com' || name.endsWith('.example.com') || name.endsWith('.localhost'),
        )
      }),
    )
  })
})
