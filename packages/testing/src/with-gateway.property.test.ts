import { request as httpRequest } from 'node:http'
import { compile, createSnapshot, type RequestFacts, type Resource, route } from '@portico/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { arbitraries } from './arbitraries/index.js'
import { withGateway } from './with-gateway.js'

/** Faults would only slow the run down (delays up to 10 s) and blur 404s; everything else stays. */
function withoutFaults(resources: readonly Resource[]): Resource[] {
  return resources.map((r) =>
    r.kind === 'VirtualService'
      ? { ...r, spec: { ...r.spec, http: (r.spec.http ?? []).map(({ fault: _, ...rest }) => rest) } }
      : r,
  )
}

const served = arbitraries
  .config({ plaintext: true, maxGateways: 2, maxVirtualServices: 2, maxRoutes: 3 })
  .map(withoutFaults)
  .chain((resources) =>
    fc.tuple(
      fc.constant(resources),
      fc.array(arbitraries.request(resources), { minLength: 6, maxLength: 6 }),
    ),
  )

/** Sends the facts as they are (Host included, whatever its form) and reads the status and headers. */
function send(address: { address: string; port: number }, facts: RequestFacts) {
  return new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: address.address,
        port: address.port,
        method: facts.method,
        path: facts.path,
        headers: { ...headersOf(facts), host: facts.authority },
        agent: false,
        timeout: 15_000,
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }))
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')))
    req.on('error', reject)
    req.end()
  })
}

function headersOf(facts: RequestFacts): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(facts.headers)) {
    if (value !== undefined) out[name] = typeof value === 'string' ? value : value.join(',')
  }
  return out
}

describe('withGateway serves what route() decides', () => {
  it('over real sockets: 404 NR, redirects and direct responses as route() predicts, forwards never a 404 NR', async () => {
    await fc.assert(
      fc.asyncProperty(served, async ([resources, requests]) => {
        const compiled = compile(createSnapshot(resources)).value
        await withGateway(resources, async ({ gateway }) => {
          for (const facts of requests) {
            const decision = route(compiled, facts)
            const response = await send(gateway.addresses[facts.port]!, facts)
            const proxied = response.headers['x-envoy-upstream-service-time'] !== undefined
            const context = `${JSON.stringify(facts)} → ${decision.kind} → ${response.status}`
            switch (decision.kind) {
              case 'notFound':
                expect(response.status, context).toBe(404)
                expect(proxied, context).toBe(false)
                break
              case 'redirect':
              case 'directResponse':
              case 'reject':
                expect(response.status, context).toBe(decision.status)
                break
              case 'route':
                expect(response.status === 404 && !proxied, context).toBe(false)
                break
            }
          }
        })
      }),
      { numRuns: 6 },
    )
  }, 90_000)
})
