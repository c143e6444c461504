import type { CompiledConfig, RequestFacts, RouteDecision } from '@portico/core'

/** The router used when none is given. */
export function defaultRoute(_config: CompiledConfig, facts: RequestFacts): RouteDecision {
  return { kind: 'notFound', reason: 'no-route', path: facts.path }
}
