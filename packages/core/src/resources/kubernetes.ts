import { z } from 'zod'
import { stringMapSchema } from './common.js'
import { objectMetaSchema } from './envelope.js'

const portSchema = z.int().min(1).max(65535)
const protocolSchema = z.enum(['TCP', 'UDP', 'SCTP'])

/** `Service.spec.ports[]`: `targetPort` is a number or the name of a container port. */
const servicePortSchema = z.strictObject({
  name: z.string().optional(),
  protocol: protocolSchema.optional(),
  appProtocol: z.string().optional(),
  port: portSchema,
  targetPort: z.union([portSchema, z.string().min(1)]).optional(),
  nodePort: z.int().optional(),
})

/**
 * A core `v1` Service as `kubectl get svc -o yaml` prints it. Only `ports` and `selector` matter to
 * Portico (the host `name.namespace.svc.cluster.local` and its ports); cluster fields are accepted.
 */
export const serviceSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata: objectMetaSchema,
  spec: z
    .strictObject({
      ports: z.array(servicePortSchema).optional(),
      selector: stringMapSchema.optional(),
      type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).optional(),
      clusterIP: z.string().optional(),
      clusterIPs: z.array(z.string()).optional(),
      externalIPs: z.array(z.string()).optional(),
      externalName: z.string().optional(),
      externalTrafficPolicy: z.string().optional(),
      internalTrafficPolicy: z.string().optional(),
      ipFamilies: z.array(z.string()).optional(),
      ipFamilyPolicy: z.string().optional(),
      loadBalancerIP: z.string().optional(),
      loadBalancerClass: z.string().optional(),
      loadBalancerSourceRanges: z.array(z.string()).optional(),
      allocateLoadBalancerNodePorts: z.boolean().optional(),
      healthCheckNodePort: z.int().optional(),
      publishNotReadyAddresses: z.boolean().optional(),
      sessionAffinity: z.string().optional(),
      sessionAffinityConfig: z.looseObject({}).optional(),
      trafficDistribution: z.string().optional(),
    })
    .optional(),
  status: z.unknown().optional(),
})
/** A Kubernetes Service. */
export type ServiceResource = z.infer<typeof serviceSchema>

const conditionsSchema = z
  .strictObject({
    ready: z.boolean().optional(),
    serving: z.boolean().optional(),
    terminating: z.boolean().optional(),
  })
  .optional()

/** A `discovery.k8s.io/v1` EndpointSlice: the ready addresses of one Service (`kubernetes.io/service-name` label). */
export const endpointSliceSchema = z.strictObject({
  apiVersion: z.literal('discovery.k8s.io/v1'),
  kind: z.literal('EndpointSlice'),
  metadata: objectMetaSchema,
  addressType: z.enum(['IPv4', 'IPv6', 'FQDN']),
  endpoints: z
    .array(
      z.strictObject({
        addresses: z.array(z.string().min(1)).min(1).max(100),
        conditions: conditionsSchema,
        hostname: z.string().optional(),
        targetRef: z.looseObject({}).optional(),
        nodeName: z.string().optional(),
        zone: z.string().optional(),
        hints: z.looseObject({}).optional(),
        deprecatedTopology: stringMapSchema.optional(),
      }),
    )
    .max(1000)
    .nullable()
    .optional(),
  ports: z
    .array(
      z.strictObject({
        name: z.string().optional(),
        protocol: protocolSchema.optional(),
        port: z.int().min(0).max(65535).optional(),
        appProtocol: z.string().optional(),
      }),
    )
    .nullable()
    .optional(),
})
/** An EndpointSlice. */
export type EndpointSliceResource = z.infer<typeof endpointSliceSchema>

const endpointAddressSchema = z.strictObject({
  ip: z.string().min(1),
  hostname: z.string().optional(),
  nodeName: z.string().optional(),
  targetRef: z.looseObject({}).optional(),
})

/** A core `v1` Endpoints object (the older form of EndpointSlice; same name as its Service). */
export const endpointsSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Endpoints'),
  metadata: objectMetaSchema,
  subsets: z
    .array(
      z.strictObject({
        addresses: z.array(endpointAddressSchema).optional(),
        notReadyAddresses: z.array(endpointAddressSchema).optional(),
        ports: z
          .array(
            z.strictObject({
              name: z.string().optional(),
              port: portSchema,
              protocol: protocolSchema.optional(),
              appProtocol: z.string().optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
})
/** An Endpoints object. */
export type EndpointsResource = z.infer<typeof endpointsSchema>

/** A core `v1` Namespace (cluster-scoped): its labels feed `allowedRoutes` selectors. */
export const namespaceSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Namespace'),
  metadata: objectMetaSchema,
  spec: z.strictObject({ finalizers: z.array(z.string()).optional() }).optional(),
  status: z.unknown().optional(),
})
/** A Namespace. */
export type NamespaceResource = z.infer<typeof namespaceSchema>

/** Kubernetes kinds read for service discovery and namespace labels. */
export type KubernetesResource =
  | ServiceResource
  | EndpointSliceResource
  | EndpointsResource
  | NamespaceResource
