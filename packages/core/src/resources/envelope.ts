import { z } from 'zod'
import { stringMapSchema } from './common.js'

/** The apiVersions under which Istio serves the networking kinds (all with the same shape). */
export const istioNetworkingApiVersions = [
  'networking.istio.io/v1alpha3',
  'networking.istio.io/v1beta1',
  'networking.istio.io/v1',
] as const

/** One of {@link istioNetworkingApiVersions}. */
export type IstioNetworkingApiVersion = (typeof istioNetworkingApiVersions)[number]

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"

/**
 * Kubernetes `ObjectMeta`: `name` (DNS-1123 subdomain) is required, `namespace` (DNS-1123 label)
 * defaults to `default` when absent. The server-populated fields of a `kubectl get -o yaml` dump
 * are accepted and ignored.
 */
export const objectMetaSchema = z.strictObject({
  name: z
    .string()
    .min(1, { error: 'name or generateName is required' })
    .max(253, { error: 'must be no more than 253 characters' })
    .regex(DNS1123_SUBDOMAIN, { error: SUBDOMAIN_MESSAGE }),
  namespace: z
    .string()
    .max(63, { error: 'must be no more than 63 characters' })
    .regex(DNS1123_LABEL, { error: LABEL_MESSAGE })
    .optional(),
  labels: stringMapSchema.optional(),
  annotations: stringMapSchema.optional(),
  generateName: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.int().optional(),
  creationTimestamp: z.string().nullable().optional(),
  deletionTimestamp: z.string().nullable().optional(),
  deletionGracePeriodSeconds: z.int().optional(),
  selfLink: z.string().optional(),
  clusterName: z.string().optional(),
  ownerReferences: z.array(z.looseObject({})).optional(),
  finalizers: z.array(z.string()).optional(),
  managedFields: z.array(z.looseObject({})).optional(),
})
/** Kubernetes object metadata as Portico reads it. */
export type ObjectMeta = z.infer<typeof objectMetaSchema>

/**
 * Builds the envelope schema of an Istio kind: only `apiVersion` (one of `apiVersions`, by default
 * the networking group's), `kind`, `metadata`, `spec` and `status` at the top level (as
 * `istioctl validate` insists).
 */
export function istioResourceSchema<
  K extends string,
  S extends z.ZodType,
  const V extends readonly [string, ...string[]] = typeof istioNetworkingApiVersions,
>(kind: K, spec: S, apiVersions: V = istioNetworkingApiVersions as unknown as V) {
  return z.strictObject({
    apiVersion: z.enum(apiVersions),
    kind: z.literal(kind),
    metadata: objectMetaSchema,
    spec,
    status: z.unknown().optional(),
  })
}
