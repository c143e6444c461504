import { fileURLToPath } from 'node:url'
import { compile, createSnapshot, hasErrors, loadResources, type Resource, validate } from '@portico/core'
import { createGateway, type Gateway } from '@portico/server'
import { type RunningHttpbin, request, startHttpbin } from '@portico/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const dir = fileURLToPath(new URL('.', import.meta.url))

let httpbin: RunningHttpbin
let gateway: Gateway

beforeAll(async () => {
  const loaded = await loadResources([dir])
  expect(loaded.diagnostics).toEqual([])
  httpbin = await startHttpbin()
  // The EndpointSlice names port 8080 of 127.0.0.1; point it at the local httpbin instead.
  const resources = loaded.resources.map((r) =>
    r.kind === 'EndpointSlice'
      ? { ...r, ports: [{ name: 'http', port: httpbin.port, protocol: 'TCP' as const }] }
      : r,
  ) as Resource[]
  expect(hasErrors(validate(resources))).toBe(false)
  const compiled = compile(createSnapshot(resources)).value
  gateway = await createGateway({ config: compiled, ports: { 80: 0 }, bind: '127.0.0.1' })
})

afterAll(async () => {
  await gateway?.close()
  await httpbin?.close()
})

const get = (path: string, host = 'httpbin.example.com') =>
  request({ host: '127.0.0.1', port: gateway.addresses[80]!.port }, { url: `http://${host}${path}` })

describe('examples/gateway-api', () => {
  it('serves /status and /delay of httpbin through the Service and its EndpointSlice', async () => {
    expect((await get('/status/200')).status).toBe(200)
    expect((await get('/status/418')).status).toBe(418)
    const delayed = await get('/delay/0')
    expect(delayed.status).toBe(200)
    expect(delayed.json<{ headers: Record<string, string> }>().headers).toMatchObject({
      'My-Added-Header': 'added-value',
    })
  })

  it('answers 404 for other paths and other hosts', async () => {
    expect((await get('/headers')).status).toBe(404)
    expect((await get('/statusx')).status).toBe(404)
    expect((await get('/status/200', 'other.example.com')).status).toBe(404)
  })
})
