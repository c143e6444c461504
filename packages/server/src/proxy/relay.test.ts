import { once } from 'node:events'
import { createServer, request, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { createGateway } from '../gateway.js'
import { cluster, config, destination, forwardSpec, httpServer, listener, testRoute } from '../test/config.js'

const C1 = 'outbound|8000||httpbin.default.svc.cluster.local'
const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

/** Every byte value, then a pattern, `n` bytes in all. */
function bytes(n: number): Buffer {
  const out = Buffer.alloc(n)
  for (let i = 0; i < n; i++) out[i] = (i * 131 + (i >> 8)) & 255
  return out
}

/** An upstream answering `/len/N` with N binary bytes, with a Content-Length or chunked (`?chunked`). */
async function binaryUpstream(): Promise<number> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://u')
    const body = bytes(Number(url.pathname.split('/')[2]))
    if (url.searchParams.has('chunked')) res.writeHead(200, { 'content-type': 'application/octet-stream' })
    else res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length })
    res.end(body)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanup.push(() => new Promise((resolve) => server.close(() => resolve())))
  return (server.address() as { port: number }).port
}

function get(
  port: number,
  path: string,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, agent: false, headers: { host: 'httpbin.example.com' } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end()
  })
}

describe('relay of response bodies', () => {
  it('passes every byte value unchanged, for bodies written with their head and for larger ones, framed as the upstream framed them', async () => {
    const upstreamPort = await binaryUpstream()
    const gw = await createGateway({
      config: config(
        [
          listener(80, 'HTTP', [
            httpServer(
              'http.80',
              ['httpbin.example.com'],
              [
                {
                  prefix: '/',
                  action: { kind: 'route', route: forwardSpec({ destinations: [destination(C1)] }) },
                },
              ],
            ),
          ]),
        ],
        [cluster(C1, [{ port: upstreamPort }])],
      ),
      ports: { 80: 0 },
      route: testRoute,
      drainTimeoutMs: 500,
    })
    cleanup.push(() => gw.close())
    const port = gw.addresses[80]!.port
    for (const n of [1, 128, 129, 256, 1024, 70_000]) {
      for (const chunked of [false, true]) {
        const r = await get(port, `/len/${n}${chunked ? '?chunked' : ''}`)
        expect(r.status).toBe(200)
        expect(r.body.equals(bytes(n))).toBe(true)
        if (chunked) expect(r.headers['transfer-encoding']).toBe('chunked')
        else expect(r.headers['content-length']).toBe(String(n))
      }
    }
    const head = await get(port, '/len/256', 'HEAD')
    expect(head.status).toBe(200)
    expect(head.body.length).toBe(0)
    expect(head.headers['content-length']).toBe('256')
  })
})
