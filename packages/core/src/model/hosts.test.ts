import { describe, expect, it } from 'vitest'
import {
  hostMatches,
  hostsIntersect,
  intersectHosts,
  isWildcardHost,
  nameSubsetOf,
  namesOverlap,
  parseServerHost,
  serverHostsForNamespace,
} from './hosts.js'

describe('hostMatches', () => {
  it.each([
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', '*.example.com', true],
    ['*.example.com', '*.a.example.com', true],
    ['*.a.example.com', '*.example.com', false],
    ['a.example.com', '*.example.com', false],
    ['*', 'anything.at.all', true],
    ['*', '*', true],
    ['*', '*.example.com', true],
    ['a.example.com', '*', false],
    ['A.Example.COM', 'a.example.com', true],
    ['*.EXAMPLE.com', 'x.example.COM', true],
    ['a.example.com', 'b.example.com', false],
    ['*.com', 'example.com', true],
  ])('%s covers %s: %s', (pattern, host, expected) => {
    expect(hostMatches(pattern, host)).toBe(expected)
  })
})

describe('hostsIntersect', () => {
  it.each([
    ['*.example.com', 'a.example.com', true],
    ['a.example.com', '*.example.com', true],
    ['*.com', '*.example.com', true],
    ['*.example.com', '*.com', true],
    ['*.example.com', 'example.com', false],
    ['example.com', '*.example.com', false],
    ['*', 'x', true],
    ['a.com', 'a.com', true],
    ['a.com', 'A.COM', true],
    ['a.com', 'b.com', false],
    ['*.a.com', '*.b.com', false],
  ])('%s ∩ %s: %s', (a, b, expected) => {
    expect(hostsIntersect(a, b)).toBe(expected)
  })

  it('is symmetric', () => {
    const names = ['*', '*.com', '*.a.com', 'b.a.com', 'a.com', 'x.org', '*.b.a.com']
    for (const a of names) for (const b of names) expect(hostsIntersect(a, b)).toBe(hostsIntersect(b, a))
  })
})

describe('namesOverlap and nameSubsetOf compare as written', () => {
  it('is case-sensitive like Istio', () => {
    expect(namesOverlap('a.com', 'A.com')).toBe(false)
    expect(namesOverlap('*.a.com', 'b.a.com')).toBe(true)
    expect(nameSubsetOf('b.a.com', '*.a.com')).toBe(true)
    expect(nameSubsetOf('*.a.com', 'b.a.com')).toBe(false)
    expect(nameSubsetOf('B.a.com', 'b.a.com')).toBe(false)
  })
})

describe('intersectHosts', () => {
  it.each([
    [['httpbin.example.com'], ['*'], ['httpbin.example.com']],
    [['*'], ['*.foo.com'], ['*.foo.com']],
    [['*.foo.com'], ['bar.com'], []],
    [['*.example.com'], ['example.com'], []],
    [
      ['*.example.com', 'example.com'],
      ['a.example.com', 'example.com'],
      ['a.example.com', 'example.com'],
    ],
    [['*'], ['a.com', 'b.com'], ['a.com', 'b.com']],
    [['*', '*.com'], ['a.com'], ['a.com']],
    [['A.com'], ['*'], ['a.com']],
    [['*.com'], ['*.example.com', '*'], ['*.example.com', '*.com']],
  ])('%j ∩ %j = %j', (a, b, expected) => {
    expect(intersectHosts(a, b)).toEqual(expected)
  })
})

describe('isWildcardHost', () => {
  it('recognises a leading star only', () => {
    expect(isWildcardHost('*')).toBe(true)
    expect(isWildcardHost('*.a.com')).toBe(true)
    expect(isWildcardHost('a.*.com')).toBe(false)
  })
})

describe('parseServerHost', () => {
  it.each([
    ['foo.example.com', undefined, { namespace: '*', host: 'foo.example.com' }],
    ['*', undefined, { namespace: '*', host: '*' }],
    ['ns1/*', undefined, { namespace: 'ns1', host: '*' }],
    ['*/a.example.com', undefined, { namespace: '*', host: 'a.example.com' }],
    ['./a.example.com', undefined, { namespace: '.', host: 'a.example.com' }],
    ['./a.example.com', 'gw-ns', { namespace: 'gw-ns', host: 'a.example.com' }],
    ['prod/A.Example.com', 'gw-ns', { namespace: 'prod', host: 'a.example.com' }],
    ['/a.com', undefined, { namespace: '', host: 'a.com' }],
  ])('%s (gateway ns %s)', (text, gwNs, expected) => {
    expect(parseServerHost(text, gwNs)).toEqual(expected)
  })
})

describe('serverHostsForNamespace', () => {
  it('keeps * entries and those of the namespace, resolving . to the gateway namespace', () => {
    const hosts = ['a.com', 'ns1/b.com', './c.com', '*/d.com', 'ns2/e.com']
    expect(serverHostsForNamespace(hosts, 'ns1', 'gw')).toEqual(['a.com', 'b.com', 'd.com'])
    expect(serverHostsForNamespace(hosts, 'gw', 'gw')).toEqual(['a.com', 'c.com', 'd.com'])
  })
})
