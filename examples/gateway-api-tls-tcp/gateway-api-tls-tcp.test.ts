import { once } from 'node:events'
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls'
import { fileURLToPath } from 'node:url'
import { compile, createSnapshot, hasErrors, loadResources, type Resource, validate } from '@portico/core'
import { createGateway, type Gateway } from '@portico/server'
import { createCertificate } from '@portico/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const dir = fileURLToPath(new URL('.', import.meta.url))

// The backends: an "nginx" that terminates TLS with its own certificate, and two echo versions.
// Each answers its name on the first line, then echoes what it receives.
const nginxCertificate = createCertificate({ commonName: 'nginx.example.com' })
const backends = new Map<string, Server>([
  [
    'my-nginx',
    createTlsServer(nginxCertificate, (s) => {
      s.on('error', () => s.destroy())
      s.end(`my-nginx ${String(s.servername)}\n`)
    }),
  ],
  ...['tcp-echo-v1', 'tcp-echo-v2'].map(
    (name) =>
      [
        name,
        createServer((s) => {
          s.on('error', () => s.destroy())
          s.write(`${name}\n`)
          s.pipe(s)
        }),
      ] as const,
  ),
])

let gateway: Gateway

beforeAll(async () => {
  const ports = new Map<string, number>()
  for (const [name, server] of backends) {
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    ports.set(name, (server.address() as { port: number }).port)
  }
  const loaded = await loadResources([dir])
  expect(loaded.diagnostics).toEqual([])
  // Each EndpointSlice names a fixed port of 127.0.0.1; point it at the backend started here.
  const resources = loaded.resources.map((r) => {
    if (r.kind !== 'EndpointSlice') return r
    const service = r.metadata.labels?.['kubernetes.io/service-name'] ?? ''
    return { ...r, ports: r.ports?.map((p) => ({ ...p, port: ports.get(service) })) }
  }) as Resource[]
  expect(hasErrors(validate(resources))).toBe(false)
  const compiled = compile(createSnapshot(resources)).value
  gateway = await createGateway({ config: compiled, ports: { 443: 0, 31400: 0 }, bind: '127.0.0.1' })
})

afterAll(async () => {
  await gateway?.close()
  for (const server of backends.values()) server.close()
})

/** The first line a connection receives, or `closed` when the gateway closes it first. */
async function firstLine(socket: Socket, ready: string): Promise<string> {
  socket.setEncoding('utf8')
  let text = ''
  try {
    await once(socket, ready)
    for await (const chunk of socket) {
      text += chunk
      if (text.includes('\n')) return text.slice(0, text.indexOf('\n'))
    }
    return 'closed'
  } catch {
    return 'closed'
  } finally {
    socket.destroy()
  }
}

const tls = (servername: string) =>
  firstLine(
    tlsConnect({
      host: '127.0.0.1',
      port: gateway.addresses[443]!.port,
      servername,
      ca: nginxCertificate.cert, // the backend's certificate: the gateway never terminates
    }),
    'secureConnect',
  )
const tcp = () =>
  firstLine(netConnect({ host: '127.0.0.1', port: gateway.addresses[31400]!.port }), 'connect')

describe('examples/gateway-api-tls-tcp', () => {
  it('passes TLS for nginx.example.com through to my-nginx, which holds the certificate', async () => {
    expect(await tls('nginx.example.com')).toBe('my-nginx nginx.example.com')
  })

  it('refuses other SNI names', async () => {
    expect(await tls('other.example.com')).toBe('closed')
  })

  it('shares TCP connections between the two echo versions', async () => {
    const seen = new Set<string>()
    for (let i = 0; i < 100 && seen.size < 2; i++) seen.add(await tcp())
    expect([...seen].sort()).toEqual(['tcp-echo-v1', 'tcp-echo-v2'])
  })
})
