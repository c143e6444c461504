import { configArbitrary } from './config.js'
import { destinationRuleArbitrary } from './destination-rule.js'
import { gatewayArbitrary } from './gateway.js'
import { requestArbitrary } from './request.js'
import { serviceEntryArbitrary } from './service-entry.js'
import { httpRouteArbitrary, virtualServiceArbitrary } from './virtual-service.js'

export type { ConfigArbitraryOptions } from './config.js'
export type { DestinationRuleArbitraryOptions } from './destination-rule.js'
export type { GatewayArbitraryOptions } from './gateway.js'
export type { SizeOptions } from './primitives.js'
export type { RequestArbitraryOptions } from './request.js'
export type { ServiceEntryArbitraryOptions } from './service-entry.js'
export type { RouteContext, VirtualServiceArbitraryOptions } from './virtual-service.js'

/**
 * fast-check arbitraries of resources Istio accepts (zero validation errors) and of requests
 * aimed at them, for property tests of configs, routing and serving:
 * ```ts
 * fc.assert(fc.property(arbitraries.config(), (resources) => ...))
 * fc.assert(fc.property(arbitraries.config().chain((c) => fc.tuple(fc.constant(c), arbitraries.request(c))), ...))
 * ```
 * Every factory takes an options object; `size` biases list lengths as fast-check's `size` does.
 */
export const arbitraries = {
  /** A valid Gateway. */
  gateway: gatewayArbitrary,
  /** A valid VirtualService. */
  virtualService: virtualServiceArbitrary,
  /** One valid HTTP rule. */
  httpRoute: httpRouteArbitrary,
  /** A valid DestinationRule. */
  destinationRule: destinationRuleArbitrary,
  /** A valid ServiceEntry. */
  serviceEntry: serviceEntryArbitrary,
  /** A coherent config set. */
  config: configArbitrary,
  /** Requests aimed at a config. */
  request: requestArbitrary,
} as const
