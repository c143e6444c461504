import { connect as h2connect, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2'
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGateway, type Gateway } from '../gateway.js'
import { cluster, config, destination, forwardSpec, httpServer, listener, testRoute } from '../test/config.js'

const C = 'outbound|8000||raw'

/** Raw HTTP/1.1 responses by path, so that framing (chunked trailers, repeated fields) is exact. */
const RESPONSES: Record<string, string | string[]> = {
  '/plain': 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok',
  '/empty': 'HTTP/1.1 204 No Content\r\n\r\n',
  '/trailers':
    'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntrailer: x-sum\r\n\r\n2\r\nab\r\n0\r\nx-sum: 42\r\n\r\n',
  // The same, in three writes some milliseconds apart: the body is streamed before the trailers.
  '/slow-trailers': [
    'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n',
    '2\r\nab\r\n',
    '0\r\nx-sum: 7\r\n\r\n',
  ],
  '/two-types':
    'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-type: text/html\r\ncontent-length: 2\r\n\r\nok',
}

interface Answer {
  readonly headers: IncomingHttpHeaders
  readonly body: string
  readonly trailers: IncomingHttpHeaders | undefined
}

let gateway: Gateway
let upstream: ReturnType<typeof createNetServer>
let port: number
const received: string[] = []

function ask(path: string, headers: OutgoingHttpHeaders = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = h2connect(`http://127.0.0.1:${port}`)
    session.on('error', reject)
    const req = session.request(
      { ':path': path, ':authority': 'raw.example.com', ...headers },
      { endStream: body === undefined },
    )
    let head: IncomingHttpHeaders = {}
    let trailers: IncomingHttpHeaders | undefined
    let text = ''
    req.on('response', (h) => {
      head = h
    })
    req.on('trailers', (t) => {
      trailers = { ...t }
    })
    req.setEncoding('utf8')
    req.on('data', (d: string) => {
      text += d
    })
    req.on('error', reject)
    req.on('close', () => {
      session.close()
      resolve({ headers: head, body: text, trailers })
    })
    if (body !== undefined) req.end(body)
  })
}

beforeAll(async () => {
  upstream = createNetServer((socket: Socket) => {
    let buffered = ''
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1')
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0) return
      const head = buffered.slice(0, end)
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0)
      if (buffered.length < end + 4 + length) return
      received.push(buffered.slice(end + 4, end + 4 + length))
      buffered = ''
      const path = head.split(' ')[1] ?? '/'
      const reply = RESPONSES[path] ?? RESPONSES['/plain']!
      if (typeof reply === 'string') return void socket.write(reply)
      reply.forEach((part, i) => {
        setTimeout(() => socket.write(part), 15 * i)
      })
    })
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  const upstreamPort = (upstream.address() as AddressInfo).port
  gateway = await createGateway({
    config: config(
      [
        listener(
          8080,
          'HTTP',
          [
            httpServer(
              'http.8080',
              ['*'],
              [
                {
                  prefix: '/',
                  action: { kind: 'route', route: forwardSpec({ destinations: [destination(C)] }) },
                },
              ],
            ),
          ],
          true,
        ),
      ],
      [cluster(C, [{ port: upstreamPort }])],
    ),
    ports: { 8080: 0 },
    route: testRoute,
    drainTimeoutMs: 200,
  })
  port = gateway.addresses[8080]!.port
})

afterAll(async () => {
  await gateway.close()
  await new Promise<void>((resolve) => upstream.close(() => resolve()))
})

describe('HTTP/2 downstream responses (the stream API, not the compatibility layer)', () => {
  it('answers a GET with the upstream head, the gateway fields and the body', async () => {
    const a = await ask('/plain')
    expect(a.headers[':status']).toBe(200)
    expect(a.headers['content-type']).toBe('text/plain')
    expect(a.headers.server).toBe('portico')
    expect(a.headers.date).toBeDefined()
    expect(a.headers['x-envoy-upstream-service-time']).toBeDefined()
    expect(a.body).toBe('ok')
  })

  it('sends no body for HEAD and for 204', async () => {
    const head = await ask('/plain', { ':method': 'HEAD' })
    expect(head.headers[':status']).toBe(200)
    expect(head.body).toBe('')
    const empty = await ask('/empty')
    expect(empty.headers[':status']).toBe(204)
    expect(empty.body).toBe('')
  })

  it('relays upstream trailers, whether they arrive with the body or after it', async () => {
    const now = await ask('/trailers')
    expect(now.body).toBe('ab')
    expect(now.trailers?.['x-sum']).toBe('42')
    const later = await ask('/slow-trailers')
    expect(later.body).toBe('ab')
    expect(later.trailers?.['x-sum']).toBe('7')
  })

  it('answers 502 when the upstream head cannot be carried by HTTP/2', async () => {
    const a = await ask('/two-types')
    expect(a.headers[':status']).toBe(502)
    expect(a.body).toContain('protocol error')
  })

  it('forwards a request body', async () => {
    const a = await ask('/plain', { ':method': 'POST', 'content-length': '5' }, 'hello')
    expect(a.headers[':status']).toBe(200)
    expect(received.at(-1)).toBe('hello')
  })

  it('answers 417 to an expectation other than 100-continue, as Node does', async () => {
    const a = await ask('/plain', { expect: 'something-else' })
    expect(a.headers[':status']).toBe(417)
  })
})
