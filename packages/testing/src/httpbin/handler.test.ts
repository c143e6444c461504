import { createHash } from 'node:crypto'
import { createServer as createHttpServer, type ServerResponse } from 'node:http'
import { createServer as createH2cServer, createSecureServer, type Http2Server } from 'node:http2'
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCertificate, createCertificateAuthority } from '../certs.js'
import { type RequestOptions, rawRequest, request } from '../request.js'
import { httpbinHandler } from './handler.js'
import { type RunningHttpbin, startHttpbin } from './server.js'

let hb: RunningHttpbin
beforeAll(async () => {
  hb = await startHttpbin()
})
afterAll(() => hb.close())

const HOST = 'httpbin.example.com'
const HTML = 'text/html; charset=utf-8'
const get = (path: string, options: Partial<RequestOptions> = {}) =>
  request(hb.port, { url: `http://${HOST}${path}`, ...options })
const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex')

/** Werkzeug 0.14's HTTPException page (Flask 1.0.2 sends it as is when no handler is registered). */
const werkzeugPage = (code: number, name: string, description: string) =>
  `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>${code} ${name}</title>\n<h1>${name}</h1>\n<p>${description}</p>\n`

describe('httpbin fake: request inspection', () => {
  it('/get echoes url, args, title-cased headers and origin, with Flask-pretty JSON', async () => {
    const res = await get('/get?a=1&b=2&b=3', { headers: { 'x-b3-traceid': 'abc', 'user-agent': 'test' } })
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('application/json')
    expect(res.headers['access-control-allow-origin']).toBe('*')
    expect(res.headers['access-control-allow-credentials']).toBe('true')
    expect(res.json()).toEqual({
      args: { a: '1', b: ['2', '3'] },
      headers: { Host: HOST, 'User-Agent': 'test', 'X-B3-Traceid': 'abc', Connection: 'close' },
      origin: '127.0.0.1',
      url: `http://${HOST}/get?a=1&b=2&b=3`,
    })
    expect(res.text()).toMatch(/^\{\n {2}"args": \{\n {4}"a": "1", \n/)
    expect(res.text().endsWith('\n}\n')).toBe(true)
  })

  it('hides proxy headers unless show_env, and takes origin and scheme from X-Forwarded-*', async () => {
    const headers = {
      'x-forwarded-for': '10.0.0.1, 10.0.0.2',
      'x-forwarded-proto': 'https',
      'x-request-id': 'r1',
    }
    const hidden = (await get('/get', { headers })).json<Record<string, Record<string, string>>>()
    expect(hidden.origin).toBe('10.0.0.1, 10.0.0.2')
    expect(hidden.url).toBe(`https://${HOST}/get`)
    expect(hidden.headers!['X-Forwarded-For']).toBeUndefined()
    expect(hidden.headers!['X-Request-Id']).toBeUndefined()
    const shown = (await get('/headers?show_env=1', { headers })).json<
      Record<string, Record<string, string>>
    >()
    expect(shown.headers!['X-Request-Id']).toBe('r1')
    expect((await get('/ip', { headers })).json()).toEqual({ origin: '10.0.0.1, 10.0.0.2' })
  })

  it('/headers, /user-agent, /ip and /uuid', async () => {
    expect((await get('/headers')).json()).toEqual({ headers: { Host: HOST, Connection: 'close' } })
    expect((await get('/user-agent', { headers: { 'User-Agent': 'curl/8' } })).json()).toEqual({
      'user-agent': 'curl/8',
    })
    expect((await get('/ip')).json()).toEqual({ origin: '127.0.0.1' })
    expect((await get('/uuid')).json<{ uuid: string }>().uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4/)
  })

  it('/post parses urlencoded forms and leaves data empty', async () => {
    const res = await get('/post', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&b=x+y&b=z',
    })
    expect(res.json()).toMatchObject({
      form: { a: '1', b: ['x y', 'z'] },
      data: '',
      json: null,
      files: {},
      args: {},
    })
  })

  it('/put parses multipart bodies into form and files', async () => {
    const boundary = 'XyZ'
    const body = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="field"',
      '',
      'value',
      `--${boundary}`,
      'Content-Disposition: form-data; name="upload"; filename="a.txt"',
      'Content-Type: text/plain',
      '',
      'file text',
      `--${boundary}`,
      'Content-Disposition: form-data; name="bin"; filename="b.bin"',
      'Content-Type: image/png',
      '',
      '\u00ff\u00fe',
      `--${boundary}--`,
      '',
    ].join('\r\n')
    const res = await get('/put', {
      method: 'PUT',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: Buffer.from(body, 'latin1'),
    })
    expect(res.json()).toMatchObject({
      form: { field: 'value' },
      files: { upload: 'file text', bin: 'data:image/png;base64,//4=' },
      data: '',
    })
  })

  it('/patch and /delete echo JSON bodies; /anything reports the method on any path', async () => {
    const patched = await get('/patch', {
      method: 'PATCH',
      body: '{"k":[1,2]}',
      headers: { 'content-type': 'application/json' },
    })
    expect(patched.json()).toMatchObject({ data: '{"k":[1,2]}', json: { k: [1, 2] } })
    const deleted = await get('/delete', { method: 'DELETE', body: Buffer.from([0xff]) })
    expect(deleted.json()).toMatchObject({ data: 'data:application/octet-stream;base64,/w==', json: null })
    const any = await get('/anything/x/y?q=1', { method: 'TRACE' })
    expect(any.json()).toMatchObject({
      method: 'TRACE',
      url: `http://${HOST}/anything/x/y?q=1`,
      args: { q: '1' },
    })
    expect(Object.keys(any.json<object>()).sort()).toEqual([
      'args',
      'data',
      'files',
      'form',
      'headers',
      'json',
      'method',
      'origin',
      'url',
    ])
  })
})

describe('httpbin fake: status codes', () => {
  it('/status/200 is empty text/html, as in the ingress task', async () => {
    const res = await get('/status/200')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe(HTML)
    expect(res.headers['content-length']).toBe('0')
    expect(res.body.length).toBe(0)
  })

  it('answers the special codes with httpbin’s bodies and headers only', async () => {
    const teapot = await get('/status/418')
    expect(teapot.status).toBe(418)
    expect(teapot.headers['content-type']).toBeUndefined()
    expect(teapot.headers['x-more-info']).toBe('http://tools.ietf.org/html/rfc2324')
    expect(teapot.text()).toContain('-=[ teapot ]=-')
    const redirect = await get('/status/302')
    expect(redirect.headers.location).toBe('/redirect/1')
    expect(redirect.headers['content-type']).toBeUndefined()
    const auth = await get('/status/401', { method: 'POST' })
    expect(auth.headers['www-authenticate']).toBe('Basic realm="Fake Realm"')
    expect((await get('/status/402')).text()).toBe('Fuck you, pay me!')
    const notAcceptable = await get('/status/406')
    expect(notAcceptable.headers['content-type']).toBe('application/json')
    expect(notAcceptable.json()).toEqual({
      message: 'Client did not request a supported media type.',
      accept: ['image/webp', 'image/svg+xml', 'image/jpeg', 'image/png', 'image/*'],
    })
    expect((await get('/status/407')).headers['proxy-authenticate']).toBe('Basic realm="Fake Realm"')
    expect((await get('/status/503')).status).toBe(503)
    const noContent = await get('/status/204')
    expect(noContent.body.length).toBe(0)
    expect(noContent.headers['content-length']).toBe('0')
    const notModified = await get('/status/304')
    expect(notModified.status).toBe(304)
    expect(notModified.headers['content-type']).toBeUndefined()
  })

  it('draws weighted choices and rejects invalid codes with 400', async () => {
    const seen = new Set<number>()
    for (let i = 0; i < 20; i++) seen.add((await get('/status/201:1,202:0,500:1')).status)
    expect(seen.has(202)).toBe(false)
    expect([...seen].every((s) => s === 201 || s === 500)).toBe(true)
  })

  it('answers a code that is not an integer as httpbin does: 400, Flask’s text/html, "Invalid status code"', async () => {
    for (const path of [
      '/status/abc',
      '/status/2x0',
      '/status/200,abc',
      '/status/200:x,201',
      '/status/200,',
    ]) {
      const res = await get(path, { method: path === '/status/abc' ? 'PUT' : 'GET' })
      expect(res.status, path).toBe(400)
      expect(res.headers['content-type'], path).toBe(HTML)
      expect(res.headers['content-length'], path).toBe('19')
      expect(res.text(), path).toBe('Invalid status code')
    }
    // Python's int() takes surrounding blanks and digit underscores.
    expect((await get('/status/%20201%20')).status).toBe(201)
    expect((await get('/status/2_01')).status).toBe(201)
  })

  it('fails like Python where httpbin raises: a weight list that draws past its end, three-part choices', async () => {
    for (const path of ['/status/200:0,201:0', '/status/200:-1,201:1', '/status/200:1:2,201']) {
      const res = await get(path)
      expect(res.status, path).toBe(500)
      expect(res.headers['content-type'], path).toBe('text/html')
    }
  })

  it('sends Werkzeug’s upper-case reason phrases on HTTP/1.1', async () => {
    const raw = await rawRequest(hb.port, 'GET /status/418 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
    expect(raw.toString()).toMatch(/^HTTP\/1\.1 418 I'M A TEAPOT\r\n/)
  })
})

describe('httpbin fake: errors', () => {
  it('answers unknown paths with Werkzeug 0.14’s 404 page: text/html without a charset, 233 bytes', async () => {
    const page = werkzeugPage(
      404,
      'Not Found',
      'The requested URL was not found on the server.  If you entered the URL manually please check your spelling and try again.',
    )
    for (const path of ['/nope', '/get/', '/bytes/-1', '/range/-1', '/forms/post/', '/html/']) {
      const res = await get(path)
      expect(res.status, path).toBe(404)
      expect(res.headers['content-type'], path).toBe('text/html')
      expect(res.headers['content-length'], path).toBe('233')
      expect(res.text(), path).toBe(page)
    }
    const raw = await rawRequest(hb.port, 'GET /nope HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
    expect(raw.toString()).toMatch(/^HTTP\/1\.1 404 NOT FOUND\r\n/)
  })

  it('answers a wrong method with Werkzeug 0.14’s 405 page and Allow naming every rule’s methods', async () => {
    const page = werkzeugPage(405, 'Method Not Allowed', 'The method is not allowed for the requested URL.')
    const cases: Array<[string, string, string]> = [
      ['/get', 'POST', 'GET, HEAD, OPTIONS'],
      ['/post', 'GET', 'OPTIONS, POST'],
      ['/html', 'DELETE', 'GET, HEAD, OPTIONS'],
      ['/forms/post', 'POST', 'GET, HEAD, OPTIONS'],
      ['/response-headers', 'PUT', 'GET, HEAD, OPTIONS, POST'],
    ]
    for (const [path, method, allow] of cases) {
      const res = await get(path, { method })
      expect(res.status, path).toBe(405)
      expect(res.headers['content-type'], path).toBe('text/html')
      expect(res.headers.allow, path).toBe(allow)
      expect(res.headers['content-length'], path).toBe(String(page.length))
      expect(res.text(), path).toBe(page)
    }
    const raw = await rawRequest(
      hb.port,
      'POST /get HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    )
    expect(raw.toString()).toMatch(/^HTTP\/1\.1 405 METHOD NOT ALLOWED\r\n/)
  })

  it('answers OPTIONS with the CORS preflight headers', async () => {
    const res = await get('/get', {
      method: 'OPTIONS',
      headers: { origin: 'https://a.test', 'access-control-request-headers': 'x-a' },
    })
    expect(res.status).toBe(200)
    expect(res.headers).toMatchObject({
      allow: 'GET, HEAD, OPTIONS',
      'access-control-allow-origin': 'https://a.test',
      'access-control-allow-methods': 'GET, POST, PUT, DELETE, PATCH, OPTIONS',
      'access-control-max-age': '3600',
      'access-control-allow-headers': 'x-a',
    })
  })

  it('answers handler failures with 500 (as an AssertionError in Flask does)', async () => {
    const res = await get('/redirect/0')
    expect(res.status).toBe(500)
    expect(res.text()).toContain('<title>500 Internal Server Error</title>')
  })

  it('answers HEAD with headers only', async () => {
    const res = await get('/json', { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(Number(res.headers['content-length'])).toBeGreaterThan(0)
    expect(res.body.length).toBe(0)
  })
})

describe('httpbin fake: redirects', () => {
  it('/redirect/n walks relative redirects to /get', async () => {
    const first = await get('/redirect/3')
    expect(first.status).toBe(302)
    expect(first.headers.location).toBe('/relative-redirect/2')
    expect(first.headers['content-type']).toBe(HTML)
    expect(first.text()).toContain('<a href="/relative-redirect/2">')
    expect((await get('/redirect/1')).headers.location).toBe('/get')
    expect((await get('/redirect/2?absolute=true')).headers.location).toBe(
      `http://${HOST}/absolute-redirect/1`,
    )
  })

  it('/relative-redirect and /absolute-redirect', async () => {
    const rel = await get('/relative-redirect/1')
    expect(rel.headers.location).toBe('/get')
    expect(rel.body.length).toBe(0)
    expect((await get('/absolute-redirect/2')).headers.location).toBe(`http://${HOST}/absolute-redirect/1`)
    expect((await get('/absolute-redirect/1')).headers.location).toBe(`http://${HOST}/get`)
  })

  it('/redirect-to uses the exact url and a 3xx status_code', async () => {
    const res = await get('/redirect-to?url=http%3A%2F%2Fexample.com%2Fa%20b&status_code=307', {
      method: 'POST',
    })
    expect(res.status).toBe(307)
    expect(res.headers.location).toBe('http://example.com/a b')
    expect((await get('/redirect-to?url=/x&status_code=200')).status).toBe(302)
  })

  it('/links/n/offset renders links and /links/n redirects to page 0', async () => {
    const page = await get('/links/3/1')
    expect(page.text()).toBe(
      "<html><head><title>Links</title></head><body><a href='/links/3/0'>0</a> 1 <a href='/links/3/2'>2</a> </body></html>",
    )
    expect((await get('/links/3')).headers.location).toBe('/links/3/0')
  })
})

describe('httpbin fake: dynamic data', () => {
  it('/bytes/n returns n bytes, reproducible by seed', async () => {
    const res = await get('/bytes/8?seed=42')
    expect(res.headers['content-type']).toBe('application/octet-stream')
    expect([...res.body]).toEqual([57, 12, 140, 125, 114, 71, 52, 44])
    expect((await get('/bytes/1000')).body.length).toBe(1000)
  })

  it('/stream-bytes/n streams n bytes in chunks', async () => {
    const res = await get('/stream-bytes/30?seed=42&chunk_size=7')
    expect(res.headers['transfer-encoding']).toBe('chunked')
    expect([...res.body.subarray(0, 8)]).toEqual([57, 12, 140, 125, 114, 71, 52, 44])
    expect(res.body.length).toBe(30)
  })

  it('/stream/n writes n JSON lines with ids', async () => {
    const res = await get('/stream/3?x=1')
    const lines = res.text().trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines.map((l) => (JSON.parse(l) as { id: number }).id)).toEqual([0, 1, 2])
    expect(lines[0]).toMatch(
      /^\{"url": "http:\/\/httpbin\.example\.com\/stream\/3\?x=1", "args": \{"x": "1"\}, "headers": /,
    )
  })

  it('/range/n serves byte ranges', async () => {
    const full = await get('/range/30')
    expect(full.status).toBe(200)
    expect(full.text()).toBe('abcdefghijklmnopqrstuvwxyzabcd')
    const part = await get('/range/30', { headers: { range: 'bytes=2-4' } })
    expect(part.status).toBe(206)
    expect(part.text()).toBe('cde')
    expect(part.headers['content-range']).toBe('bytes 2-4/30')
    expect(part.headers.etag).toBe('range30')
    const suffix = await get('/range/30', { headers: { range: 'bytes=-5' } })
    expect([suffix.status, suffix.text(), suffix.headers['content-range']]).toEqual([
      206,
      'zabcd',
      'bytes 25-29/30',
    ])
    const open = await get('/range/30', { headers: { range: 'bytes=27-' } })
    expect([open.status, open.text()]).toEqual([206, 'bcd'])
    // A header httpbin cannot parse asks for the whole resource.
    expect((await get('/range/30', { headers: { range: 'items=1-2' } })).status).toBe(200)
    expect((await get('/range/30', { headers: { range: 'bytes=a-b' } })).status).toBe(200)
  })

  it('/range/n answers an unsatisfiable range with an empty 416 (Flask’s text/html, Content-Range */n)', async () => {
    for (const range of ['bytes=40-50', 'bytes=30-', 'bytes=5-2', 'bytes=-0', 'bytes=0-30']) {
      const res = await get('/range/30', { headers: { range } })
      expect(res.status, range).toBe(416)
      expect(res.headers, range).toMatchObject({
        'content-type': HTML,
        'content-length': '0',
        'content-range': 'bytes */30',
        'accept-ranges': 'bytes',
        etag: 'range30',
      })
      expect(res.body.length, range).toBe(0)
    }
    const raw = await rawRequest(
      hb.port,
      'GET /range/30 HTTP/1.1\r\nHost: a\r\nRange: bytes=40-50\r\nConnection: close\r\n\r\n',
    )
    expect(raw.toString()).toMatch(/^HTTP\/1\.1 416 REQUESTED RANGE NOT SATISFIABLE\r\n/)
  })

  it('/range/n outside (0, 102400] answers httpbin’s own 404, not the not-found page', async () => {
    for (const n of [0, 102401]) {
      const res = await get(`/range/${n}`)
      expect(res.status).toBe(404)
      expect(res.headers).toMatchObject({ 'content-type': HTML, etag: `range${n}`, 'accept-ranges': 'bytes' })
      expect(res.headers['content-range']).toBeUndefined()
      expect(res.text()).toBe('number of bytes must be in the range (0, 102400]')
    }
    expect((await get('/range/102400', { headers: { range: 'bytes=102399-' } })).text()).toBe('l')
  })

  it('/drip drips numbytes with the given code', async () => {
    const res = await get('/drip?numbytes=5&duration=0.05&code=201')
    expect(res.status).toBe(201)
    expect(res.text()).toBe('*****')
    expect(res.headers['content-length']).toBe('5')
    expect((await get('/drip?numbytes=0')).status).toBe(400)
  })

  it('/delay/n waits, echoes the request and caps at 10 s', async () => {
    const started = Date.now()
    const res = await get('/delay/0.2', { method: 'POST', body: 'x' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(150)
    expect(Object.keys(res.json<object>()).sort()).toEqual([
      'args',
      'data',
      'files',
      'form',
      'headers',
      'origin',
      'url',
    ])
    expect((await get('/delay/abc')).status).toBe(500)
  })

  it('/delay and /drip stop when the client goes away', async () => {
    const responses: ServerResponse[] = []
    const writes: number[] = []
    const server = createHttpServer((req, res) => {
      const index = responses.push(res) - 1
      writes[index] = 0
      const write = res.write.bind(res) as (chunk: Buffer) => boolean
      res.write = ((chunk: Buffer) => {
        writes[index]!++
        return write(chunk)
      }) as typeof res.write
      httpbinHandler(req, res)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as { port: number }).port
    try {
      await expect(request(port, { url: 'http://a.test/delay/1', timeoutMs: 200 })).rejects.toMatchObject({
        code: 'ETIMEDOUT',
      })
      const dripped = await rawRequest(port, 'GET /drip?numbytes=3&duration=3 HTTP/1.1\r\nHost: a\r\n\r\n', {
        timeoutMs: 300,
      })
      expect(dripped.toString()).toMatch(/\r\n\r\n\*$/)
      await new Promise((r) => setTimeout(r, 1300))
      expect(responses[0]!.headersSent).toBe(false)
      expect(writes[1]).toBe(1)
    } finally {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    }
  })

  it('/base64 decodes URL-safe base64 and explains bad input', async () => {
    const ok = await get('/base64/SFRUUEJJTiBpcyBhd2Vzb21l')
    expect(ok.text()).toBe('HTTPBIN is awesome')
    expect(ok.headers['content-type']).toBe(HTML)
    expect((await get('/base64/SFRUUEJJTiBpcyBhd2Vzb21')).text()).toBe(
      'Incorrect Base64 data try: SFRUUEJJTiBpcyBhd2Vzb21l',
    )
  })
})

describe('httpbin fake: auth, cookies, caching', () => {
  const basic = (u: string, p: string) => ({
    authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`,
  })

  it('/basic-auth and /hidden-basic-auth', async () => {
    expect((await get('/basic-auth/u/p', { headers: basic('u', 'p') })).json()).toEqual({
      authenticated: true,
      user: 'u',
    })
    const denied = await get('/basic-auth/u/p', { headers: basic('u', 'x') })
    expect(denied.status).toBe(401)
    expect(denied.headers['www-authenticate']).toBe('Basic realm="Fake Realm"')
    expect((await get('/hidden-basic-auth/u/p')).status).toBe(404)
    expect((await get('/hidden-basic-auth/u/p', { headers: basic('u', 'p') })).status).toBe(200)
  })

  it('/bearer', async () => {
    const denied = await get('/bearer')
    expect(denied.status).toBe(401)
    expect(denied.headers['www-authenticate']).toBe('Bearer')
    expect((await get('/bearer', { headers: { authorization: 'Bearer t0k' } })).json()).toEqual({
      authenticated: true,
      token: 't0k',
    })
  })

  it('/cookies, /cookies/set and /cookies/delete', async () => {
    expect((await get('/cookies', { headers: { cookie: 'a=1; __utma=x; b="q"' } })).json()).toEqual({
      cookies: { a: '1', b: 'q' },
    })
    const set = await get('/cookies/set?a=1&b=two')
    expect(set.status).toBe(302)
    expect(set.headers.location).toBe('/cookies')
    expect(set.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=two; Path=/'])
    expect((await get('/cookies/set/n/v')).headers['set-cookie']).toEqual(['n=v; Path=/'])
    expect((await get('/cookies/delete?a')).headers['set-cookie']).toEqual([
      'a=; Expires=Thu, 01-Jan-1970 00:00:00 GMT; Max-Age=0; Path=/',
    ])
  })

  it('/response-headers echoes the query as headers and as a self-describing body', async () => {
    const res = await get('/response-headers?X-A=1&X-A=2&freeform=hi', { method: 'POST' })
    expect(res.headers['x-a']).toBe('1, 2')
    expect(res.headers.freeform).toBe('hi')
    expect(res.json()).toEqual({
      'Content-Length': res.headers['content-length'],
      'Content-Type': 'application/json',
      'X-A': ['1', '2'],
      freeform: 'hi',
    })
  })

  it('/cache, /cache/n and /etag/{etag}', async () => {
    const fresh = await get('/cache')
    expect(fresh.status).toBe(200)
    expect(fresh.headers.etag).toMatch(/^[0-9a-f]{32}$/)
    expect(fresh.headers['last-modified']).toMatch(/GMT$/)
    expect((await get('/cache', { headers: { 'if-none-match': 'x' } })).status).toBe(304)
    expect((await get('/cache/60')).headers['cache-control']).toBe('public, max-age=60')
    expect((await get('/etag/abc')).headers.etag).toBe('abc')
    expect((await get('/etag/abc', { headers: { 'if-none-match': '"abc"' } })).status).toBe(304)
    expect((await get('/etag/abc', { headers: { 'if-match': '"zzz"' } })).status).toBe(412)
  })
})

describe('httpbin fake: response formats', () => {
  it('/gzip, /deflate and /brotli are encoded JSON', async () => {
    const gz = await get('/gzip')
    expect(gz.headers['content-encoding']).toBe('gzip')
    expect(JSON.parse(gunzipSync(gz.body).toString())).toMatchObject({ gzipped: true, method: 'GET' })
    const df = await get('/deflate')
    expect(JSON.parse(inflateSync(df.body).toString())).toMatchObject({ deflated: true })
    const br = await get('/brotli')
    expect(br.headers['content-encoding']).toBe('br')
    expect(JSON.parse(brotliDecompressSync(br.body).toString())).toMatchObject({ brotli: true })
  })

  it('serves the fixed documents with their content types', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['/xml', 'application/xml', /^<\?xml version='1.0' encoding='us-ascii'\?>/],
      ['/robots.txt', 'text/plain', /^User-agent: \*\nDisallow: \/deny\n$/],
      ['/deny', 'text/plain', /YOU SHOULDN'T BE HERE/],
      ['/encoding/utf8', HTML, /∮ E⋅da = Q/],
      ['/json', 'application/json', /"title": "Sample Slide Show"/],
      ['/', HTML, /httpbin/],
    ]
    for (const [path, type, body] of cases) {
      const res = await get(path)
      expect(res.status, path).toBe(200)
      expect(res.headers['content-type'], path).toBe(type)
      expect(res.text(), path).toMatch(body)
    }
  })

  /** A rendered template of httpbin 0.9.2: Flask's text/html, its length and the sha256 of its bytes. */
  const template = async (path: string, length: number, digest: string) => {
    const res = await get(path)
    expect(res.status, path).toBe(200)
    expect(res.headers['content-type'], path).toBe(HTML)
    expect(res.headers['content-length'], path).toBe(String(length))
    expect(sha256(res.body), path).toBe(digest)
    return res
  }

  it('/html is httpbin’s Moby-Dick page, byte for byte', async () => {
    // templates/moby.html without its final newline (Jinja drops it).
    const res = await template(
      '/html',
      3741,
      '3f324f9914742e62cf082861ba03b207282dba781c3349bee9d7c1b5ef8e0bfe',
    )
    expect(res.text()).toMatch(/^<!DOCTYPE html>\n<html>\n {2}<head>\n {2}<\/head>\n {2}<body>\n/)
    expect(res.text()).toContain('<h1>Herman Melville - Moby-Dick</h1>')
    expect(res.text()).toContain('Availing himself of the mild, summer-cool weather')
    expect(res.text()).toContain('And so it was.—Most miserable!')
    expect(res.text().endsWith('  </body>\n</html>')).toBe(true)
  })

  it('/forms/post is httpbin’s form page, and what it submits reaches /post', async () => {
    // templates/forms-post.html rendered: url_for('view_post') is /post, the final newline dropped.
    const res = await template(
      '/forms/post',
      1397,
      'd9cd9adbe7554d4e82a597d722dccdcea70c8dd918836670e3f9687531f54d74',
    )
    const page = res.text()
    const form = /<form method="(\w+)" action="([^"]+)">/.exec(page)
    expect(form?.slice(1)).toEqual(['post', '/post'])
    const names = [...page.matchAll(/name="?([a-z]+)"?/g)].map((m) => m[1])
    expect(new Set(names)).toEqual(
      new Set(['custname', 'custtel', 'custemail', 'size', 'topping', 'delivery', 'comments']),
    )
    const submitted = await get(form![2]!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'custname=Ishmael&size=large&topping=bacon&topping=onion&delivery=12%3A00&comments=',
    })
    expect(submitted.json<{ form: unknown }>().form).toEqual({
      custname: 'Ishmael',
      size: 'large',
      topping: ['bacon', 'onion'],
      delivery: '12:00',
      comments: '',
    })
  })

  it('/image follows Accept and answers 406 for others', async () => {
    expect((await get('/image')).headers['content-type']).toBe('image/png')
    expect((await get('/image', { headers: { accept: 'image/webp' } })).headers['content-type']).toBe(
      'image/webp',
    )
    expect((await get('/image', { headers: { accept: 'image/svg+xml' } })).headers['content-type']).toBe(
      'image/svg+xml',
    )
    expect((await get('/image/jpeg')).body.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]))
    expect((await get('/image/png')).body.subarray(1, 4).toString()).toBe('PNG')
    expect((await get('/image', { headers: { accept: 'text/plain' } })).status).toBe(406)
  })
})

describe('httpbinHandler on node:http2', () => {
  let servers: Http2Server[] = []
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
    servers = []
  })

  it('serves h2 (ALPN) and HTTP/1.1 from one secure server, Host taken from :authority', async () => {
    const ca = createCertificateAuthority()
    const server = createSecureServer(
      { ...createCertificate({ commonName: HOST, ca }), allowHTTP1: true },
      httpbinHandler,
    )
    servers.push(server)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as { port: number }).port
    const h2 = await request(port, { url: `https://${HOST}/get?x=1`, ca: ca.cert, http2: true })
    expect(h2.protocol).toBe('h2')
    expect(h2.json()).toMatchObject({ url: `https://${HOST}/get?x=1`, headers: { Host: HOST } })
    const h1 = await request(port, { url: `https://${HOST}/status/418`, ca: ca.cert })
    expect(h1.protocol).toBe('http/1.1')
    expect(h1.status).toBe(418)
    for (const path of ['/status/204', '/status/304']) {
      const empty = await request(port, { url: `https://${HOST}${path}`, ca: ca.cert, http2: true })
      expect(empty.status, path).toBe(Number(path.slice(-3)))
      expect(empty.body.length).toBe(0)
    }
    const head = await request(port, { url: `https://${HOST}/get`, ca: ca.cert, http2: true, method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.body.length).toBe(0)
    const stream = await request(port, { url: `https://${HOST}/stream/2`, ca: ca.cert, http2: true })
    expect(stream.text().trimEnd().split('\n')).toHaveLength(2)
  })

  it('serves cleartext h2', async () => {
    const server = createH2cServer(httpbinHandler)
    servers.push(server)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as { port: number }).port
    const res = await request(port, {
      url: `http://${HOST}/anything`,
      http2: true,
      method: 'POST',
      body: 'b',
    })
    expect(res.json()).toMatchObject({ method: 'POST', data: 'b', url: `http://${HOST}/anything` })
  })
})
