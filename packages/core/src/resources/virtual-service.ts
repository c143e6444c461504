import { z } from 'zod'
import { doubleSchema, durationSchema, int32Schema, oneOf, stringMapSchema, uint32Schema } from './common.js'

/** `StringMatch`: exactly one of `exact`, `prefix`, `regex` (RE2), or none. */
export const stringMatchSchema = oneOf(
  z.strictObject({
    exact: z.string().optional(),
    prefix: z.string().optional(),
    regex: z.string().optional(),
  }),
  ['exact', 'prefix', 'regex'],
)
/** How a string is matched: `exact`, `prefix` or RE2 `regex`. */
export type StringMatch = z.infer<typeof stringMatchSchema>

/** `Percent`: a double in a message, `{ value: 50 }`. */
export const percentSchema = z.strictObject({ value: doubleSchema.optional() })
/** A percentage `{ value }` (0..100, fractional allowed). */
export type Percent = z.infer<typeof percentSchema>

/** `PortSelector`: a destination port by number. */
export const portSelectorSchema = z.strictObject({ number: uint32Schema.optional() })
/** Selects a destination port by number. */
export type PortSelector = z.infer<typeof portSelectorSchema>

/** `Destination`: a service host (short name or FQDN), subset and port. */
export const destinationSchema = z.strictObject({
  host: z.string(),
  subset: z.string().optional(),
  port: portSelectorSchema.optional(),
})
/** Where traffic goes: host, optional subset and port. */
export type Destination = z.infer<typeof destinationSchema>

/** `Headers.HeaderOperations`: set, add, remove. */
export const headerOperationsSchema = z.strictObject({
  set: stringMapSchema.optional(),
  add: stringMapSchema.optional(),
  remove: z.array(z.string()).optional(),
})
/** Header edits: `set` overwrites, `add` appends, `remove` deletes. */
export type HeaderOperations = z.infer<typeof headerOperationsSchema>

/** `Headers`: request and response header edits. */
export const headersSchema = z.strictObject({
  request: headerOperationsSchema.optional(),
  response: headerOperationsSchema.optional(),
})
/** Header edits for the request and for the response. */
export type Headers = z.infer<typeof headersSchema>

/** `HTTPMatchRequest`: the conditions of one match entry (ANDed). */
export const httpMatchRequestSchema = z.strictObject({
  name: z.string().optional(),
  uri: stringMatchSchema.optional(),
  scheme: stringMatchSchema.optional(),
  method: stringMatchSchema.optional(),
  authority: stringMatchSchema.optional(),
  headers: z.record(z.string(), stringMatchSchema).optional(),
  port: uint32Schema.optional(),
  sourceLabels: stringMapSchema.optional(),
  gateways: z.array(z.string()).optional(),
  queryParams: z.record(z.string(), stringMatchSchema).optional(),
  ignoreUriCase: z.boolean().optional(),
  withoutHeaders: z.record(z.string(), stringMatchSchema).optional(),
  sourceNamespace: z.string().optional(),
  statPrefix: z.string().optional(),
})
/** One entry of `http[].match`: its fields are ANDed; entries are ORed. */
export type HTTPMatchRequest = z.infer<typeof httpMatchRequestSchema>

/** `HTTPRouteDestination`: a weighted destination of an HTTP route. */
export const httpRouteDestinationSchema = z.strictObject({
  destination: destinationSchema,
  weight: int32Schema.optional(),
  headers: headersSchema.optional(),
})
/** A weighted destination of an HTTP route, with optional header edits. */
export type HTTPRouteDestination = z.infer<typeof httpRouteDestinationSchema>

/** `RouteDestination`: a weighted destination of a TLS or TCP route. */
export const routeDestinationSchema = z.strictObject({
  destination: destinationSchema,
  weight: int32Schema.optional(),
})
/** A weighted destination of a TLS or TCP route. */
export type RouteDestination = z.infer<typeof routeDestinationSchema>

/** `HTTPRedirect.RedirectPortSelection` names. */
export const redirectPortSelections = ['FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT'] as const

/** `HTTPRedirect`: `port` and `derivePort` form a oneof. */
export const httpRedirectSchema = oneOf(
  z.strictObject({
    uri: z.string().optional(),
    authority: z.string().optional(),
    port: uint32Schema.optional(),
    derivePort: z.enum(redirectPortSelections).optional(),
    scheme: z.string().optional(),
    redirectCode: uint32Schema.optional(),
    prefixRewrite: z.string().optional(),
  }),
  ['port', 'derivePort'],
)
/** A redirect response (default code 301). */
export type HTTPRedirect = z.infer<typeof httpRedirectSchema>

/** Base64 as proto3 JSON `bytes` accepts it: standard or URL-safe alphabet, padding optional. */
const BYTES_PATTERN = /^[A-Za-z0-9+/_-]*={0,2}$/

/** `HTTPBody`: `string` and `bytes` (base64) form a oneof. */
export const httpBodySchema = oneOf(
  z.strictObject({
    string: z.string().optional(),
    bytes: z.string().regex(BYTES_PATTERN, { error: 'bytes must be base64' }).optional(),
  }),
  ['string', 'bytes'],
)
/** A direct-response body: text or base64 bytes. */
export type HTTPBody = z.infer<typeof httpBodySchema>

/** `HTTPDirectResponse`: a fixed response. */
export const httpDirectResponseSchema = z.strictObject({
  status: uint32Schema,
  body: httpBodySchema.optional(),
})
/** A fixed response with a status and optional body. */
export type HTTPDirectResponse = z.infer<typeof httpDirectResponseSchema>

/** `Delegate`: the VirtualService an HTTP route delegates to. */
export const delegateSchema = z.strictObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
})
/** Names a delegate VirtualService. */
export type Delegate = z.infer<typeof delegateSchema>

/** `RegexRewrite`: RE2 `match` replaced by `rewrite`. */
export const regexRewriteSchema = z.strictObject({
  match: z.string().optional(),
  rewrite: z.string().optional(),
})
/** Path rewrite by RE2 regex. */
export type RegexRewrite = z.infer<typeof regexRewriteSchema>

/** `HTTPRewrite`: rewrites the path (prefix or regex) and/or authority. */
export const httpRewriteSchema = z.strictObject({
  uri: z.string().optional(),
  authority: z.string().optional(),
  uriRegexRewrite: regexRewriteSchema.optional(),
})
/** A rewrite applied before forwarding. */
export type HTTPRewrite = z.infer<typeof httpRewriteSchema>

/** `HTTPRetry`: retry policy. */
export const httpRetrySchema = z.strictObject({
  attempts: int32Schema.optional(),
  perTryTimeout: durationSchema.optional(),
  retryOn: z.string().optional(),
  retryRemoteLocalities: z.boolean().nullable().optional(),
  retryIgnorePreviousHosts: z.boolean().nullable().optional(),
  backoff: durationSchema.optional(),
})
/** Retry policy of an HTTP route. */
export type HTTPRetry = z.infer<typeof httpRetrySchema>

/** `HTTPFaultInjection.Delay`: `fixedDelay` and `exponentialDelay` form a oneof. */
export const httpFaultDelaySchema = oneOf(
  z.strictObject({
    percent: int32Schema.optional(),
    fixedDelay: durationSchema.optional(),
    exponentialDelay: durationSchema.optional(),
    percentage: percentSchema.optional(),
  }),
  ['fixedDelay', 'exponentialDelay'],
)
/** A delay fault. */
export type HTTPFaultDelay = z.infer<typeof httpFaultDelaySchema>

/** `HTTPFaultInjection.Abort`: `httpStatus`, `grpcStatus`, `http2Error` form a oneof. */
export const httpFaultAbortSchema = oneOf(
  z.strictObject({
    httpStatus: int32Schema.optional(),
    grpcStatus: z.string().optional(),
    http2Error: z.string().optional(),
    percentage: percentSchema.optional(),
  }),
  ['httpStatus', 'grpcStatus', 'http2Error'],
)
/** An abort fault. */
export type HTTPFaultAbort = z.infer<typeof httpFaultAbortSchema>

/** `HTTPFaultInjection`: delay and/or abort. */
export const httpFaultInjectionSchema = z.strictObject({
  delay: httpFaultDelaySchema.optional(),
  abort: httpFaultAbortSchema.optional(),
})
/** Fault injection of an HTTP route. */
export type HTTPFaultInjection = z.infer<typeof httpFaultInjectionSchema>

/** `CorsPolicy.UnmatchedPreflights` names. */
export const unmatchedPreflightsValues = ['UNSPECIFIED', 'FORWARD', 'IGNORE'] as const

/** `CorsPolicy`. */
export const corsPolicySchema = z.strictObject({
  allowOrigin: z.array(z.string()).optional(),
  allowOrigins: z.array(stringMatchSchema).optional(),
  allowMethods: z.array(z.string()).optional(),
  allowHeaders: z.array(z.string()).optional(),
  exposeHeaders: z.array(z.string()).optional(),
  maxAge: durationSchema.optional(),
  allowCredentials: z.boolean().nullable().optional(),
  unmatchedPreflights: z.enum(unmatchedPreflightsValues).optional(),
})
/** Cross-origin resource sharing policy of an HTTP route. */
export type CorsPolicy = z.infer<typeof corsPolicySchema>

/** `HTTPMirrorPolicy`: one mirror destination with its percentage. */
export const httpMirrorPolicySchema = z.strictObject({
  destination: destinationSchema,
  percentage: percentSchema.optional(),
})
/** A mirror destination. */
export type HTTPMirrorPolicy = z.infer<typeof httpMirrorPolicySchema>

/** `HTTPRoute`: one rule of `spec.http`. */
export const httpRouteSchema = z.strictObject({
  name: z.string().optional(),
  match: z.array(httpMatchRequestSchema).optional(),
  route: z.array(httpRouteDestinationSchema).optional(),
  redirect: httpRedirectSchema.optional(),
  directResponse: httpDirectResponseSchema.optional(),
  delegate: delegateSchema.optional(),
  rewrite: httpRewriteSchema.optional(),
  timeout: durationSchema.optional(),
  retries: httpRetrySchema.optional(),
  fault: httpFaultInjectionSchema.optional(),
  mirror: destinationSchema.optional(),
  mirrors: z.array(httpMirrorPolicySchema).optional(),
  /** Deprecated; Istio's CRD also accepts the proto name `mirror_percent`. */
  mirrorPercent: uint32Schema.nullable().optional(),
  mirror_percent: uint32Schema.nullable().optional(),
  mirrorPercentage: percentSchema.optional(),
  corsPolicy: corsPolicySchema.optional(),
  headers: headersSchema.optional(),
})
/** One HTTP rule: matches, then route / redirect / direct response and policies. */
export type HTTPRoute = z.infer<typeof httpRouteSchema>

/** `TLSMatchAttributes`. */
export const tlsMatchAttributesSchema = z.strictObject({
  sniHosts: z.array(z.string()),
  destinationSubnets: z.array(z.string()).optional(),
  port: uint32Schema.optional(),
  sourceLabels: stringMapSchema.optional(),
  gateways: z.array(z.string()).optional(),
  sourceNamespace: z.string().optional(),
})
/** Match conditions of a TLS route (SNI). */
export type TLSMatchAttributes = z.infer<typeof tlsMatchAttributesSchema>

/** `TLSRoute`: a rule of `spec.tls` (TLS passthrough by SNI). */
export const tlsRouteSchema = z.strictObject({
  match: z.array(tlsMatchAttributesSchema),
  route: z.array(routeDestinationSchema).optional(),
})
/** A TLS passthrough rule. */
export type TLSRoute = z.infer<typeof tlsRouteSchema>

/** `L4MatchAttributes`. */
export const l4MatchAttributesSchema = z.strictObject({
  destinationSubnets: z.array(z.string()).optional(),
  port: uint32Schema.optional(),
  sourceSubnet: z.string().optional(),
  sourceLabels: stringMapSchema.optional(),
  gateways: z.array(z.string()).optional(),
  sourceNamespace: z.string().optional(),
})
/** Match conditions of a TCP route. */
export type L4MatchAttributes = z.infer<typeof l4MatchAttributesSchema>

/** `TCPRoute`: a rule of `spec.tcp`. */
export const tcpRouteSchema = z.strictObject({
  match: z.array(l4MatchAttributesSchema).optional(),
  route: z.array(routeDestinationSchema).optional(),
})
/** A TCP rule. */
export type TCPRoute = z.infer<typeof tcpRouteSchema>

/** `spec` of a VirtualService. */
export const virtualServiceSpecSchema = z.strictObject({
  hosts: z.array(z.string()).optional(),
  gateways: z.array(z.string()).optional(),
  http: z.array(httpRouteSchema).optional(),
  tls: z.array(tlsRouteSchema).optional(),
  tcp: z.array(tcpRouteSchema).optional(),
  exportTo: z.array(z.string()).optional(),
})
/** The `spec` of a `VirtualService` (istio.networking.v1alpha3.VirtualService). */
export type VirtualServiceSpec = z.infer<typeof virtualServiceSpecSchema>
