import type { z } from 'zod'
import { destinationRuleSpecSchema } from './destination-rule.js'
import { istioResourceSchema } from './envelope.js'
import { gatewaySpecSchema } from './gateway.js'
import type { SecretResource } from './secret.js'
import { secretSchema } from './secret.js'
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

/** Any resource Portico handles. */
export type Resource =
  | GatewayResource
  | VirtualServiceResource
  | DestinationRuleResource
  | ServiceEntryResource
  | SecretResource

/** The kinds Portico handles, in the order `portico schema` lists them. */
export const resourceKinds = [
  'Gateway',
  'VirtualService',
  'DestinationRule',
  'ServiceEntry',
  'Secret',
] as const

/** `kind` of a {@link Resource}. */
export type ResourceKind = (typeof resourceKinds)[number]

/** The resource type of one kind: `ResourceOfKind<'Gateway'>` is {@link GatewayResource}. */
export type ResourceOfKind<K extends ResourceKind> = Extract<Resource, { kind: K }>

const schemas = {
  Gateway: gatewaySchema,
  VirtualService: virtualServiceSchema,
  DestinationRule: destinationRuleSchema,
  ServiceEntry: serviceEntrySchema,
  Secret: secretSchema,
} as const

/** The apiVersions accepted for each kind. */
export const apiVersionsOfKind: Readonly<Record<ResourceKind, readonly string[]>> = {
  Gateway: gatewaySchema.shape.apiVersion.options,
  VirtualService: virtualServiceSchema.shape.apiVersion.options,
  DestinationRule: destinationRuleSchema.shape.apiVersion.options,
  ServiceEntry: serviceEntrySchema.shape.apiVersion.options,
  Secret: ['v1'],
}

/** True when `kind` is one of the five kinds Portico handles. */
export function isResourceKind(kind: unknown): kind is ResourceKind {
  return typeof kind === 'string' && Object.hasOwn(schemas, kind)
}

/** The whole-resource zod schema (envelope + spec) of a kind. */
export function resourceSchemaFor<K extends ResourceKind>(kind: K): (typeof schemas)[K] {
  return schemas[kind]
}

/** The `{ kind, namespace, name }` of a resource (namespace `default` when absent). */
export function resourceRef(resource: Resource): { kind: ResourceKind; namespace: string; name: string } {
  return {
    kind: resource.kind,
    namespace: resource.metadata.namespace ?? 'default',
    name: resource.metadata.name,
  }
}
