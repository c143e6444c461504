import { bench, describe } from 'vitest'
import { compileResources, facts, seedResources, type TestResource } from '../src/compile/test-fixtures.js'
import type { CompiledConfig, RequestFacts } from '../src/compile/types.js'
import { route } from '../src/route/router.js'

/**
 * route() throughput for the seed config, 10,000 hosts × 10 routes and one host × 10,000 prefix
 * routes (plus one host × 10 routes, the baseline for the large/small ratio). Compile time and
 * heap of the large configs are printed once when this file loads.
 */

const gateway: TestResource = {
  kind: 'Gateway',
  metadata: { name: 'g' },
  spec: { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] },
}

function prefixRoutes(n: number, tag: string) {
  return Array.from({ length: n }, (_, i) => ({
    match: [{ uri: { prefix: `/${tag}/r${i}/` } }],
    route: [{ destination: { host: `svc${i % 50}`, port: { number: 8000 } } }],
  }))
}

function manyHosts(hosts: number, routes: number): TestResource[] {
  const out: TestResource[] = [gateway]
  for (let h = 0; h < hosts; h++) {
    out.push({
      kind: 'VirtualService',
      metadata: { name: `vs${h}` },
      spec: { hosts: [`host${h}.example.com`], gateways: ['g'], http: prefixRoutes(routes, 'api') },
    })
  }
  return out
}

function oneHost(routes: number): TestResource[] {
  return [
    gateway,
    {
      kind: 'VirtualService',
      metadata: { name: 'big' },
      spec: { hosts: ['big.example.com'], gateways: ['g'], http: prefixRoutes(routes, 'api') },
    },
  ]
}

function measure(label: string, input: TestResource[]): CompiledConfig {
  globalThis.gc?.()
  const heap0 = process.memoryUsage().heapUsed
  const t0 = performance.now()
  const c = compileResources(input)
  const ms = performance.now() - t0
  globalThis.gc?.()
  const heap = (process.memoryUsage().heapUsed - heap0) / 1024 / 1024
  console.log(
    `[compile] ${label}: ${ms.toFixed(0)} ms, compiled heap +${heap.toFixed(1)} MiB (input excluded)`,
  )
  return c
}

const seed = compileResources(seedResources(2))
const small = compileResources(oneHost(10))
const wide = measure('10,000 hosts x 10 routes', manyHosts(10_000, 10))
const deep = measure('1 host x 10,000 prefix routes', oneHost(10_000))

const seedReq = facts(80, 'httpbin.example.com', '/status/200')
// 1,000 request objects for every large/small case, so they differ only in the table they hit.
const smallReqs: RequestFacts[] = Array.from({ length: 1000 }, (_, i) =>
  facts(80, 'big.example.com', `/api/r${i % 10}/items?x=1`),
)
const wideReqs: RequestFacts[] = Array.from({ length: 1000 }, (_, i) =>
  facts(80, `host${(i * 7919) % 10_000}.example.com`, `/api/r${i % 10}/items?x=1`),
)
const deepReqs: RequestFacts[] = Array.from({ length: 1000 }, (_, i) =>
  facts(80, 'big.example.com', `/api/r${(i * 7919) % 10_000}/items?x=1`),
)

let sink = 0
function batch(c: CompiledConfig, reqs: readonly RequestFacts[]): void {
  for (let k = 0; k < reqs.length; k++) sink += route(c, reqs[k]!).kind.length
}
const seedReqs = Array.from({ length: 1000 }, () => seedReq)

// Each operation routes 1,000 requests: decisions/s = hz × 1,000.
describe('route() decisions, 1,000 per op', () => {
  bench('seed config: /status/200', () => batch(seed, seedReqs))
  bench('1 host x 10 prefix routes', () => batch(small, smallReqs))
  bench('10,000 hosts x 10 routes', () => batch(wide, wideReqs))
  bench('1 host x 10,000 prefix routes', () => batch(deep, deepReqs))
})
if (sink < 0) console.log(sink)
