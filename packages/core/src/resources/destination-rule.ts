import { z } from 'zod'
import {
  doubleSchema,
  durationSchema,
  int32Schema,
  oneOf,
  stringMapSchema,
  uint32MapSchema,
  uint32Schema,
  uint64Schema,
} from './common.js'
import { portSelectorSchema } from './virtual-service.js'

/** `LoadBalancerSettings.SimpleLB` names. */
export const simpleLoadBalancers = [
  'UNSPECIFIED',
  'LEAST_CONN',
  'RANDOM',
  'PASSTHROUGH',
  'ROUND_ROBIN',
  'LEAST_REQUEST',
] as const

/** `ConsistentHashLB.HTTPCookie.Attribute`. */
export const httpCookieAttributeSchema = z.strictObject({
  name: z.string(),
  value: z.string().optional(),
})

/** `ConsistentHashLB.HTTPCookie`: hash on a cookie, generated when absent. */
export const httpCookieSchema = z.strictObject({
  name: z.string(),
  path: z.string().optional(),
  ttl: durationSchema.optional(),
  attributes: z.array(httpCookieAttributeSchema).optional(),
})
/** A consistent-hash cookie. */
export type HTTPCookie = z.infer<typeof httpCookieSchema>

/** `ConsistentHashLB`: hash key kinds form one oneof, hash algorithms another. */
export const consistentHashLbSchema = oneOf(
  z.strictObject({
    httpHeaderName: z.string().optional(),
    httpCookie: httpCookieSchema.optional(),
    useSourceIp: z.boolean().optional(),
    httpQueryParameterName: z.string().optional(),
    ringHash: z.strictObject({ minimumRingSize: uint64Schema.optional() }).optional(),
    maglev: z.strictObject({ tableSize: uint64Schema.optional() }).optional(),
    /** Deprecated in favour of `ringHash.minimumRingSize`. */
    minimumRingSize: uint64Schema.optional(),
  }),
  ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'],
  ['ringHash', 'maglev'],
)
/** Consistent-hash load balancing (session affinity). */
export type ConsistentHashLB = z.infer<typeof consistentHashLbSchema>

const failoverSchema = z.strictObject({ from: z.string().optional(), to: z.string().optional() })

/** `LocalityLoadBalancerSetting`. */
export const localityLbSettingSchema = z.strictObject({
  distribute: z
    .array(z.strictObject({ from: z.string().optional(), to: uint32MapSchema.optional() }))
    .optional(),
  failover: z.array(failoverSchema).optional(),
  failoverPriority: z.array(z.string()).optional(),
  enabled: z.boolean().nullable().optional(),
})
/** Locality-weighted load balancing and failover. */
export type LocalityLoadBalancerSetting = z.infer<typeof localityLbSettingSchema>

/** `ZoneAwareLoadBalancerSetting`. */
export const zoneAwareLbSettingSchema = z.strictObject({
  enabled: z.boolean().nullable().optional(),
  failover: z.array(failoverSchema).optional(),
  failoverPriority: z.array(z.string()).optional(),
  minClusterSize: uint64Schema.nullable().optional(),
})
/** Zone-aware load balancing. */
export type ZoneAwareLoadBalancerSetting = z.infer<typeof zoneAwareLbSettingSchema>

/** `WarmupConfiguration`. */
export const warmupConfigurationSchema = z.strictObject({
  duration: durationSchema,
  minimumPercent: doubleSchema.nullable().optional(),
  aggression: doubleSchema.nullable().optional(),
})
/** Slow-start warm-up of new endpoints. */
export type WarmupConfiguration = z.infer<typeof warmupConfigurationSchema>

/** `LoadBalancerSettings`: `simple` and `consistentHash` form a oneof. */
export const loadBalancerSettingsSchema = oneOf(
  z.strictObject({
    simple: z.enum(simpleLoadBalancers).optional(),
    consistentHash: consistentHashLbSchema.optional(),
    localityLbSetting: localityLbSettingSchema.optional(),
    zoneAwareLbSetting: zoneAwareLbSettingSchema.optional(),
    warmupDurationSecs: durationSchema.optional(),
    warmup: warmupConfigurationSchema.optional(),
  }),
  ['simple', 'consistentHash'],
)
/** Load-balancing policy. */
export type LoadBalancerSettings = z.infer<typeof loadBalancerSettingsSchema>

/** `ConnectionPoolSettings.TCPSettings`. */
export const tcpSettingsSchema = z.strictObject({
  maxConnections: int32Schema.optional(),
  connectTimeout: durationSchema.optional(),
  tcpKeepalive: z
    .strictObject({
      probes: uint32Schema.optional(),
      time: durationSchema.optional(),
      interval: durationSchema.optional(),
    })
    .optional(),
  maxConnectionDuration: durationSchema.optional(),
  idleTimeout: durationSchema.optional(),
})
/** TCP connection-pool settings. */
export type TCPSettings = z.infer<typeof tcpSettingsSchema>

/** `ConnectionPoolSettings.HTTPSettings.H2UpgradePolicy` names. */
export const h2UpgradePolicies = ['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'] as const

/** `ConnectionPoolSettings.HTTPSettings`. */
export const httpSettingsSchema = z.strictObject({
  http1MaxPendingRequests: int32Schema.optional(),
  http2MaxRequests: int32Schema.optional(),
  maxRequestsPerConnection: int32Schema.optional(),
  maxRetries: int32Schema.optional(),
  idleTimeout: durationSchema.optional(),
  h2UpgradePolicy: z.enum(h2UpgradePolicies).optional(),
  useClientProtocol: z.boolean().optional(),
  maxConcurrentStreams: int32Schema.optional(),
  http2KeepAlive: z
    .strictObject({ interval: durationSchema.optional(), timeout: durationSchema.optional() })
    .optional(),
})
/** HTTP connection-pool settings. */
export type HTTPSettings = z.infer<typeof httpSettingsSchema>

/** `ConnectionPoolSettings`. */
export const connectionPoolSettingsSchema = z.strictObject({
  tcp: tcpSettingsSchema.optional(),
  http: httpSettingsSchema.optional(),
})
/** Upstream connection-pool limits. */
export type ConnectionPoolSettings = z.infer<typeof connectionPoolSettingsSchema>

/** `OutlierDetection`. */
export const outlierDetectionSchema = z.strictObject({
  /** Deprecated in favour of `consecutive5xxErrors`. */
  consecutiveErrors: int32Schema.optional(),
  splitExternalLocalOriginErrors: z.boolean().optional(),
  consecutiveLocalOriginFailures: uint32Schema.nullable().optional(),
  consecutiveGatewayErrors: uint32Schema.nullable().optional(),
  consecutive5xxErrors: uint32Schema.nullable().optional(),
  interval: durationSchema.optional(),
  baseEjectionTime: durationSchema.optional(),
  maxEjectionPercent: int32Schema.optional(),
  minHealthPercent: int32Schema.optional(),
  outlierDetectionHttpErrorCodes: z.array(uint32Schema).optional(),
})
/** Passive health checking (ejection of failing endpoints). */
export type OutlierDetection = z.infer<typeof outlierDetectionSchema>

/** `ClientTLSSettings.TLSmode` names. */
export const clientTlsModes = ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'] as const

/** `ClientTLSSettings`: TLS towards the upstream. */
export const clientTlsSettingsSchema = z.strictObject({
  mode: z.enum(clientTlsModes).optional(),
  clientCertificate: z.string().optional(),
  privateKey: z.string().optional(),
  caCertificates: z.string().optional(),
  credentialName: z.string().optional(),
  subjectAltNames: z.array(z.string()).optional(),
  sni: z.string().optional(),
  insecureSkipVerify: z.boolean().nullable().optional(),
  caCrl: z.string().optional(),
})
/** Upstream TLS settings of a DestinationRule. */
export type ClientTLSSettings = z.infer<typeof clientTlsSettingsSchema>

/** `TrafficPolicy.PortTrafficPolicy`: a policy for one destination port. */
export const portTrafficPolicySchema = z.strictObject({
  port: portSelectorSchema.optional(),
  loadBalancer: loadBalancerSettingsSchema.optional(),
  connectionPool: connectionPoolSettingsSchema.optional(),
  outlierDetection: outlierDetectionSchema.optional(),
  tls: clientTlsSettingsSchema.optional(),
})
/** Per-port traffic policy. */
export type PortTrafficPolicy = z.infer<typeof portTrafficPolicySchema>

/** `TrafficPolicy.TunnelSettings`. */
export const tunnelSettingsSchema = z.strictObject({
  protocol: z.string().optional(),
  targetHost: z.string(),
  targetPort: uint32Schema,
})
/** Tunnelling (CONNECT/POST) to the upstream. */
export type TunnelSettings = z.infer<typeof tunnelSettingsSchema>

/** `TrafficPolicy.ProxyProtocol.VERSION` names. */
export const proxyProtocolVersions = ['V1', 'V2'] as const

/** `TrafficPolicy.RetryBudget`. */
export const retryBudgetSchema = z.strictObject({
  percent: doubleSchema.nullable().optional(),
  minRetryConcurrency: uint32Schema.optional(),
  budgetInterval: durationSchema.optional(),
})
/** Retry budget of an upstream cluster. */
export type RetryBudget = z.infer<typeof retryBudgetSchema>

/** `TrafficPolicy`. */
export const trafficPolicySchema = z.strictObject({
  loadBalancer: loadBalancerSettingsSchema.optional(),
  connectionPool: connectionPoolSettingsSchema.optional(),
  outlierDetection: outlierDetectionSchema.optional(),
  tls: clientTlsSettingsSchema.optional(),
  portLevelSettings: z.array(portTrafficPolicySchema).optional(),
  tunnel: tunnelSettingsSchema.optional(),
  proxyProtocol: z.strictObject({ version: z.enum(proxyProtocolVersions).optional() }).optional(),
  retryBudget: retryBudgetSchema.optional(),
})
/** Traffic policy of a host or subset. */
export type TrafficPolicy = z.infer<typeof trafficPolicySchema>

/** `Subset`: a named group of endpoints selected by labels. */
export const subsetSchema = z.strictObject({
  name: z.string(),
  labels: stringMapSchema.optional(),
  trafficPolicy: trafficPolicySchema.optional(),
})
/** A named endpoint subset (e.g. `v1`) with its labels and policy. */
export type Subset = z.infer<typeof subsetSchema>

/** `istio.type.v1beta1.WorkloadSelector` (DestinationRule uses `matchLabels`). */
export const workloadLabelSelectorSchema = z.strictObject({ matchLabels: stringMapSchema.optional() })

/** `spec` of a DestinationRule. */
export const destinationRuleSpecSchema = z.strictObject({
  host: z.string(),
  trafficPolicy: trafficPolicySchema.optional(),
  subsets: z.array(subsetSchema).optional(),
  exportTo: z.array(z.string()).optional(),
  workloadSelector: workloadLabelSelectorSchema.optional(),
})
/** The `spec` of a `DestinationRule` (istio.networking.v1alpha3.DestinationRule). */
export type DestinationRuleSpec = z.infer<typeof destinationRuleSpecSchema>
