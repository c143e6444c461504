import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { compile, createSnapshot, describeRoutes, parseResources, validate } from '@portico/core'
import { createGateway } from '@portico/server'
import { request } from '@portico/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildConfig } from './config.js'

/** A team's backend: answers `<team> <path>`. */
async function backend(team: string): Promise<Server> {
  const server = createServer((req, res) => res.end(`${team} ${req.url}`))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

const servers: Record<string, Server> = {}
beforeAll(async () => {
  servers.search = await backend('search')
  servers.checkout = await backend('checkout')
})
afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => new Promise((resolve) => s.close(resolve))))
})

function teams() {
  const out: Record<string, { address: string; port: number }> = {}
  for (const [team, s] of Object.entries(servers))
    out[team] = { address: '127.0.0.1', port: (s.address() as AddressInfo).port }
  return out
}

describe('examples/programmatic', () => {
  it('builds resources that validate without findings', () => {
    expect(validate(buildConfig(teams()))).toEqual([])
  })

  it('compiles one route per team, with its timeout and retries', () => {
    const { value, diagnostics } = compile(createSnapshot(buildConfig(teams())))
    expect(diagnostics).toEqual([])
    const rows = describeRoutes(value).routes
    expect(rows.map((r) => r.match)).toEqual(['uri prefix "/search/"', 'uri prefix "/checkout/"'])
  })

  it('is the same configuration once written out as YAML/JSON documents and loaded back', () => {
    const resources = buildConfig(teams())
    const text = resources.map((r) => JSON.stringify(r, null, 2)).join('\n---\n')
    const loaded = parseResources(text, 'generated.yaml')
    expect(loaded.diagnostics).toEqual([])
    expect(loaded.resources).toEqual(resources)
  })

  it('serves the teams through a real gateway', async () => {
    await using gateway = await createGateway({
      config: { resources: buildConfig(teams()) },
      ports: { 80: 0 },
    })
    const at = gateway.addresses[80]
    if (at === undefined) throw new Error('port 80 is not served')
    const target = { host: at.address, port: at.port }
    const search = await request(target, { url: 'http://teams.example.com/search/q?x=1' })
    expect([search.status, search.text()]).toEqual([200, 'search /search/q?x=1'])
    const checkout = await request(target, { url: 'http://teams.example.com/checkout/cart' })
    expect([checkout.status, checkout.text()]).toEqual([200, 'checkout /checkout/cart'])
    expect((await request(target, { url: 'http://teams.example.com/other' })).status).toBe(404)
  })
})
