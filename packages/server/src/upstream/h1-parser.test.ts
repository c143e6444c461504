import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { HeaderRecord } from '../types.js'
import { MAX_HEAD_BYTES, type ResponseHead, ResponseParseError, ResponseParser } from './h1-parser.js'

interface Parsed {
  heads: ResponseHead[]
  body: string
  ends: number
  trailers: HeaderRecord | undefined
  used: number
}

/** Feeds `wire` to a parser in the given pieces; returns what it reported. */
function parse(wire: string, method = 'GET', cuts: readonly number[] = []): Parsed {
  const parser = new ResponseParser()
  const out: Parsed = { heads: [], body: '', ends: 0, trailers: undefined, used: 0 }
  parser.expect(method, {
    onHead: (head) => out.heads.push(head),
    onData: (chunk) => {
      out.body += chunk.toString('latin1')
    },
    onEnd: (trailers) => {
      out.ends++
      out.trailers = trailers
    },
  })
  const bytes = Buffer.from(wire, 'latin1')
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b)
  let from = 0
  for (const to of [...points, bytes.length]) {
    out.used += parser.execute(bytes.subarray(from, to))
    from = to
  }
  return out
}

const fails = (wire: string, method = 'GET') => expect(() => parse(wire, method)).toThrow(ResponseParseError)

describe('ResponseParser', () => {
  it('reads a Content-Length response, keep-alive by default in HTTP/1.1', () => {
    const r = parse('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n')
    expect(r.heads).toHaveLength(1)
    expect(r.heads[0]).toMatchObject({
      status: 200,
      keepAlive: true,
      headers: { 'content-type': 'text/plain' },
    })
    expect(r.body).toBe('ok\n')
    expect(r.ends).toBe(1)
  })

  it('reads field names in any case, and refuses a malformed one however many names came before', () => {
    // More distinct names than the parser remembers as checked, so that the memory starts over.
    const many = Array.from({ length: 700 }, (_, i) => `X-Field-${i}: ${i}\r\n`).join('')
    const r = parse(`HTTP/1.1 200 OK\r\n${many}Content-Length: 0\r\n\r\n`)
    expect(r.heads[0]!.headers['x-field-699']).toBe('699')
    expect(
      parse('HTTP/1.1 200 OK\r\nX-Field-1: a\r\nx-field-1: b\r\nX-FIELD-1: c\r\n\r\n').heads[0]!.headers,
    ).toEqual({
      'x-field-1': ['a', 'b', 'c'],
    })
    for (const name of ['X-Field-1 ', 'X Field', 'X-Field(1)', ' X-Field-1', '']) {
      fails(`HTTP/1.1 200 OK\r\n${name}: v\r\nContent-Length: 0\r\n\r\n`)
    }
    fails('HTTP/1.1 200 OK\r\nX-Field-1 v\r\nContent-Length: 0\r\n\r\n')
  })

  it('reads the status line strictly: HTTP/1.0 or 1.1, three digits, then a space and a reason or nothing', () => {
    expect(parse('HTTP/1.1 204\r\n\r\n').heads[0]!.status).toBe(204)
    expect(parse('HTTP/1.0 200 \r\nContent-Length: 0\r\n\r\n').heads[0]).toMatchObject({
      status: 200,
      keepAlive: false,
    })
    expect(parse('HTTP/1.1 599 Whatever it says\r\nContent-Length: 0\r\n\r\n').heads[0]!.status).toBe(599)
    for (const line of [
      'HTTP/1.2 200 OK',
      'HTTP/2 200 OK',
      'HTTP/1.1 099 OK',
      'HTTP/1.1 20 OK',
      'HTTP/1.1 2000 OK',
      'HTTP/1.1  200 OK',
      'http/1.1 200 OK',
      'HTTP/1.1 2x0 OK',
      'HTTP/1.1 200OK',
    ]) {
      fails(`${line}\r\nContent-Length: 0\r\n\r\n`)
    }
  })

  it('decodes chunked bodies with extensions and trailers', () => {
    const r = parse(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\ngrpc-status: 0\r\nx-t: a\r\n\r\n',
    )
    expect(r.body).toBe('hello world')
    expect(r.trailers).toEqual({ 'grpc-status': '0', 'x-t': 'a' })
    expect(r.ends).toBe(1)
  })

  it('ends a chunked body without trailers at the empty line', () => {
    const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n'
    const r = parse(`${wire}HTTP/1.1 200 OK\r\n`)
    expect(r.body).toBe('hi')
    expect(r.trailers).toBeUndefined()
    expect(r.used).toBe(wire.length)
  })

  it('skips interim responses and has no body for HEAD, 204 and 304', () => {
    const r = parse(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n',
    )
    expect(r.heads.map((h) => h.status)).toEqual([204])
    expect(r.ends).toBe(1)
    const head = parse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', 'HEAD')
    expect(head.ends).toBe(1)
    expect(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n').ends).toBe(1)
  })

  it('reads a body without length until the connection closes, and never reuses it', () => {
    const parser = new ResponseParser()
    let body = ''
    let ended = false
    let keepAlive = true
    parser.expect('GET', {
      onHead: (h) => {
        keepAlive = h.keepAlive
      },
      onData: (c) => {
        body += c.toString()
      },
      onEnd: () => {
        ended = true
      },
    })
    parser.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\nsome'))
    parser.execute(Buffer.from(' bytes'))
    expect(ended).toBe(false)
    parser.finish()
    expect({ body, ended, keepAlive }).toEqual({ body: 'some bytes', ended: true, keepAlive: false })
  })

  it('follows Connection and Keep-Alive', () => {
    expect(
      parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').heads[0]?.keepAlive,
    ).toBe(false)
    expect(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').heads[0]?.keepAlive).toBe(false)
    const kept = parse(
      'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n',
    )
    expect(kept.heads[0]).toMatchObject({ keepAlive: true, keepAliveTimeoutMs: 5000 })
  })

  it('keeps repeated fields in order', () => {
    const r = parse('HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nContent-Length: 0\r\n\r\n')
    expect(r.heads[0]?.headers['set-cookie']).toEqual(['a=1', 'b=2'])
  })

  it('refuses repeated Content-Length values, even identical ones, as llhttp does', () => {
    fails('HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok')
    fails('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok')
  })

  it('refuses responses whose framing cannot be trusted', () => {
    fails('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n')
    fails('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n')
    fails('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n')
    fails('HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n')
    fails('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n')
    fails('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')
    fails('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiX\r\n')
    fails('HTTP/1.1 101 Switching Protocols\r\n\r\n')
  })

  it('refuses malformed heads: garbage, bare CR or LF, obs-fold, bad names, control characters', () => {
    fails('garbage\r\n\r\n')
    fails('HTTP/2 200\r\n\r\n')
    fails('HTTP/1.1 20 OK\r\n\r\n')
    fails('HTTP/1.1 200 OK\r\nX-A: b\rc\r\n\r\n')
    fails('HTTP/1.1 200 OK\r\nX-A: b\nc: d\r\n\r\n')
    fails('HTTP/1.1 200 OK\r\nX-A: b\r\n folded\r\n\r\n')
    fails('HTTP/1.1 200 OK\r\nX A: b\r\n\r\n')
    fails('HTTP/1.1 200 OK\r\nX-A : b\r\n\r\n')
    fails('HTTP/1.1 200 OK\r\nX-A: b\0c\r\n\r\n')
    fails('HTTP/1.1 200 OK\r\nnocolon\r\n\r\n')
  })

  describe('disagreements with llhttp found by the differential test', () => {
    it('a bodiless response (HEAD, 204, 304) with malformed framing fields is refused', () => {
      fails('HTTP/1.1 200 OK\r\nContent-Length: 7;\r\n\r\n', 'HEAD')
      fails('HTTP/1.1 204 No Content\r\nContent-Length: abc\r\n\r\n')
      fails('HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n')
      expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n', 'HEAD').ends).toBe(1)
    })

    it('an interim 1xx head with malformed framing fields is refused', () => {
      fails('HTTP/1.1 100 Continue\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n')
      fails('HTTP/1.1 103 Early Hints\r\nContent-Length: x\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n')
    })

    it('chunk extensions follow the grammar without whitespace; a size with trailing space is refused', () => {
      fails('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1; a=b\r\nx\r\n0\r\n\r\n')
      fails('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1 \r\nx\r\n0\r\n\r\n')
      fails('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;a=\r\nx\r\n0\r\n\r\n')
      fails('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;a="open\r\nx\r\n0\r\n\r\n')
      const ok = parse(
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;a\r\nx\r\n1;a=b;c="d;\\"e"\r\ny\r\n0;z\r\n\r\n',
      )
      expect([ok.body, ok.ends]).toEqual(['xy', 1])
    })

    it('whitespace after a Content-Length or `chunked` is refused: llhttp reads `chunked<TAB>` as no chunking', () => {
      // llhttp takes the body of this response to run until the connection closes; reading it as
      // chunked would end the message where the upstream's next bytes begin.
      fails('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\t\r\n\r\n0\r\n\r\n')
      fails('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked \r\n\r\n0\r\n\r\n')
      fails('HTTP/1.1 200 OK\r\nContent-Length: 9\t\r\n\r\n123456789')
      expect(parse('HTTP/1.1 200 OK\r\nContent-Length:\t2\r\n\r\nok').body).toBe('ok')
    })

    it('a HEAD response without a length does not keep the connection (a body sent anyway would be misread)', () => {
      expect(parse('HTTP/1.1 200 OK\r\n\r\n', 'HEAD').heads[0]?.keepAlive).toBe(false)
      expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', 'HEAD').heads[0]?.keepAlive).toBe(true)
    })

    it('Proxy-Connection: close closes the connection, as llhttp reads it', () => {
      const r = parse('HTTP/1.1 200 OK\r\nProxy-Connection: close\r\nContent-Length: 0\r\n\r\n')
      expect(r.heads[0]?.keepAlive).toBe(false)
    })
  })

  it('bounds the head', () => {
    fails(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`)
    const parser = new ResponseParser()
    parser.expect('GET', { onHead() {}, onData() {}, onEnd() {} })
    expect(() => {
      for (let i = 0; i < 20; i++) parser.execute(Buffer.from(`X-${i}: ${'a'.repeat(1000)}\r\n`))
    }).toThrow(ResponseParseError)
  })

  it('a connection closed mid-response is an error', () => {
    const parser = new ResponseParser()
    parser.expect('GET', { onHead() {}, onData() {}, onEnd() {} })
    parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab'))
    expect(() => parser.finish()).toThrow(ResponseParseError)
  })

  it('reports the same response however the bytes are cut (property)', () => {
    const field = fc.tuple(
      fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
      fc.stringMatching(/^[!-~]([ !-~]{0,20}[!-~])?$/),
    )
    const response = fc.record({
      status: fc.integer({ min: 200, max: 599 }),
      fields: fc.array(field, { maxLength: 6 }),
      chunks: fc.array(fc.string({ unit: 'binary-ascii', maxLength: 40 }), { maxLength: 5 }),
      chunked: fc.boolean(),
      trailers: fc.array(field, { maxLength: 3 }),
    })
    fc.assert(
      fc.property(response, fc.array(fc.nat({ max: 400 }), { maxLength: 12 }), (r, cuts) => {
        const fields = r.fields.filter(
          ([n]) => n !== 'content-length' && n !== 'transfer-encoding' && n !== 'connection',
        )
        const body = r.chunks.join('')
        const noBody = r.status === 204 || r.status === 304
        let wire = `HTTP/1.1 ${r.status} Whatever\r\n${fields.map(([n, v]) => `${n}: ${v}\r\n`).join('')}`
        if (r.chunked) {
          wire += 'transfer-encoding: chunked\r\n\r\n'
          if (!noBody) {
            for (const c of r.chunks) if (c.length > 0) wire += `${c.length.toString(16)}\r\n${c}\r\n`
            const trailers = r.trailers.filter(([n]) => n !== 'content-length')
            wire += `0\r\n${trailers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`
          }
        } else {
          wire += `content-length: ${body.length}\r\n\r\n${noBody ? '' : body}`
        }
        const whole = parse(wire)
        const pieces = parse(wire, 'GET', cuts)
        expect(pieces.heads.map((h) => [h.status, h.headers])).toEqual(
          whole.heads.map((h) => [h.status, h.headers]),
        )
        expect(pieces.body).toBe(noBody ? '' : body)
        expect(whole.body).toBe(pieces.body)
        expect(pieces.trailers).toEqual(whole.trailers)
        expect([whole.ends, pieces.ends, whole.used, pieces.used]).toEqual([1, 1, wire.length, wire.length])
      }),
      { numRuns: 300 },
    )
  })
})
