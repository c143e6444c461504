import type { L4MatchAttributes, TCPRoute } from '../resources/virtual-service.js'

/** What Istio's gateway compares an L4 match against: the server's port and the gateway itself. */
export interface L4ServerFacts {
  /** The Gateway server's port number. */
  readonly port: number
  /** True when a `gateways` list names the Gateway this server belongs to. */
  namesGateway(gateways: readonly string[]): boolean
}

/**
 * One `match` entry at a gateway, as Istio's `l4SingleMatch` reads it: `port` (unset or 0 = any)
 * and `gateways` (unset or empty = any). `sourceLabels`, `sourceNamespace`, `sourceSubnet` and
 * `destinationSubnets` are not evaluated at a gateway (Istio builds no per-connection choice from
 * them there), so they never exclude a rule.
 */
export function l4MatchFits(match: L4MatchAttributes, server: L4ServerFacts): boolean {
  if (match.port !== undefined && match.port !== 0 && match.port !== server.port) return false
  const gateways = match.gateways
  return gateways === undefined || gateways.length === 0 || server.namesGateway(gateways)
}

/** A rule's `match` list: entries are ORed; no entries means every connection. */
export function tcpRuleFits(rule: TCPRoute, server: L4ServerFacts): boolean {
  const matches = rule.match
  if (matches === undefined || matches.length === 0) return true
  return matches.some((m) => l4MatchFits(m, server))
}

/** The rule that serves a TCP server: which candidate, and its index in that candidate's `tcp`. */
export interface TcpRuleChoice<C> {
  readonly candidate: C
  readonly index: number
}

/**
 * The first `tcp` rule, over the VirtualServices bound to a server in their order and each one's
 * rules in order, whose match fits the server and which has a route: Istio's
 * `buildGatewayNetworkFiltersFromTCPRoutes`. Every rule is considered, not only the first per
 * VirtualService or per port.
 */
export function firstTcpRule<C>(
  candidates: readonly C[],
  rulesOf: (candidate: C) => readonly TCPRoute[] | undefined,
  serverOf: (candidate: C) => L4ServerFacts,
): TcpRuleChoice<C> | undefined {
  for (const candidate of candidates) {
    const rules = rulesOf(candidate)
    if (rules === undefined || rules.length === 0) continue
    const server = serverOf(candidate)
    for (let index = 0; index < rules.length; index++) {
      const rule = rules[index]!
      if ((rule.route ?? []).length === 0) continue
      if (tcpRuleFits(rule, server)) return { candidate, index }
    }
  }
  return undefined
}
