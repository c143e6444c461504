import { describe, expect, it } from 'vitest'
import { requestFactsFor } from './request-facts.js'

describe('requestFactsFor', () => {
  it('takes the port from the URL, else the scheme, and the SNI from an https host', () => {
    expect(requestFactsFor('get', 'https://httpbin.example.com/status/200')).toEqual({
      ok: true,
      facts: {
        port: 443,
        sni: 'httpbin.example.com',
        scheme: 'https',
        method: 'GET',
        authority: 'httpbin.example.com',
        path: '/status/200',
        headers: { host: 'httpbin.example.com' },
      },
    })
    const plain = requestFactsFor('GET', 'http://a.example:8080?x=1', ['X-Team: blue', 'Host: b.example'])
    expect(plain).toMatchObject({
      ok: true,
      facts: {
        port: 8080,
        authority: 'b.example',
        path: '/?x=1',
        headers: { 'x-team': 'blue', host: 'b.example' },
      },
    })
    expect(requestFactsFor('GET', 'http://a.example/x', [], 8443)).toMatchObject({ facts: { port: 8443 } })
  })
  it('keeps the path exactly as typed', () => {
    expect(requestFactsFor('GET', 'http://a.example/a/../b%2F/./c')).toMatchObject({
      facts: { path: '/a/../b%2F/./c' },
    })
  })
  it('says what is wrong with a request that cannot be one', () => {
    expect(requestFactsFor('GET', '/relative')).toEqual({
      ok: false,
      error: 'an absolute http(s) URL is needed, not "/relative"',
    })
    expect(requestFactsFor('G T', 'http://a/')).toMatchObject({ ok: false })
    expect(requestFactsFor('GET', 'http://a/', ['no-colon'])).toMatchObject({ ok: false })
    expect(requestFactsFor('GET', 'http://a:70000/')).toMatchObject({ ok: false })
  })
})
