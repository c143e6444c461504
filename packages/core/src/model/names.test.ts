import { describe, expect, it } from 'vitest'
import { isIpAddress, resolveGatewayName, resolveShortname } from './names.js'

describe('resolveShortname', () => {
  it.each([
    ['httpbin', 'default', 'httpbin.default.svc.cluster.local'],
    ['httpbin', 'prod', 'httpbin.prod.svc.cluster.local'],
    ['httpbin', '', 'httpbin.default.svc.cluster.local'],
    ['httpbin.prod', 'default', 'httpbin.prod'],
    ['httpbin.example.com', 'default', 'httpbin.example.com'],
    ['*', 'prod', '*'],
    ['*.example.com', 'prod', '*.example.com'],
    ['10.0.0.1', 'prod', '10.0.0.1'],
    ['::1', 'prod', '::1'],
    ['2001:db8::1', 'prod', '2001:db8::1'],
  ])('%s in %s → %s', (host, ns, expected) => {
    expect(resolveShortname(host, ns)).toBe(expected)
  })

  it('defaults the namespace', () => {
    expect(resolveShortname('httpbin')).toBe('httpbin.default.svc.cluster.local')
  })
})

describe('resolveGatewayName', () => {
  it.each([
    ['mesh', 'prod', 'mesh'],
    ['my-gw', 'prod', { kind: 'Gateway', namespace: 'prod', name: 'my-gw' }],
    ['./my-gw', 'prod', { kind: 'Gateway', namespace: 'prod', name: 'my-gw' }],
    ['istio-system/my-gw', 'prod', { kind: 'Gateway', namespace: 'istio-system', name: 'my-gw' }],
    ['my-gw.ns1', 'prod', { kind: 'Gateway', namespace: 'ns1', name: 'my-gw' }],
    ['my-gw.ns1.svc.cluster.local', 'prod', { kind: 'Gateway', namespace: 'ns1', name: 'my-gw' }],
  ])('%s from %s', (name, ns, expected) => {
    expect(resolveGatewayName(name, ns)).toEqual(expected)
  })

  it('defaults the namespace', () => {
    expect(resolveGatewayName('gw')).toEqual({ kind: 'Gateway', namespace: 'default', name: 'gw' })
  })
})

describe('isIpAddress', () => {
  it.each([
    ['1.1.1.1', true],
    ['255.255.255.255', true],
    ['256.1.1.1', false],
    ['01.1.1.1', false],
    ['1.1.1', false],
    ['::', true],
    ['::1', true],
    ['fe80::1:2', true],
    ['1:2:3:4:5:6:7:8', true],
    ['1:2:3:4:5:6:7:8:9', false],
    ['1::2::3', false],
    ['::ffff:1.2.3.4', true],
    ['12345::', false],
    ['a.com', false],
    ['', false],
    ['1.1.1.1/32', false],
  ])('%s → %s', (text, expected) => {
    expect(isIpAddress(text)).toBe(expected)
  })
})
