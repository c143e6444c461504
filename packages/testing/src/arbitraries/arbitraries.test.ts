import { compile, createSnapshot, isK8sGateway, type RequestFacts, type Resource, route } from '@portico/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { arbitraries } from './index.js'

const configAndRequests = arbitraries
  .config()
  .chain((resources) =>
    fc.tuple(
      fc.constant(resources),
      fc.array(arbitraries.request(resources), { minLength: 5, maxLength: 5 }),
    ),
  )

const serverPorts = (resources: readonly Resource[]) =>
  new Set(
    resources.flatMap((r) =>
      r.kind === 'Gateway' && !isK8sGateway(r) ? (r.spec.servers ?? []).map((s) => s.port.number) : [],
    ),
  )

const MAPS = /(match\[\]\.(headers|withoutHeaders|queryParams)|\.(set|add|labels|sourceLabels|matchLabels))$/

describe('arbitraries', () => {
  it('requests aimed at a config use its listener ports, a scheme that fits, and SNI on HTTPS', () => {
    fc.assert(
      fc.property(configAndRequests, ([resources, requests]) => {
        const ports = serverPorts(resources)
        for (const r of requests) {
          expect(ports.has(r.port)).toBe(true)
          expect(r.path.startsWith('/')).toBe(true)
          if (r.scheme === 'https') expect(r.sni).toBe(r.sni?.toLowerCase())
          else expect(r.sni).toBeUndefined()
        }
      }),
      { numRuns: 100 },
    )
  })

  it('a config compiles into listeners for its Gateways, and most aimed requests reach a rule', () => {
    let total = 0
    let routed = 0
    fc.assert(
      fc.property(configAndRequests, ([resources, requests]) => {
        const compiled = compile(createSnapshot(resources)).value
        expect([...compiled.listeners.keys()].sort()).toEqual([...serverPorts(resources)].sort())
        for (const facts of requests) {
          const decision = route(compiled, facts as RequestFacts)
          total++
          if (decision.kind !== 'notFound') routed++
        }
      }),
      { numRuns: 100, seed: 42 },
    )
    // Aimed requests are six in ten; a broad majority of those find their rule.
    expect(routed / total).toBeGreaterThan(0.5)
  })

  it('size options bound what is drawn', () => {
    const small = fc.sample(
      arbitraries.config({ maxGateways: 1, maxVirtualServices: 1, maxServices: 1, maxRoutes: 1 }),
      {
        numRuns: 50,
        seed: 7,
      },
    )
    for (const resources of small) {
      expect(resources.filter((r) => r.kind === 'Gateway')).toHaveLength(1)
      expect(resources.filter((r) => r.kind === 'VirtualService')).toHaveLength(1)
      expect(resources.filter((r) => r.kind === 'ServiceEntry')).toHaveLength(1)
      for (const r of resources) if (r.kind === 'VirtualService') expect(r.spec.http).toHaveLength(1)
    }
  })

  it('reaches the breadth of the field set', () => {
    const seen = new Set<string>()
    const walk = (value: unknown, path: string) => {
      if (Array.isArray(value)) for (const v of value) walk(v, `${path}[]`)
      else if (typeof value === 'object' && value !== null)
        for (const [k, v] of Object.entries(value)) {
          const p = MAPS.test(path) ? `${path}.*` : `${path}.${k}`
          seen.add(p)
          walk(v, p)
        }
    }
    for (const vs of fc.sample(arbitraries.virtualService(), { numRuns: 400, seed: 3 })) walk(vs.spec, 'vs')
    for (const dr of fc.sample(arbitraries.destinationRule(), { numRuns: 200, seed: 3 })) walk(dr.spec, 'dr')
    for (const field of [
      'vs.http[].match[].uri.regex',
      'vs.http[].match[].ignoreUriCase',
      'vs.http[].match[].headers.*.prefix',
      'vs.http[].match[].queryParams.*.exact',
      'vs.http[].match[].withoutHeaders',
      'vs.http[].route[].weight',
      'vs.http[].redirect.derivePort',
      'vs.http[].redirect.prefixRewrite',
      'vs.http[].rewrite.uriRegexRewrite.match',
      'vs.http[].directResponse.body.bytes',
      'vs.http[].retries.retryOn',
      'vs.http[].timeout',
      'vs.http[].fault.abort.grpcStatus',
      'vs.http[].fault.delay.fixedDelay',
      'vs.http[].corsPolicy.allowOrigins[].regex',
      'vs.http[].mirrors[].percentage.value',
      'vs.http[].mirrorPercentage.value',
      'vs.http[].headers.request.set',
      'vs.tls[].match[].sniHosts',
      'vs.tcp[].route[].destination.host',
      'dr.subsets[].labels',
      'dr.trafficPolicy.loadBalancer.consistentHash.httpCookie.ttl',
      'dr.trafficPolicy.connectionPool.http.h2UpgradePolicy',
      'dr.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures',
      'dr.trafficPolicy.portLevelSettings[].port.number',
      'dr.trafficPolicy.tunnel.targetHost',
      'dr.trafficPolicy.tls.insecureSkipVerify',
    ])
      expect(seen, field).toContain(field)
  })
})
