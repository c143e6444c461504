import { describe, expect, it } from 'vitest'
import { PyRandom } from './random.js'
import { dumpCookie, environHeaders, requestUrl, semiflatten, titleCase, urlDecode } from './werkzeug.js'

describe('Werkzeug request details', () => {
  it('title-cases header names as str.title() does', () => {
    expect(titleCase('x-b3-traceid')).toBe('X-B3-Traceid')
    expect(titleCase('X-ENVOY-upstream')).toBe('X-Envoy-Upstream')
    expect(titleCase('x-b3t')).toBe('X-B3T')
  })

  it('joins repeated headers with a bare comma and reads _ as -', () => {
    expect(environHeaders(['Accept', 'a', 'x_y', '1', 'accept', 'b', ':path', '/'], undefined)).toEqual([
      ['Accept', 'a,b'],
      ['X-Y', '1'],
    ])
    expect(environHeaders([':authority', 'h.test', 'a', '1'], 'h.test')).toEqual([
      ['Host', 'h.test'],
      ['A', '1'],
    ])
  })

  it('decodes queries with + as space and keeps repeated keys', () => {
    expect(semiflatten(urlDecode('a=1&a=2&b=x+y%21&c&&d=%ff'))).toEqual({
      a: ['1', '2'],
      b: 'x y!',
      c: '',
      d: '\ufffd',
    })
  })

  it('rebuilds request.url as Werkzeug 0.14 does', () => {
    expect(requestUrl('http', 'h', '/get?u=http://x/y%2Fz%20q&a=%41')).toBe(
      'http://h/get?u=http:%2F%2Fx%2Fy%2Fz q&a=A',
    )
    expect(requestUrl('http', 'h', '/anything/a%20b/%3Fc')).toBe('http://h/anything/a b/%3Fc')
  })

  it('dumps cookies with Path=/ and quotes values that need it', () => {
    expect(dumpCookie('k', 'v')).toBe('k=v; Path=/')
    expect(dumpCookie('k', 'a b', { secure: true })).toBe('k="a b"; Secure; Path=/')
    expect(dumpCookie('k', '', { expire: true })).toBe(
      'k=; Expires=Thu, 01-Jan-1970 00:00:00 GMT; Max-Age=0; Path=/',
    )
  })
})

describe('PyRandom', () => {
  it('reproduces CPython random.seed(n); randint(0, 255)', () => {
    // python3 -c "import random; random.seed(42); print([random.randint(0,255) for i in range(8)])"
    const seeded = new PyRandom(42n)
    expect(Array.from({ length: 8 }, () => seeded.byte())).toEqual([57, 12, 140, 125, 114, 71, 52, 44])
    const zero = new PyRandom(0n)
    expect(Array.from({ length: 5 }, () => zero.byte())).toEqual([197, 215, 20, 132, 248])
    const wide = new PyRandom(2n ** 40n + 7n)
    expect(Array.from({ length: 5 }, () => wide.byte())).toEqual([243, 128, 64, 192, 185])
  })
})
