import { describe, expect, it } from 'vitest'
import type { RequestFacts } from '../compile/types.js'
import { policyRequest } from './policy-request.js'

const facts: RequestFacts = {
  port: 80,
  sni: 'api.example.com',
  scheme: 'https',
  method: 'POST',
  authority: 'api.example.com',
  path: '/a/../b?x=1',
  headers: { 'x-raw': 'sent' },
  sourceAddress: '10.0.0.9',
}

describe('policyRequest', () => {
  it('takes the normalized path and the headers authentication left, with the connection facts', () => {
    const headers = { 'x-jwt-payload': 'e30' }
    expect(
      policyRequest(facts, '/b', headers, {
        client: '203.0.113.7',
        localPort: 8443,
        localAddress: '127.0.0.1',
      }),
    ).toEqual({
      method: 'POST',
      authority: 'api.example.com',
      path: '/b',
      headers,
      sourceIp: '10.0.0.9',
      remoteIp: '203.0.113.7',
      destinationPort: 8443,
      destinationIp: '127.0.0.1',
      sni: 'api.example.com',
    })
  })

  it('takes the peer as the client when no trusted proxy named another', () => {
    const request = policyRequest(facts, '/b', {}, {})
    expect(request.remoteIp).toBe('10.0.0.9')
    expect(request.destinationPort).toBeUndefined()
  })
})
