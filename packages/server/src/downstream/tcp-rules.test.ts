import type { AddressInfo } from 'node:net'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { parseResources } from '@portico/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManagedGateway, type ManagedGateway } from '../admin/managed.js'

/** A TCP upstream that greets every connection with its name and closes. */
async function namedUpstream(name: string): Promise<{ port: number; server: Server }> {
  const server = createServer((socket: Socket) => socket.end(`${name}\n`))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as AddressInfo).port, server }
}

/** Connects, reads until the upstream closes, and returns what it said. */
function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (text += chunk))
    socket.once('close', () => resolve(text.trim()))
    socket.once('error', reject)
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')))
  })
}

const serviceEntry = (name: string, port: number) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${name} }
spec:
  hosts: [${name}.default.svc.cluster.local]
  addresses: [240.0.0.1]
  ports: [{ number: 5000, name: tcp, protocol: TCP }]
  resolution: STATIC
  endpoints: [{ address: 127.0.0.1, ports: { tcp: ${port} } }]`

describe('TCP rules at a gateway, over real sockets', () => {
  const upstreams: Server[] = []
  let gw: ManagedGateway

  beforeAll(async () => {
    const names = ['wrong-port', 'wrong-gateway', 'chosen', 'later']
    const started = await Promise.all(names.map(namedUpstream))
    for (const u of started) upstreams.push(u.server)
    const route = (name: string) =>
      `    route: [{ destination: { host: ${name}.default.svc.cluster.local, port: { number: 5000 } } }]`
    const yaml = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw }
spec:
  selector: { istio: ingressgateway }
  servers:
  - { port: { number: 31400, name: tcp, protocol: TCP }, hosts: ['*'] }
---
${names.map((n, i) => serviceEntry(n, started[i]!.port)).join('\n---\n')}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: tcp }
spec:
  hosts: ['*']
  gateways: [gw, other]
  tcp:
  - match: [{ port: 9000 }]
${route('wrong-port')}
  - match: [{ gateways: [other] }]
${route('wrong-gateway')}
  - match: [{ port: 9000 }, { port: 31400, destinationSubnets: [192.0.2.0/24], sourceLabels: { app: nobody } }]
${route('chosen')}
  - match: [{ port: 31400 }]
${route('later')}
`
    const { resources } = parseResources(yaml, 'tcp.yaml')
    gw = await createManagedGateway({ resources, ports: { 31400: 0 }, drainTimeoutMs: 200 })
  })

  afterAll(async () => {
    await gw?.close()
    for (const u of upstreams) await new Promise<void>((resolve) => u.close(() => resolve()))
  })

  it('the first rule whose match fits serves the port: earlier rules for another port or gateway are passed over; destinationSubnets and sourceLabels do not exclude at a gateway', async () => {
    const port = gw.addresses[31400]!.port
    expect(await greeting(port)).toBe('chosen')
    // The choice is made for the server, not per connection: every connection goes the same way.
    expect(await Promise.all([greeting(port), greeting(port), greeting(port)])).toEqual([
      'chosen',
      'chosen',
      'chosen',
    ])
  })
})
