import type { ResourceRef } from '../diagnostics/diagnostic.js'

/** One status condition, as a controller writes it into `status.conditions`. */
export interface StatusCondition {
  readonly type: string
  readonly status: 'True' | 'False'
  readonly reason: string
  readonly message: string
}

/** Status of one listener of a served Gateway. */
export interface ListenerStatus {
  readonly name: string
  /** The route kinds the listener takes: its protocol's kinds, narrowed by `allowedRoutes.kinds`. */
  readonly supportedKinds: readonly { readonly group: string; readonly kind: string }[]
  readonly attachedRoutes: number
  readonly conditions: readonly StatusCondition[]
}

/** Status of one served Gateway. */
export interface GatewayStatus {
  readonly gateway: ResourceRef
  readonly gatewayClassName: string
  readonly conditions: readonly StatusCondition[]
  readonly listeners: readonly ListenerStatus[]
}

/** Status of one route for one of its parents. */
export interface RouteParentStatus {
  readonly parentRef: {
    readonly namespace: string
    readonly name: string
    readonly sectionName?: string
    readonly port?: number
  }
  readonly controllerName: string
  readonly conditions: readonly StatusCondition[]
}

/** Status of one route (HTTPRoute, GRPCRoute, TLSRoute or TCPRoute). */
export interface RouteStatus {
  readonly route: ResourceRef
  readonly parents: readonly RouteParentStatus[]
}

/** The conditions a Gateway API controller would write for the served Gateways and their routes. */
export interface GatewayApiStatus {
  readonly gatewayClassName: string
  readonly gateways: readonly GatewayStatus[]
  readonly routes: readonly RouteStatus[]
}
