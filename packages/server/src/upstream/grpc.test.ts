import { createServer as createH2cServer, type Http2Server, connect as h2connect } from 'node:http2'
import { afterEach, describe, expect, it } from 'vitest'
import { createGateway } from '../gateway.js'
import { cluster, config, destination, forwardSpec, httpServer, listener, testRoute } from '../test/config.js'

const C = 'outbound|50051||grpc'
const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

describe('HTTP/2 upstreams (GRPC / HTTP2 ports)', () => {
  it('speaks h2c to the upstream, keeping te: trailers', async () => {
    const seen: Record<string, unknown>[] = []
    const upstream: Http2Server = createH2cServer((req, res) => {
      seen.push({ version: req.httpVersion, ...req.headers })
      req.resume()
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/grpc' })
        res.addTrailers({ 'grpc-status': '0', 'grpc-message': 'ok' })
        res.end(Buffer.from([0, 0, 0, 0, 0]))
      })
    })
    upstream.on('session', (s) => cleanup.push(async () => void s.destroy()))
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
    cleanup.push(() => new Promise<void>((resolve) => upstream.close(() => resolve())))
    const upstreamPort = (upstream.address() as { port: number }).port
    const grpcCluster = { ...cluster(C, [{ port: upstreamPort }]), protocol: 'GRPC' }
    const gw = await createGateway({
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
        [grpcCluster],
      ),
      ports: { 8080: 0 },
      route: testRoute,
      drainTimeoutMs: 200,
    })
    cleanup.push(() => gw.close())
    const result = await new Promise<{ status: number; trailers: Record<string, unknown>; bytes: number }>(
      (resolve, reject) => {
        const session = h2connect(`http://127.0.0.1:${gw.addresses[8080]!.port}`)
        session.on('error', reject)
        const req = session.request({
          ':method': 'POST',
          ':path': '/helloworld.Greeter/SayHello',
          ':authority': 'grpc.example.com',
          'content-type': 'application/grpc',
          te: 'trailers',
        })
        let status = 0
        let bytes = 0
        let trailers: Record<string, unknown> = {}
        req.on('response', (h) => {
          status = Number(h[':status'])
        })
        req.on('trailers', (t) => {
          trailers = { ...t }
        })
        req.on('data', (d: Buffer) => {
          bytes += d.length
        })
        req.on('end', () => {
          session.close()
          resolve({ status, trailers, bytes })
        })
        req.end(Buffer.from([0, 0, 0, 0, 0]))
      },
    )
    expect(result.status).toBe(200)
    expect(result.bytes).toBe(5)
    // The upstream's trailers reach the client: a gRPC call's outcome is its grpc-status trailer.
    expect(result.trailers).toMatchObject({ 'grpc-status': '0', 'grpc-message': 'ok' })
    expect(seen[0]).toMatchObject({ version: '2.0', te: 'trailers', ':authority': 'grpc.example.com' })
  })
})
