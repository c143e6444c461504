import { createServer, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createGateway } from '../gateway.js'
import {
  cluster,
  config,
  destination,
  forwardSpec,
  httpServer,
  listener,
  startUpstream,
  testRoute,
} from '../test/config.js'

const C = 'outbound|8000||ws'
const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

/** Sends raw bytes and collects what comes back until `done` says so or the peer closes. */
function exchange(
  port: number,
  text: string,
  done: (received: string) => boolean,
  then?: (s: Socket) => void,
) {
  return new Promise<string>((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(text))
    let out = ''
    let sent = false
    s.on('data', (d) => {
      out += d
      if (!sent && then && out.includes('\r\n\r\n')) {
        sent = true
        then(s)
      }
      if (done(out)) {
        s.destroy()
        resolve(out)
      }
    })
    s.on('error', () => resolve(out))
    s.on('close', () => resolve(out))
  })
}

async function wsUpstream(): Promise<{ port: number; heads: Record<string, unknown>[] }> {
  const heads: Record<string, unknown>[] = []
  const server: Server = createServer((_req, res) => res.end('plain'))
  server.on('upgrade', (req, socket) => {
    heads.push({ url: req.url, ...req.headers })
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n')
    socket.on('data', (d) => socket.write(`echo:${d}`))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  server.on('connection', (s) => cleanup.push(async () => void s.destroy()))
  return { port: (server.address() as { port: number }).port, heads }
}

async function gatewayTo(port: number): Promise<number> {
  const gw = await createGateway({
    config: config(
      [
        listener(80, 'HTTP', [
          httpServer(
            'http.80',
            ['*'],
            [
              {
                prefix: '/',
                action: { kind: 'route', route: forwardSpec({ destinations: [destination(C)] }) },
              },
            ],
          ),
        ]),
      ],
      [cluster(C, [{ port }])],
    ),
    ports: { 80: 0 },
    route: testRoute,
    drainTimeoutMs: 200,
  })
  cleanup.push(() => gw.close())
  return gw.addresses[80]!.port
}

describe('upgrades', () => {
  it('tunnels a WebSocket upgrade to the upstream with the gateway headers', async () => {
    const up = await wsUpstream()
    const port = await gatewayTo(up.port)
    const out = await exchange(
      port,
      'GET /chat HTTP/1.1\r\nHost: ws.example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      (r) => r.includes('echo:ping'),
      (s) => s.write('ping'),
    )
    expect(out).toMatch(/^HTTP\/1\.1 101/)
    expect(out).toContain('echo:ping')
    expect(up.heads[0]).toMatchObject({
      url: '/chat',
      host: 'ws.example.com',
      upgrade: 'websocket',
      'x-forwarded-proto': 'http',
      'x-forwarded-for': '127.0.0.1',
    })
  })

  it('serves an h2c upgrade request as a plain request, with the upgrade stripped', async () => {
    const u = await startUpstream()
    cleanup.push(() => u.close())
    const port = await gatewayTo(u.port)
    const out = await exchange(
      port,
      'GET /plain HTTP/1.1\r\nHost: a.example.com\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n',
      () => false,
    )
    expect(out).toMatch(/^HTTP\/1\.1 200/)
    expect(out).toMatch(/server: portico/i)
    expect(u.seen[0]?.headers.upgrade).toBeUndefined()
    expect(u.seen[0]?.headers['http2-settings']).toBeUndefined()
  })
})
