import { z } from 'zod'
import { isGatewayApiVersion } from '../model/kinds.js'
import { stringMapSchema } from './common.js'
import { objectMetaSchema } from './envelope.js'

export { GATEWAY_API_GROUP, isGatewayApiVersion, K8S_GATEWAY_KIND, qualifiedKind } from '../model/kinds.js'

const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const PRECISE_HOSTNAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const GROUP = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const SECTION_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const CONTROLLER =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/
const GW_DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/
const CORS_ORIGIN = /(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)/

const pattern = (re: RegExp, max: number, min = 1) =>
  z
    .string()
    .min(min, { error: `should be at least ${min} chars long` })
    .max(max, { error: `should be at most ${max} chars long` })
    .regex(re, { error: `should match '${re.source}'` })

const hostnameSchema = pattern(HOSTNAME, 253)
const preciseHostnameSchema = pattern(PRECISE_HOSTNAME, 253)
const groupSchema = pattern(GROUP, 253, 0)
const kindSchema = pattern(KIND, 63)
const namespaceSchema = pattern(NAMESPACE, 63)
const objectNameSchema = z.string().min(1, { error: 'should be at least 1 chars long' }).max(253)
const sectionNameSchema = pattern(SECTION_NAME, 253)
const portNumberSchema = z.int().min(1).max(65535)
const headerNameSchema = pattern(HEADER_NAME, 256)
/** A Gateway API `Duration`: a subset of Go's syntax (`1h`, `10s`, `500ms`; no fractions). */
const gwDurationSchema = z.string().regex(GW_DURATION, { error: `should match '${GW_DURATION.source}'` })

const labelSelectorSchema = z.strictObject({
  matchLabels: stringMapSchema.optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string(),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
})
/** A Kubernetes `LabelSelector`. */
export type LabelSelector = z.infer<typeof labelSelectorSchema>

/** `ParentReference` of a route. */
export const parentReferenceSchema = z.strictObject({
  group: groupSchema.optional(),
  kind: kindSchema.optional(),
  namespace: namespaceSchema.optional(),
  name: objectNameSchema,
  sectionName: sectionNameSchema.optional(),
  port: portNumberSchema.optional(),
})
/** A route's reference to its parent (a Gateway, optionally one listener). */
export type ParentReference = z.infer<typeof parentReferenceSchema>

const backendObjectReferenceShape = {
  group: groupSchema.optional(),
  kind: kindSchema.optional(),
  name: objectNameSchema,
  namespace: namespaceSchema.optional(),
  port: portNumberSchema.optional(),
}
const backendObjectReferenceSchema = z.strictObject(backendObjectReferenceShape)
/** A reference to a backend (a Service by default). */
export type BackendObjectReference = z.infer<typeof backendObjectReferenceSchema>

const secretObjectReferenceSchema = z.strictObject({
  group: groupSchema.optional(),
  kind: kindSchema.optional(),
  name: objectNameSchema,
  namespace: namespaceSchema.optional(),
})

const localObjectReferenceSchema = z.strictObject({
  group: groupSchema,
  kind: kindSchema,
  name: objectNameSchema,
})

const httpHeaderSchema = z.strictObject({ name: headerNameSchema, value: z.string().min(1).max(4096) })
const httpHeaderFilterSchema = z.strictObject({
  set: z.array(httpHeaderSchema).max(16).optional(),
  add: z.array(httpHeaderSchema).max(16).optional(),
  remove: z.array(z.string()).max(16).optional(),
})
/** `RequestHeaderModifier` / `ResponseHeaderModifier`. */
export type HTTPHeaderFilter = z.infer<typeof httpHeaderFilterSchema>

const pathModifierSchema = z.strictObject({
  type: z.enum(['ReplaceFullPath', 'ReplacePrefixMatch']),
  replaceFullPath: z.string().max(1024).optional(),
  replacePrefixMatch: z.string().max(1024).optional(),
})
/** The path part of a redirect or rewrite. */
export type HTTPPathModifier = z.infer<typeof pathModifierSchema>

const requestRedirectSchema = z.strictObject({
  scheme: z.enum(['http', 'https']).optional(),
  hostname: preciseHostnameSchema.optional(),
  path: pathModifierSchema.optional(),
  port: portNumberSchema.optional(),
  statusCode: z
    .union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)])
    .optional(),
})
/** `RequestRedirect` filter. */
export type HTTPRequestRedirectFilter = z.infer<typeof requestRedirectSchema>

const urlRewriteSchema = z.strictObject({
  hostname: preciseHostnameSchema.optional(),
  path: pathModifierSchema.optional(),
})
/** `URLRewrite` filter. */
export type HTTPURLRewriteFilter = z.infer<typeof urlRewriteSchema>

const requestMirrorSchema = z.strictObject({
  backendRef: backendObjectReferenceSchema,
  percent: z.int().min(0).max(100).optional(),
  fraction: z.strictObject({ numerator: z.int().min(0), denominator: z.int().min(1).optional() }).optional(),
})
/** `RequestMirror` filter. */
export type HTTPRequestMirrorFilter = z.infer<typeof requestMirrorSchema>

const corsFilterSchema = z.strictObject({
  allowOrigins: z
    .array(
      z
        .string()
        .max(253)
        .regex(CORS_ORIGIN, { error: `should match '${CORS_ORIGIN.source}'` }),
    )
    .max(64)
    .optional(),
  allowCredentials: z.boolean().optional(),
  allowMethods: z.array(z.string()).max(9).optional(),
  allowHeaders: z.array(headerNameSchema).max(64).optional(),
  exposeHeaders: z.array(headerNameSchema).max(64).optional(),
  maxAge: z.int().min(1).optional(),
})
/** The experimental `CORS` filter. */
export type HTTPCORSFilter = z.infer<typeof corsFilterSchema>

const filterTypes = [
  'RequestHeaderModifier',
  'ResponseHeaderModifier',
  'RequestMirror',
  'RequestRedirect',
  'URLRewrite',
  'ExtensionRef',
  'CORS',
] as const

const httpRouteFilterSchema = z.strictObject({
  type: z.enum(filterTypes),
  requestHeaderModifier: httpHeaderFilterSchema.optional(),
  responseHeaderModifier: httpHeaderFilterSchema.optional(),
  requestMirror: requestMirrorSchema.optional(),
  requestRedirect: requestRedirectSchema.optional(),
  urlRewrite: urlRewriteSchema.optional(),
  cors: corsFilterSchema.optional(),
  extensionRef: localObjectReferenceSchema.optional(),
})
/** One `HTTPRouteFilter`. */
export type HTTPRouteFilter = z.infer<typeof httpRouteFilterSchema>

const httpPathMatchSchema = z.strictObject({
  type: z.enum(['Exact', 'PathPrefix', 'RegularExpression']).optional(),
  value: z.string().max(1024).optional(),
})
const keyedMatchSchema = z.strictObject({
  type: z.enum(['Exact', 'RegularExpression']).optional(),
  name: headerNameSchema,
  value: z.string().min(1).max(4096),
})
const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const
const httpRouteMatchSchema = z.strictObject({
  path: httpPathMatchSchema.optional(),
  headers: z.array(keyedMatchSchema).max(16).optional(),
  queryParams: z.array(keyedMatchSchema).max(16).optional(),
  method: z.enum(methods).optional(),
})
/** One `HTTPRouteMatch`. */
export type HTTPRouteMatch = z.infer<typeof httpRouteMatchSchema>

const httpBackendRefSchema = z.strictObject({
  ...backendObjectReferenceShape,
  weight: z.int().min(0).max(1000000).optional(),
  filters: z.array(httpRouteFilterSchema).max(16).optional(),
})
/** One `HTTPBackendRef`. */
export type HTTPBackendRef = z.infer<typeof httpBackendRefSchema>

const httpRouteRuleSchema = z.strictObject({
  name: sectionNameSchema.optional(),
  matches: z.array(httpRouteMatchSchema).max(64).optional(),
  filters: z.array(httpRouteFilterSchema).max(16).optional(),
  backendRefs: z.array(httpBackendRefSchema).max(16).optional(),
  timeouts: z
    .strictObject({ request: gwDurationSchema.optional(), backendRequest: gwDurationSchema.optional() })
    .optional(),
  retry: z
    .strictObject({
      codes: z.array(z.int().min(400).max(599)).optional(),
      attempts: z.int().min(0).optional(),
      backoff: gwDurationSchema.optional(),
    })
    .optional(),
  sessionPersistence: z.looseObject({}).optional(),
})
/** One `HTTPRouteRule`. */
export type HTTPRouteRule = z.infer<typeof httpRouteRuleSchema>

const routeSpecShape = {
  parentRefs: z.array(parentReferenceSchema).max(32).optional(),
  hostnames: z.array(hostnameSchema).max(16).optional(),
}

/** `HTTPRoute.spec`. */
export const httpRouteSpecSchema = z.strictObject({
  ...routeSpecShape,
  useDefaultGateways: z.string().optional(),
  rules: z.array(httpRouteRuleSchema).max(16).optional(),
})
/** `HTTPRoute.spec`. */
export type HTTPRouteSpec = z.infer<typeof httpRouteSpecSchema>

const grpcMethodMatchSchema = z.strictObject({
  type: z.enum(['Exact', 'RegularExpression']).optional(),
  service: z.string().max(1024).optional(),
  method: z.string().max(1024).optional(),
})
const grpcFilterSchema = z.strictObject({
  type: z.enum(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef']),
  requestHeaderModifier: httpHeaderFilterSchema.optional(),
  responseHeaderModifier: httpHeaderFilterSchema.optional(),
  requestMirror: requestMirrorSchema.optional(),
  extensionRef: localObjectReferenceSchema.optional(),
})
/** `GRPCRoute.spec`. */
export const grpcRouteSpecSchema = z.strictObject({
  ...routeSpecShape,
  rules: z
    .array(
      z.strictObject({
        name: sectionNameSchema.optional(),
        matches: z
          .array(
            z.strictObject({
              method: grpcMethodMatchSchema.optional(),
              headers: z.array(keyedMatchSchema).max(16).optional(),
            }),
          )
          .max(64)
          .optional(),
        filters: z.array(grpcFilterSchema).max(16).optional(),
        backendRefs: z
          .array(
            z.strictObject({
              ...backendObjectReferenceShape,
              weight: z.int().min(0).max(1000000).optional(),
              filters: z.array(grpcFilterSchema).max(16).optional(),
            }),
          )
          .max(16)
          .optional(),
        sessionPersistence: z.looseObject({}).optional(),
      }),
    )
    .max(16)
    .optional(),
})
/** `GRPCRoute.spec`. */
export type GRPCRouteSpec = z.infer<typeof grpcRouteSpecSchema>

/** A backendRef of a TLSRoute or TCPRoute rule (`BackendRef`: a reference and a weight). */
const l4BackendRefSchema = z.strictObject({
  ...backendObjectReferenceShape,
  weight: z.int().min(0).max(1000000).optional(),
})
/** One `backendRef` of a TLSRoute or TCPRoute rule. */
export type L4BackendRef = z.infer<typeof l4BackendRefSchema>

const l4RuleSchema = z.strictObject({
  name: sectionNameSchema.optional(),
  backendRefs: z.array(l4BackendRefSchema).min(1, { error: 'should have at least 1 items' }).max(16),
})
/** One rule of a TLSRoute or TCPRoute: where the connections go. */
export type L4RouteRule = z.infer<typeof l4RuleSchema>

const l4RulesSchema = z.array(l4RuleSchema).min(1, { error: 'should have at least 1 items' }).max(16)

/**
 * `TLSRoute.spec` (experimental): SNI hostnames and the backends a TLS connection is passed
 * through to. The schema is v1alpha2's; what v1alpha3 and v1 narrow (hostnames required, one rule)
 * is reported by the validator.
 */
export const tlsRouteSpecSchema = z.strictObject({
  ...routeSpecShape,
  hostnames: z.array(hostnameSchema).max(1024).optional(),
  useDefaultGateways: z.enum(['All', 'None']).optional(),
  rules: l4RulesSchema,
})
/** `TLSRoute.spec`. */
export type TLSRouteSpec = z.infer<typeof tlsRouteSpecSchema>

/** `TCPRoute.spec` (experimental): the backends a TCP connection is proxied to. */
export const tcpRouteSpecSchema = z.strictObject({
  parentRefs: routeSpecShape.parentRefs,
  useDefaultGateways: z.enum(['All', 'None']).optional(),
  rules: l4RulesSchema,
})
/** `TCPRoute.spec`. */
export type TCPRouteSpec = z.infer<typeof tcpRouteSpecSchema>

const listenerSchema = z.strictObject({
  name: sectionNameSchema,
  hostname: hostnameSchema.optional(),
  port: portNumberSchema,
  protocol: pattern(
    /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$/,
    255,
  ),
  tls: z
    .strictObject({
      mode: z.enum(['Terminate', 'Passthrough']).optional(),
      certificateRefs: z.array(secretObjectReferenceSchema).max(64).optional(),
      frontendValidation: z.looseObject({}).optional(),
      options: stringMapSchema.optional(),
    })
    .optional(),
  allowedRoutes: z
    .strictObject({
      namespaces: z
        .strictObject({
          from: z.enum(['All', 'Selector', 'Same', 'None']).optional(),
          selector: labelSelectorSchema.optional(),
        })
        .optional(),
      kinds: z
        .array(z.strictObject({ group: groupSchema.optional(), kind: kindSchema }))
        .max(8)
        .optional(),
    })
    .optional(),
})
/** One `Listener` of a Gateway. */
export type Listener = z.infer<typeof listenerSchema>

/** `Gateway.spec` (gateway.networking.k8s.io). */
export const k8sGatewaySpecSchema = z.strictObject({
  gatewayClassName: objectNameSchema,
  listeners: z.array(listenerSchema).min(1, { error: 'should have at least 1 items' }).max(64),
  addresses: z
    .array(z.strictObject({ type: z.string().optional(), value: z.string().max(253).optional() }))
    .max(16)
    .optional(),
  infrastructure: z
    .strictObject({
      labels: stringMapSchema.optional(),
      annotations: stringMapSchema.optional(),
      parametersRef: localObjectReferenceSchema.optional(),
    })
    .optional(),
  allowedListeners: z.looseObject({}).optional(),
  tls: z.looseObject({}).optional(),
  defaultScope: z.string().optional(),
  backendTLS: z.looseObject({}).optional(),
})
/** `Gateway.spec` (gateway.networking.k8s.io). */
export type K8sGatewaySpec = z.infer<typeof k8sGatewaySpecSchema>

/** `GatewayClass.spec`. */
export const gatewayClassSpecSchema = z.strictObject({
  controllerName: pattern(CONTROLLER, 253),
  parametersRef: z
    .strictObject({
      group: groupSchema,
      kind: kindSchema,
      name: objectNameSchema,
      namespace: namespaceSchema.optional(),
    })
    .optional(),
  description: z.string().max(64).optional(),
})

/** `ReferenceGrant.spec`. */
export const referenceGrantSpecSchema = z.strictObject({
  from: z
    .array(z.strictObject({ group: groupSchema, kind: kindSchema, namespace: namespaceSchema }))
    .min(1, { error: 'should have at least 1 items' })
    .max(16),
  to: z
    .array(z.strictObject({ group: groupSchema, kind: kindSchema, name: objectNameSchema.optional() }))
    .min(1, { error: 'should have at least 1 items' })
    .max(16),
})
/** `ReferenceGrant.spec`. */
export type ReferenceGrantSpec = z.infer<typeof referenceGrantSpecSchema>

function gatewayApiSchema<K extends string, V extends readonly [string, ...string[]], S extends z.ZodType>(
  kind: K,
  versions: V,
  spec: S,
) {
  return z.strictObject({
    apiVersion: z.enum(versions),
    kind: z.literal(kind),
    metadata: objectMetaSchema,
    spec,
    status: z.unknown().optional(),
  })
}

const V1 = ['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1'] as const

/** Envelope schema of a Gateway API `Gateway`. */
export const k8sGatewaySchema = gatewayApiSchema('Gateway', V1, k8sGatewaySpecSchema)
/** A Gateway API `Gateway` (told apart from Istio's by its apiVersion). */
export type K8sGatewayResource = z.infer<typeof k8sGatewaySchema>
/** Envelope schema of a `GatewayClass`. */
export const gatewayClassSchema = gatewayApiSchema('GatewayClass', V1, gatewayClassSpecSchema)
/** A `GatewayClass`. */
export type GatewayClassResource = z.infer<typeof gatewayClassSchema>
/** Envelope schema of an `HTTPRoute`. */
export const gatewayHttpRouteSchema = gatewayApiSchema('HTTPRoute', V1, httpRouteSpecSchema)
/** An `HTTPRoute`. */
export type HTTPRouteResource = z.infer<typeof gatewayHttpRouteSchema>
/** Envelope schema of a `GRPCRoute`. */
export const grpcRouteSchema = gatewayApiSchema(
  'GRPCRoute',
  ['gateway.networking.k8s.io/v1'] as const,
  grpcRouteSpecSchema,
)
/** A `GRPCRoute`. */
export type GRPCRouteResource = z.infer<typeof grpcRouteSchema>
/** Envelope schema of a `TLSRoute` (experimental channel). */
export const gatewayTlsRouteSchema = gatewayApiSchema(
  'TLSRoute',
  [
    'gateway.networking.k8s.io/v1alpha2',
    'gateway.networking.k8s.io/v1alpha3',
    'gateway.networking.k8s.io/v1',
  ] as const,
  tlsRouteSpecSchema,
)
/** A `TLSRoute`. */
export type TLSRouteResource = z.infer<typeof gatewayTlsRouteSchema>
/** Envelope schema of a `TCPRoute` (experimental channel). */
export const gatewayTcpRouteSchema = gatewayApiSchema(
  'TCPRoute',
  ['gateway.networking.k8s.io/v1alpha2', 'gateway.networking.k8s.io/v1'] as const,
  tcpRouteSpecSchema,
)
/** A `TCPRoute`. */
export type TCPRouteResource = z.infer<typeof gatewayTcpRouteSchema>
/** Envelope schema of a `ReferenceGrant`. */
export const referenceGrantSchema = gatewayApiSchema(
  'ReferenceGrant',
  ['gateway.networking.k8s.io/v1beta1', 'gateway.networking.k8s.io/v1'] as const,
  referenceGrantSpecSchema,
)
/** A `ReferenceGrant`. */
export type ReferenceGrantResource = z.infer<typeof referenceGrantSchema>

/** Any Gateway API resource Portico reads. */
export type GatewayApiResource =
  | K8sGatewayResource
  | GatewayClassResource
  | HTTPRouteResource
  | GRPCRouteResource
  | TLSRouteResource
  | TCPRouteResource
  | ReferenceGrantResource

/** The Gateway API kinds Portico reads, with their schema. */
export const gatewayApiSchemas = {
  Gateway: k8sGatewaySchema,
  GatewayClass: gatewayClassSchema,
  HTTPRoute: gatewayHttpRouteSchema,
  GRPCRoute: grpcRouteSchema,
  TLSRoute: gatewayTlsRouteSchema,
  TCPRoute: gatewayTcpRouteSchema,
  ReferenceGrant: referenceGrantSchema,
} as const

/** True for a Gateway API `Gateway` (as opposed to Istio's `Gateway`). */
export function isK8sGateway(resource: {
  kind: string
  apiVersion?: string
}): resource is K8sGatewayResource {
  return resource.kind === 'Gateway' && isGatewayApiVersion(resource.apiVersion)
}
