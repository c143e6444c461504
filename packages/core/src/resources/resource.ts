import type { z } from 'zod'
import { destinationRuleSpecSchema } from './destination-rule.js'
import { istioResourceSchema } from './envelope.js'
import { gatewaySpecSchema } from './gateway.js'
import {
  type GatewayApiResource,
  gatewayApiSchemas,
  isGatewayApiVersion,
  qualifiedKind,
} from './gateway-api.js'
import {
  endpointSliceSchema,
  endpointsSchema,
  type KubernetesResource,
  namespaceSchema,
  serviceSchema,
} from './kubernetes.js'
import type { SecretResource } from './secret.js'
import { secretSchema } from './secret.js'
import {
  authorizationPolicySpecSchema,
  istioSecurityApiVersions,
  requestAuthenticationSpecSchema,
} from './security.js'
import { serviceEntrySpecSchema } from './service-entry.js'
import { virtualServiceSpecSchema } from './virtual-service.js'

/** Envelope schema of a `Gateway`. */
export const gatewaySchema = istioResourceSchema('Gateway', gatewaySpecSchema)
/** A `Gateway` resource. */
export type GatewayResource = z.infer<typeof gatewaySchema>

/** Envelope schema of a `VirtualService`. */
export const virtualServiceSchema = istioResourceSchema('VirtualService', virtualServiceSpecSchema)
/** A `VirtualService` resource. */
export type VirtualServiceResource = z.infer<typeof virtualServiceSchema>

/** Envelope schema of a `DestinationRule`. */
export const destinationRuleSchema = istioResourceSchema('DestinationRule', destinationRuleSpecSchema)
/** A `DestinationRule` resource. */
export type DestinationRuleResource = z.infer<typeof destinationRuleSchema>

/** Envelope schema of a `ServiceEntry`. */
export const serviceEntrySchema = istioResourceSchema('ServiceEntry', serviceEntrySpecSchema)
/** A `ServiceEntry` resource. */
export type ServiceEntryResource = z.infer<typeof serviceEntrySchema>

/** Envelope schema of a `RequestAuthentication` (security.istio.io). */
export const requestAuthenticationSchema = istioResourceSchema(
  'RequestAuthentication',
  requestAuthenticationSpecSchema,
  istioSecurityApiVersions,
)
/** A `RequestAuthentication` resource. */
export type RequestAuthenticationResource = z.infer<typeof requestAuthenticationSchema>

/** Envelope schema of an `AuthorizationPolicy` (security.istio.io). */
export const authorizationPolicySchema = istioResourceSchema(
  'AuthorizationPolicy',
  authorizationPolicySpecSchema,
  istioSecurityApiVersions,
)
/** An `AuthorizationPolicy` resource. */
export type AuthorizationPolicyResource = z.infer<typeof authorizationPolicySchema>

/** An Istio resource (networking, security) or a TLS Secret. */
export type IstioResource =
  | GatewayResource
  | VirtualServiceResource
  | DestinationRuleResource
  | ServiceEntryResource
  | SecretResource
  | RequestAuthenticationResource
  | AuthorizationPolicyResource

/** Any resource Portico handles: Istio's kinds, the Gateway API's, and Kubernetes service discovery. */
export type Resource = IstioResource | GatewayApiResource | KubernetesResource

/** The kinds Portico handles, in the order `portico schema` lists them. */
export const resourceKinds = [
  'Gateway',
  'VirtualService',
  'DestinationRule',
  'ServiceEntry',
  'Secret',
  'RequestAuthentication',
  'AuthorizationPolicy',
] as const

/** `kind` of a {@link Resource}. */
export type ResourceKind = (typeof resourceKinds)[number]

/** The resource type of one Istio kind: `ResourceOfKind<'Gateway'>` is {@link GatewayResource}. */
export type ResourceOfKind<K extends ResourceKind> = Extract<IstioResource, { kind: K }>

/** The Gateway API kinds (`gateway.networking.k8s.io`) Portico reads. */
export const gatewayApiKinds = [
  'GatewayClass',
  'Gateway',
  'HTTPRoute',
  'GRPCRoute',
  'TLSRoute',
  'TCPRoute',
  'ReferenceGrant',
] as const

/** The Kubernetes kinds Portico reads for service discovery and namespace labels. */
export const kubernetesKinds = ['Service', 'EndpointSlice', 'Endpoints', 'Namespace'] as const

const kubernetesSchemas = {
  Service: serviceSchema,
  EndpointSlice: endpointSliceSchema,
  Endpoints: endpointsSchema,
  Namespace: namespaceSchema,
} as const

/**
 * The schema and served apiVersions for an object's kind and apiVersion: the Gateway API group
 * decides between the two `Gateway` kinds. `undefined` when Portico does not read the kind.
 */
export function schemaForObject(
  kind: string,
  apiVersion: unknown,
):
  | { schema: { safeParse: (v: unknown) => unknown }; apiVersions: readonly string[]; kind: string }
  | undefined {
  if (isGatewayApiVersion(apiVersion) || (kind !== 'Gateway' && Object.hasOwn(gatewayApiSchemas, kind))) {
    if (!Object.hasOwn(gatewayApiSchemas, kind)) return undefined
    const schema = gatewayApiSchemas[kind as keyof typeof gatewayApiSchemas]
    return { schema, apiVersions: schema.shape.apiVersion.options, kind: qualifiedKind(kind, apiVersion) }
  }
  if (Object.hasOwn(kubernetesSchemas, kind)) {
    const schema = kubernetesSchemas[kind as keyof typeof kubernetesSchemas]
    return { schema, apiVersions: [schema.shape.apiVersion.value], kind }
  }
  if (isResourceKind(kind)) return { schema: schemas[kind], apiVersions: apiVersionsOfKind[kind], kind }
  return undefined
}

const schemas = {
  Gateway: gatewaySchema,
  VirtualService: virtualServiceSchema,
  DestinationRule: destinationRuleSchema,
  ServiceEntry: serviceEntrySchema,
  Secret: secretSchema,
  RequestAuthentication: requestAuthenticationSchema,
  AuthorizationPolicy: authorizationPolicySchema,
} as const

/** The apiVersions accepted for each kind. */
export const apiVersionsOfKind: Readonly<Record<ResourceKind, readonly string[]>> = {
  Gateway: gatewaySchema.shape.apiVersion.options,
  VirtualService: virtualServiceSchema.shape.apiVersion.options,
  DestinationRule: destinationRuleSchema.shape.apiVersion.options,
  ServiceEntry: serviceEntrySchema.shape.apiVersion.options,
  Secret: ['v1'],
  RequestAuthentication: requestAuthenticationSchema.shape.apiVersion.options,
  AuthorizationPolicy: authorizationPolicySchema.shape.apiVersion.options,
}

/** True when `kind` is one of the kinds Portico handles. */
export function isResourceKind(kind: unknown): kind is ResourceKind {
  return typeof kind === 'string' && Object.hasOwn(schemas, kind)
}

/** The whole-resource zod schema (envelope + spec) of a kind. */
export function resourceSchemaFor<K extends ResourceKind>(kind: K): (typeof schemas)[K] {
  return schemas[kind]
}

/**
 * The `{ kind, namespace, name }` of a resource (namespace `default` when absent; the Gateway API
 * `Gateway` is `Gateway.gateway.networking.k8s.io`).
 */
export function resourceRef(resource: Resource): { kind: string; namespace: string; name: string } {
  return {
    kind: qualifiedKind(resource.kind, resource.apiVersion),
    namespace: resource.metadata.namespace ?? 'default',
    name: resource.metadata.name,
  }
}
