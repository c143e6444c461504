import { createCertificate, request, startHttpbin } from '@portico/testing'
import { describe, expect, it, vi } from 'vitest'
import { startApp } from './app.js'

const tls = createCertificate({ commonName: 'shop.example.com' })

describe('examples/embed-node-http', () => {
  it('serves the app and httpbin behind the gateway, over HTTPS from an in-memory certificate', async () => {
    await using httpbin = await startHttpbin()
    await using running = await startApp({ tls, httpbin: { address: '127.0.0.1', port: httpbin.port } })
    const https = running.gateway.addresses[443]
    const http = running.gateway.addresses[80]
    if (https === undefined || http === undefined) throw new Error('ports not served')
    const secure = { host: https.address, port: https.port }

    const api = await request(secure, {
      url: 'https://shop.example.com/api/orders',
      ca: tls.cert,
      http2: true,
    })
    expect(api.status).toBe(200)
    expect(api.protocol).toBe('h2')
    expect(api.json()).toEqual({ path: '/api/orders', forwardedProto: 'https' })
    expect(api.headers.server).toBe('portico')

    const status = await request(secure, { url: 'https://shop.example.com/status/418', ca: tls.cert })
    expect(status.status).toBe(418)

    const plain = await request(
      { host: http.address, port: http.port },
      { url: 'http://shop.example.com/api/x' },
    )
    expect(plain.status).toBe(301)
    expect(plain.headers.location).toBe('https://shop.example.com/api/x')

    expect((await request(secure, { url: 'https://shop.example.com/admin', ca: tls.cert })).status).toBe(404)

    // Events are published when each response closes, which can trail the client by a moment.
    await vi.waitFor(() => expect(running.log).toHaveLength(4))
    expect(running.log).toEqual([
      'GET /api/orders 200 - outbound|80||app.default.svc.cluster.local',
      'GET /status/418 418 - outbound|8000||httpbin.default.svc.cluster.local',
      'GET /api/x 301 - -',
      'GET /admin 404 NR -',
    ])
  })

  it('stops when its AbortSignal aborts', async () => {
    await using httpbin = await startHttpbin()
    const controller = new AbortController()
    const running = await startApp({
      tls,
      httpbin: { address: '127.0.0.1', port: httpbin.port },
      signal: controller.signal,
    })
    const http = running.gateway.addresses[80]
    if (http === undefined) throw new Error('port 80 not served')
    controller.abort()
    await running.close()
    await expect(
      request(
        { host: http.address, port: http.port },
        { url: 'http://shop.example.com/api/x', timeoutMs: 2000 },
      ),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })
})
