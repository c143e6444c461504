import { describe, expect, it } from 'vitest'
import { authorityHost, createHostTable } from './host-table.js'

describe('createHostTable (Envoy findVirtualHost order)', () => {
  const table = createHostTable([
    ['*', 'any'],
    ['*.example.com', 'wild'],
    ['*.b.example.com', 'wild-b'],
    ['api.example.com', 'exact'],
    ['foo.*', 'prefix'],
    ['foo.bar.*', 'prefix-long'],
    ['*-suffix.com', 'dash'],
  ])
  it.each([
    ['api.example.com', 'exact'],
    ['x.example.com', 'wild'],
    ['a.b.example.com', 'wild-b'],
    ['b.example.com', 'wild'],
    ['example.com', 'any'],
    ['foo.org', 'prefix'],
    ['foo.bar.org', 'prefix-long'],
    ['a-suffix.com', 'dash'],
    ['-suffix.com', 'any'],
    ['example.com.', 'any'],
  ])('%s → %s', (host, expected) => {
    expect(table.find(host)).toBe(expected)
  })
  it('answers undefined without a * domain, and keeps the first value of a duplicate', () => {
    const t = createHostTable([
      ['a.com', 1],
      ['A.com', 2],
    ])
    expect(t.find('a.com')).toBe(1)
    expect(t.find('b.com')).toBeUndefined()
  })
})

describe('authorityHost', () => {
  it.each([
    ['Example.COM:8080', 'example.com'],
    ['example.com', 'example.com'],
    ['[::1]:80', '[::1]'],
    ['[::1]', '[::1]'],
    ['127.0.0.1:80', '127.0.0.1'],
  ])('%s → %s', (authority, host) => {
    expect(authorityHost(authority)).toBe(host)
  })
  it.each([
    [''],
    ['evil@good'],
    ['good/../x'],
    ['a b'],
    ['a:'],
    ['a:8x'],
    [':80'],
    ['[::1'],
    ['[::1]x'],
    ['a:b:c'],
  ])('rejects %j', (authority) => {
    expect(authorityHost(authority)).toBeUndefined()
  })
})
