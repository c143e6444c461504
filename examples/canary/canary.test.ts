import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import {
  compile,
  createSnapshot,
  hasErrors,
  loadResources,
  pickDestination,
  type Resource,
  route,
  validate,
} from '@portico/core'
import { createGateway } from '@portico/server'
import { request } from '@portico/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const dir = fileURLToPath(new URL('.', import.meta.url))

/** A backend that answers with its version, standing in for reviews v1 or v2. */
async function version(name: string): Promise<Server> {
  const server = createServer((_req, res) => res.end(name))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

let resources: Resource[]
let v1: Server
let v2: Server

beforeAll(async () => {
  const loaded = await loadResources([dir])
  expect(loaded.diagnostics).toEqual([])
  v1 = await version('v1')
  v2 = await version('v2')
  const port = (s: Server) => (s.address() as AddressInfo).port
  // Point the ServiceEntry's endpoints at the two local backends (the YAML names fixed ports).
  resources = loaded.resources.map((r) =>
    r.kind === 'ServiceEntry'
      ? {
          ...r,
          spec: {
            ...r.spec,
            endpoints: (r.spec.endpoints ?? []).map((e) => ({
              ...e,
              ports: { http: e.labels?.version === 'v1' ? port(v1) : port(v2) },
            })),
          },
        }
      : r,
  )
})
afterAll(async () => {
  await Promise.all([v1, v2].map((s) => new Promise((resolve) => s.close(resolve))))
})

describe('examples/canary', () => {
  it('validates without findings', () => {
    const findings = validate(resources)
    expect(hasErrors(findings)).toBe(false)
    expect(findings).toEqual([])
  })

  it('splits 90/10 by the cumulative weights route() returns', () => {
    const { value } = compile(createSnapshot(resources))
    const decision = route(value, {
      port: 80,
      scheme: 'http',
      method: 'GET',
      authority: 'reviews.example.com',
      path: '/reviews/1',
      headers: {},
    })
    expect(decision.kind).toBe('route')
    if (decision.kind !== 'route') return
    expect(decision.forward.destinations.map((d) => [d.subset, d.weight])).toEqual([
      ['v1', 90],
      ['v2', 10],
    ])
    expect(pickDestination(decision.forward, 0.5)?.subset).toBe('v1')
    expect(pickDestination(decision.forward, 0.95)?.subset).toBe('v2')
  })

  it('sends most requests to v1 and some to v2 through a real gateway', async () => {
    await using gateway = await createGateway({ config: { resources }, ports: { 80: 0 } })
    const http = gateway.addresses[80]
    if (http === undefined) throw new Error('port 80 is not served')
    const counts = { v1: 0, v2: 0 }
    for (let i = 0; i < 200; i++) {
      const res = await request(
        { host: http.address, port: http.port },
        { url: 'http://reviews.example.com/reviews/1' },
      )
      expect(res.status).toBe(200)
      counts[res.text() as 'v1' | 'v2']++
    }
    // 10% of 200: zero v2 answers happen with probability 0.9^200 ≈ 7e-10.
    expect(counts.v1 + counts.v2).toBe(200)
    expect(counts.v2).toBeGreaterThan(0)
    expect(counts.v1).toBeGreaterThan(counts.v2 * 2)
  })
})
