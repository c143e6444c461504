import type { RouteOrigin } from './types.js'

/**
 * The name a route is reported under (Envoy's `%ROUTE_NAME%`, the access log's `route_name`, the
 * per-route metrics): the HTTPRoute's `name`, else `<VirtualService>.<rule index>`.
 */
export function routeStatName(origin: RouteOrigin): string {
  return origin.name ?? `${origin.virtualService.name}.${origin.routeIndex}`
}
