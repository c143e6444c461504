import { z } from 'zod'
import { stringMapSchema, uint32Schema } from './common.js'

/** `Port` of a Gateway server (istio.networking.v1alpha3.Port). */
export const portSchema = z.strictObject({
  number: uint32Schema,
  protocol: z.string(),
  name: z.string(),
  /** Deprecated; Istio refuses it on Gateways, kept so the message comes from validation. */
  targetPort: uint32Schema.optional(),
})
/** A Gateway server's port: number, protocol (case-insensitive), name. */
export type Port = z.infer<typeof portSchema>

/** One certificate of `ServerTLSSettings.tlsCertificates`. */
export const tlsCertificateSchema = z.strictObject({
  serverCertificate: z.string().optional(),
  privateKey: z.string().optional(),
  caCertificates: z.string().optional(),
})
/** A server certificate + key (+ CA) given by file paths. */
export type TLSCertificate = z.infer<typeof tlsCertificateSchema>

/** `ServerTLSSettings.TLSmode` names. */
export const serverTlsModes = [
  'PASSTHROUGH',
  'SIMPLE',
  'MUTUAL',
  'AUTO_PASSTHROUGH',
  'ISTIO_MUTUAL',
  'OPTIONAL_MUTUAL',
] as const

/** `ServerTLSSettings.TLSProtocol` names. */
export const tlsProtocolVersions = ['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'] as const

/** `ServerTLSSettings`: TLS of a Gateway server. */
export const serverTlsSettingsSchema = z.strictObject({
  httpsRedirect: z.boolean().optional(),
  mode: z.enum(serverTlsModes).optional(),
  serverCertificate: z.string().optional(),
  privateKey: z.string().optional(),
  caCertificates: z.string().optional(),
  caCrl: z.string().optional(),
  credentialName: z.string().optional(),
  credentialNames: z.array(z.string()).optional(),
  caCertCredentialName: z.string().optional(),
  tlsCertificates: z.array(tlsCertificateSchema).optional(),
  subjectAltNames: z.array(z.string()).optional(),
  verifyCertificateSpki: z.array(z.string()).optional(),
  verifyCertificateHash: z.array(z.string()).optional(),
  minProtocolVersion: z.enum(tlsProtocolVersions).optional(),
  maxProtocolVersion: z.enum(tlsProtocolVersions).optional(),
  cipherSuites: z.array(z.string()).optional(),
  insecureSkipVerify: z.boolean().nullable().optional(),
})
/** TLS settings of a Gateway server (mode defaults to PASSTHROUGH when absent). */
export type ServerTLSSettings = z.infer<typeof serverTlsSettingsSchema>

/** `Server`: one listener entry of a Gateway. */
export const serverSchema = z.strictObject({
  port: portSchema,
  bind: z.string().optional(),
  hosts: z.array(z.string()),
  tls: serverTlsSettingsSchema.optional(),
  defaultEndpoint: z.string().optional(),
  name: z.string().optional(),
})
/** A Gateway server: port, hosts (`[ns/]host`), optional TLS. */
export type Server = z.infer<typeof serverSchema>

/** `spec` of a Gateway. */
export const gatewaySpecSchema = z.strictObject({
  servers: z.array(serverSchema).optional(),
  selector: stringMapSchema.optional(),
})
/** The `spec` of a `Gateway` (istio.networking.v1alpha3.Gateway). */
export type GatewaySpec = z.infer<typeof gatewaySpecSchema>
