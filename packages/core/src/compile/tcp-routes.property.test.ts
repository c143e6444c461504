import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { L4MatchAttributes, TCPRoute } from '../resources/virtual-service.js'
import { firstTcpRule, type L4ServerFacts } from './tcp-routes.js'

const SERVER_PORT = 31400
const THIS_GATEWAY = 'gw'

const server: L4ServerFacts = { port: SERVER_PORT, namesGateway: (names) => names.includes(THIS_GATEWAY) }

const matchArb: fc.Arbitrary<L4MatchAttributes> = fc.record(
  {
    port: fc.constantFrom(0, SERVER_PORT, 9000),
    gateways: fc.subarray([THIS_GATEWAY, 'other']),
    destinationSubnets: fc.constant(['10.0.0.0/8']),
    sourceLabels: fc.constant({ app: 'nobody' }),
    sourceNamespace: fc.constant('elsewhere'),
  },
  { requiredKeys: [] },
)

const ruleArb: fc.Arbitrary<TCPRoute> = fc.record(
  {
    match: fc.array(matchArb, { maxLength: 3 }),
    route: fc.array(fc.constant({ destination: { host: 'db' } }), { maxLength: 1 }),
  },
  { requiredKeys: ['route'] },
)

/**
 * The naive reference: every (VirtualService, rule) pair spelled out, each match entry judged
 * field by field as Istio's l4SingleMatch does at a gateway (port and gateways only), then the
 * smallest pair in order.
 */
function reference(vss: readonly (readonly TCPRoute[])[]): [number, number] | undefined {
  const fitting: [number, number][] = []
  vss.forEach((rules, v) => {
    rules.forEach((rule, r) => {
      if ((rule.route ?? []).length === 0) return
      const entries = rule.match ?? []
      const one = (m: L4MatchAttributes) => {
        const portOk = m.port === undefined || m.port === 0 || m.port === SERVER_PORT
        const gatewaysOk = (m.gateways ?? []).length === 0 || (m.gateways ?? []).includes(THIS_GATEWAY)
        return portOk && gatewaysOk
      }
      if (entries.length === 0 || entries.filter(one).length > 0) fitting.push([v, r])
    })
  })
  fitting.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  return fitting[0]
}

/** The index of the rule chosen among one VirtualService's rules. */
const chosenIn = (rules: readonly TCPRoute[]) =>
  firstTcpRule(
    [rules],
    (r) => r,
    () => server,
  )?.index

describe('TCP rule choice at a gateway', () => {
  it('is the first fitting rule over all bound VirtualServices and all their rules (against a naive reference)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(ruleArb, { maxLength: 4 }), { maxLength: 4 }), (vss) => {
        const indexed = vss.map((rules, v) => ({ v, rules }))
        const got = firstTcpRule(
          indexed,
          (c) => c.rules,
          () => server,
        )
        expect(got === undefined ? undefined : [got.candidate.v, got.index]).toEqual(reference(vss))
      }),
      { numRuns: 500 },
    )
  })

  it('a later rule of the same VirtualService serves when the earlier ones name another port or gateway', () => {
    const rules: TCPRoute[] = [
      { match: [{ port: 9000 }], route: [{ destination: { host: 'a' } }] },
      { match: [{ gateways: ['other'] }], route: [{ destination: { host: 'b' } }] },
      { match: [{ port: 9000 }, { port: SERVER_PORT }], route: [{ destination: { host: 'c' } }] },
    ]
    expect(chosenIn(rules)).toBe(2)
  })

  it('destinationSubnets, sourceLabels and sourceNamespace do not exclude a rule at a gateway (as in Istio)', () => {
    const rules: TCPRoute[] = [
      {
        match: [
          { destinationSubnets: ['192.0.2.0/24'], sourceLabels: { app: 'x' }, sourceNamespace: 'other' },
        ],
        route: [{ destination: { host: 'a' } }],
      },
    ]
    expect(chosenIn(rules)).toBe(0)
  })
})
