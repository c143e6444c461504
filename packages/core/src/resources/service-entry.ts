import { z } from 'zod'
import { stringMapSchema, uint32MapSchema, uint32Schema } from './common.js'

/** `ServicePort`. */
export const servicePortSchema = z.strictObject({
  number: uint32Schema,
  protocol: z.string().optional(),
  name: z.string(),
  targetPort: uint32Schema.optional(),
})
/** A port of a ServiceEntry: number, name, protocol, optional target port. */
export type ServicePort = z.infer<typeof servicePortSchema>

/** `WorkloadEntry` (as a ServiceEntry endpoint). */
export const workloadEntrySchema = z.strictObject({
  address: z.string().optional(),
  ports: uint32MapSchema.optional(),
  labels: stringMapSchema.optional(),
  network: z.string().optional(),
  locality: z.string().optional(),
  weight: uint32Schema.optional(),
  serviceAccount: z.string().optional(),
})
/** One endpoint: address, ports by port name, labels (subsets select on them). */
export type WorkloadEntry = z.infer<typeof workloadEntrySchema>

/** `ServiceEntry.Location` names. */
export const serviceEntryLocations = ['MESH_EXTERNAL', 'MESH_INTERNAL'] as const

/** `ServiceEntry.Resolution` names. */
export const serviceEntryResolutions = ['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN', 'DYNAMIC_DNS'] as const

/** `istio.networking.v1alpha3.WorkloadSelector` (ServiceEntry uses `labels`). */
export const workloadSelectorSchema = z.strictObject({ labels: stringMapSchema.optional() })
/** Selects workloads by labels. */
export type WorkloadSelector = z.infer<typeof workloadSelectorSchema>

/** `spec` of a ServiceEntry. */
export const serviceEntrySpecSchema = z.strictObject({
  hosts: z.array(z.string()),
  addresses: z.array(z.string()).optional(),
  ports: z.array(servicePortSchema).optional(),
  location: z.enum(serviceEntryLocations).optional(),
  resolution: z.enum(serviceEntryResolutions).optional(),
  endpoints: z.array(workloadEntrySchema).optional(),
  workloadSelector: workloadSelectorSchema.optional(),
  exportTo: z.array(z.string()).optional(),
  subjectAltNames: z.array(z.string()).optional(),
})
/** The `spec` of a `ServiceEntry` (istio.networking.v1alpha3.ServiceEntry). */
export type ServiceEntrySpec = z.infer<typeof serviceEntrySpecSchema>
