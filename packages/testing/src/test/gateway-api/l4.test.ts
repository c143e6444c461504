import { createServer, connect as netConnect, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls'
import type { Gateway } from '@portico/server'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createCertificate } from '../../certs.js'
import { serveManifests } from './harness.js'

// TLSRoute and TCPRoute over real sockets, in the manner of the Gateway API's TLSRoute and
// TCPRoute conformance tests: TLS passed through by SNI to backends that terminate TLS
// themselves, TCP proxied to echo backends, weights, an invalid backend, and routes whose kind a
// listener does not take.

const NS = 'l4-infra'

/** Each backend greets a connection with its name (and the SNI it was reached by), then echoes. */
function greetAndEcho(name: string, socket: Socket & { servername?: string | false | null }): void {
  const sni = typeof socket.servername === 'string' ? ` ${socket.servername}` : ''
  socket.write(`${name}${sni}\n`)
  socket.on('error', () => socket.destroy())
  socket.pipe(socket)
}

const TLS_BACKENDS = {
  'tls-backend-a': createCertificate({ commonName: 'abc.example.com' }),
  'tls-backend-b': createCertificate({ commonName: 'wildcard.example.com', altNames: ['*.example.com'] }),
} as const
const TCP_BACKENDS = ['tcp-echo-v1', 'tcp-echo-v2', 'tcp-echo-v3', 'tcp-echo-other'] as const
/** The certificate of the HTTPS listener that shares port 443 with the passthrough listener. */
const GATEWAY_CERTIFICATE = createCertificate({ commonName: 'secure.example.com' })
const b64 = (text: string) => Buffer.from(text).toString('base64')
const SECRET = `apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata: {name: gateway-certificate, namespace: ${NS}}
data: {tls.crt: ${b64(GATEWAY_CERTIFICATE.cert)}, tls.key: ${b64(GATEWAY_CERTIFICATE.key)}}
`

function serviceManifest(name: string, namespace: string, port: number, target: number): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec: {ports: [{name: tcp, port: ${port}, protocol: TCP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${name}-1, namespace: ${namespace}, labels: {kubernetes.io/service-name: ${name}}}
addressType: IPv4
endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
ports: [{name: tcp, port: ${target}, protocol: TCP}]
`
}

const ROUTES = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: l4, namespace: ${NS}}
spec:
  gatewayClassName: istio
  listeners:
  - name: passthrough
    port: 443
    protocol: TLS
    hostname: "*.example.com"
    tls: {mode: Passthrough}
    allowedRoutes: {kinds: [{kind: TLSRoute}]}
  - {name: echo, port: 9000, protocol: TCP}
  - {name: split, port: 9001, protocol: TCP}
  - {name: cross, port: 9002, protocol: TCP}
  - {name: granted, port: 9003, protocol: TCP, allowedRoutes: {namespaces: {from: All}}}
  - {name: web, port: 80, protocol: HTTP}
  - name: terminated
    port: 443
    protocol: HTTPS
    hostname: secure.example.com
    tls: {certificateRefs: [{name: gateway-certificate}]}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: exact, namespace: ${NS}}
spec:
  parentRefs: [{name: l4, sectionName: passthrough}]
  hostnames: [abc.example.com]
  rules: [{backendRefs: [{name: tls-backend-a, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: wider, namespace: ${NS}}
spec:
  parentRefs: [{name: l4, sectionName: passthrough}]
  hostnames: ["*.com"]
  rules: [{backendRefs: [{name: tls-backend-b, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: echo, namespace: ${NS}}
spec:
  parentRefs: [{name: l4, port: 9000}]
  rules: [{backendRefs: [{name: tcp-echo-v1, port: 7000}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: split, namespace: ${NS}}
spec:
  parentRefs: [{name: l4, sectionName: split}]
  rules:
  - backendRefs:
    - {name: tcp-echo-v1, port: 7000, weight: 3}
    - {name: tcp-echo-v2, port: 7000, weight: 1}
    - {name: tcp-echo-v3, port: 7000, weight: 0}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: cross, namespace: ${NS}}
spec:
  parentRefs: [{name: l4, sectionName: cross}]
  rules: [{backendRefs: [{name: tcp-echo-other, namespace: l4-other, port: 7000}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: granted, namespace: l4-granted}
spec:
  parentRefs: [{name: l4, namespace: ${NS}, sectionName: granted}]
  rules: [{backendRefs: [{name: tcp-echo-other, namespace: l4-other, port: 7000}]}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: tcproutes-to-echo, namespace: l4-other}
spec:
  from: [{group: gateway.networking.k8s.io, kind: TCPRoute, namespace: l4-granted}]
  to: [{group: "", kind: Service, name: tcp-echo-other}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: on-http, namespace: ${NS}}
spec:
  parentRefs: [{name: l4, sectionName: web}]
  rules: [{backendRefs: [{name: tcp-echo-v2, port: 7000}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: on-tcp, namespace: ${NS}}
spec:
  parentRefs: [{name: l4, sectionName: echo}]
  rules: [{backendRefs: [{name: tls-backend-a, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: on-tls, namespace: ${NS}}
spec:
  parentRefs: [{name: l4, sectionName: passthrough}]
  rules: [{backendRefs: [{name: tcp-echo-v2, port: 7000}]}]
`

/** What a client got from one connection: the greeting line and the echo of `probe`, or nothing. */
interface Exchange {
  readonly greeting?: string
  readonly echo?: string
  /** The certificate the client verified (TLS only): the backend's, never the gateway's. */
  readonly peerCommonName?: string
  /** The gateway closed the connection before any backend spoke. */
  readonly rejected: boolean
  /** Nothing happened within the wait: neither a greeting nor a close (never a pass). */
  readonly stalled?: true
}

const WAIT_MS = 10_000

/**
 * Reads the greeting, sends `probe`, reads it back. A connection closed before the greeting is
 * rejected; one that neither greets nor closes within the wait is stalled.
 */
function exchange(socket: Socket, probe: string, ready: 'connect' | 'secureConnect'): Promise<Exchange> {
  return new Promise((resolve) => {
    let text = ''
    let greeting: string | undefined
    let peerCommonName: string | undefined
    const timer = setTimeout(() => finish(true), WAIT_MS)
    const finish = (stalled = false) => {
      clearTimeout(timer)
      socket.destroy()
      resolve({
        rejected: greeting === undefined && !stalled,
        ...(stalled && greeting === undefined ? { stalled: true as const } : {}),
        ...(greeting === undefined ? {} : { greeting }),
        ...(greeting === undefined ? {} : { echo: text }),
        ...(peerCommonName === undefined ? {} : { peerCommonName }),
      })
    }
    socket.once(ready, () => {
      if ('getPeerCertificate' in socket) {
        const cn = (
          socket as unknown as { getPeerCertificate(): { subject?: { CN?: string } } }
        ).getPeerCertificate().subject?.CN
        if (typeof cn === 'string') peerCommonName = cn
      }
    })
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      text += chunk
      if (greeting === undefined) {
        const newline = text.indexOf('\n')
        if (newline < 0) return
        greeting = text.slice(0, newline)
        text = text.slice(newline + 1)
        socket.write(probe)
      }
      if (text === probe) finish()
    })
    socket.on('error', () => finish())
    socket.on('close', () => finish())
  })
}

/** Sends an HTTP/1.1 request once connected and gives the response's status line. */
function firstResponseLine(
  socket: Socket,
  request: string,
  ready: 'connect' | 'secureConnect',
): Promise<string> {
  return new Promise((resolve) => {
    let text = ''
    const done = (line: string) => {
      socket.destroy()
      resolve(line)
    }
    socket.setEncoding('utf8')
    socket.once(ready, () => socket.write(request))
    socket.on('data', (chunk: string) => {
      text += chunk
      if (text.includes('\r\n')) done(text.slice(0, text.indexOf('\r\n')))
    })
    socket.on('error', () => done(`error after ${JSON.stringify(text)}`))
    socket.on('close', () => done(text))
  })
}

describe('TLSRoute and TCPRoute on the wire', () => {
  let gateway: Gateway | undefined
  let compiled: Awaited<ReturnType<typeof serveManifests>>['compiled'] | undefined
  const backends: Server[] = []

  beforeAll(async () => {
    const targets = new Map<string, number>()
    const listen = async (server: Server, name: string) => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      backends.push(server)
      targets.set(name, (server.address() as { port: number }).port)
    }
    for (const [name, pair] of Object.entries(TLS_BACKENDS)) {
      await listen(
        createTlsServer({ cert: pair.cert, key: pair.key }, (socket) => greetAndEcho(name, socket)),
        name,
      )
    }
    for (const name of TCP_BACKENDS) {
      await listen(
        createServer((socket) => greetAndEcho(name, socket)),
        name,
      )
    }
    const services = [
      ...Object.keys(TLS_BACKENDS).map((name) => serviceManifest(name, NS, 443, targets.get(name)!)),
      ...TCP_BACKENDS.map((name) =>
        serviceManifest(name, name === 'tcp-echo-other' ? 'l4-other' : NS, 7000, targets.get(name)!),
      ),
    ]
    const served = await serveManifests([...services, SECRET, ROUTES].join('---\n'))
    gateway = served.gateway
    compiled = served.compiled
  })

  afterAll(async () => {
    await gateway?.close()
    await Promise.all(backends.map((s) => new Promise((resolve) => s.close(resolve))))
  })

  const portOf = (gatewayPort: number) => {
    const address = gateway?.addresses[gatewayPort]
    if (address === undefined) throw new Error(`gateway port ${gatewayPort} is not served`)
    return address.port
  }
  const tls = (sni: string | undefined, ca: string, probe = 'ping') =>
    exchange(
      tlsConnect({
        host: '127.0.0.1',
        port: portOf(443),
        ca,
        ...(sni === undefined ? {} : { servername: sni }),
        checkServerIdentity: () => undefined,
      }),
      probe,
      'secureConnect',
    )
  const tcp = (gatewayPort: number, probe = 'hello') =>
    exchange(netConnect({ host: '127.0.0.1', port: portOf(gatewayPort) }), probe, 'connect')

  test('TLS passes through by SNI: the exact hostname reaches backend a, which terminates TLS itself', async () => {
    const got = await tls('abc.example.com', TLS_BACKENDS['tls-backend-a'].cert)
    expect(got).toEqual({
      rejected: false,
      greeting: 'tls-backend-a abc.example.com',
      echo: 'ping',
      peerCommonName: 'abc.example.com',
    })
  })

  test('another name under the listener hostname reaches backend b through the wider route', async () => {
    const got = await tls('other.example.com', TLS_BACKENDS['tls-backend-b'].cert, 'pong')
    expect(got).toMatchObject({
      greeting: 'tls-backend-b other.example.com',
      echo: 'pong',
      peerCommonName: 'wildcard.example.com',
    })
  })

  test('a name outside the listener hostname, or no SNI at all, is refused', async () => {
    expect(await tls('abc.example.net', TLS_BACKENDS['tls-backend-a'].cert)).toEqual({ rejected: true })
    expect(await tls(undefined, TLS_BACKENDS['tls-backend-a'].cert)).toEqual({ rejected: true })
  })

  test('TCP is proxied to the echo backend, bytes both ways', async () => {
    expect(await tcp(9000, 'hello over tcp')).toEqual({
      rejected: false,
      greeting: 'tcp-echo-v1',
      echo: 'hello over tcp',
    })
  })

  test('connections split by weight 3:1:0 (within a wide statistical margin)', async () => {
    const counts: Record<string, number> = {}
    for (let i = 0; i < 80; i++) {
      const got = await tcp(9001)
      const name = got.greeting ?? 'rejected'
      counts[name] = (counts[name] ?? 0) + 1
    }
    expect(counts['tcp-echo-v3']).toBeUndefined()
    expect(counts.rejected).toBeUndefined()
    expect(counts['tcp-echo-v1']).toBeGreaterThan(40)
    expect(counts['tcp-echo-v2']).toBeGreaterThan(5)
  }, 60_000)

  test('a backend in another namespace without a ReferenceGrant: connections refused, RefNotPermitted', async () => {
    expect(await tcp(9002)).toEqual({ rejected: true })
    const route = compiled?.gatewayApi?.routes.find((r) => r.route.name === 'cross')
    expect(route?.parents[0]?.conditions).toContainEqual(
      expect.objectContaining({ type: 'ResolvedRefs', status: 'False', reason: 'RefNotPermitted' }),
    )
  })

  test('the same backend is reached from a namespace that a ReferenceGrant in its own allows', async () => {
    expect(await tcp(9003, 'granted')).toEqual({
      rejected: false,
      greeting: 'tcp-echo-other',
      echo: 'granted',
    })
  })

  test('an HTTPS listener shares port 443: its name is terminated by the gateway, the others pass through', async () => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: portOf(443),
      servername: 'secure.example.com',
      ca: GATEWAY_CERTIFICATE.cert,
      ALPNProtocols: ['http/1.1'],
    })
    const head = await firstResponseLine(
      socket,
      'GET / HTTP/1.1\r\nHost: secure.example.com\r\nConnection: close\r\n\r\n',
      'secureConnect',
    )
    // No HTTPRoute is attached to it: the gateway itself answers 404, with its own certificate.
    expect(head).toBe('HTTP/1.1 404 Not Found')
    expect((await tls('abc.example.com', TLS_BACKENDS['tls-backend-a'].cert)).greeting).toBe(
      'tls-backend-a abc.example.com',
    )
  })

  test('routes of a kind the listener does not take do not attach and change nothing on the wire', async () => {
    const accepted = (name: string) =>
      compiled?.gatewayApi?.routes
        .find((r) => r.route.name === name)
        ?.parents.map((p) => p.conditions.find((c) => c.type === 'Accepted')?.reason)
    expect(accepted('on-http')).toEqual(['NotAllowedByListeners'])
    expect(accepted('on-tcp')).toEqual(['NotAllowedByListeners'])
    expect(accepted('on-tls')).toEqual(['NotAllowedByListeners'])
    const listeners = compiled?.gatewayApi?.gateways[0]?.listeners
    expect(listeners?.map((l) => [l.name, l.attachedRoutes])).toEqual([
      ['passthrough', 2],
      ['echo', 1],
      ['split', 1],
      ['cross', 1],
      ['granted', 1],
      ['web', 0],
      ['terminated', 0],
    ])
    // The HTTP listener still speaks HTTP (404: nothing attached), never proxies the TCPRoute.
    const head = await firstResponseLine(
      netConnect({ host: '127.0.0.1', port: portOf(80) }),
      'GET / HTTP/1.1\r\nHost: web.example.com\r\nConnection: close\r\n\r\n',
      'connect',
    )
    expect(head).toBe('HTTP/1.1 404 Not Found')
    // The TCP listener still proxies its own TCPRoute only.
    expect((await tcp(9000)).greeting).toBe('tcp-echo-v1')
  })
})
