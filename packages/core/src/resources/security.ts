import { z } from 'zod'
import { durationSchema } from './common.js'
import { workloadLabelSelectorSchema } from './destination-rule.js'

/** The apiVersions under which Istio serves the security kinds (both with the same shape). */
export const istioSecurityApiVersions = ['security.istio.io/v1beta1', 'security.istio.io/v1'] as const

/** A policy's `selector` (`istio.type.v1beta1.WorkloadSelector`: `matchLabels`). */
export type PolicySelector = z.infer<typeof workloadLabelSelectorSchema>

/** `istio.type.v1beta1.PolicyTargetReference`: a resource a policy is attached to. */
export const policyTargetReferenceSchema = z.strictObject({
  group: z.string().optional(),
  kind: z.string(),
  name: z.string(),
  namespace: z.string().optional(),
})
/** One entry of a policy's `targetRefs`. */
export type PolicyTargetReference = z.infer<typeof policyTargetReferenceSchema>

/** `JWTHeader`: a header a token is read from, with the prefix stripped before decoding. */
export const jwtHeaderSchema = z.strictObject({
  name: z.string(),
  prefix: z.string().optional(),
})
/** A header location of `fromHeaders`. */
export type JWTHeader = z.infer<typeof jwtHeaderSchema>

/** `ClaimToHeader`: copy a claim of a verified token into a request header. */
export const claimToHeaderSchema = z.strictObject({
  header: z.string(),
  claim: z.string(),
})
/** One entry of `outputClaimToHeaders`. */
export type ClaimToHeader = z.infer<typeof claimToHeaderSchema>

/** `JWTRule`: one issuer whose tokens the gateway verifies. */
export const jwtRuleSchema = z.strictObject({
  issuer: z.string().optional(),
  audiences: z.array(z.string()).optional(),
  jwksUri: z.string().optional(),
  /** The snake_case spelling Istio's CRD also accepts. */
  jwks_uri: z.string().optional(),
  jwks: z.string().optional(),
  fromHeaders: z.array(jwtHeaderSchema).optional(),
  fromParams: z.array(z.string()).optional(),
  fromCookies: z.array(z.string()).optional(),
  outputPayloadToHeader: z.string().optional(),
  forwardOriginalToken: z.boolean().optional(),
  outputClaimToHeaders: z.array(claimToHeaderSchema).optional(),
  timeout: durationSchema.optional(),
  spaceDelimitedClaims: z.array(z.string()).optional(),
  /** Accepted by the CRD; Istio's control plane does not act on it (nor does Portico). */
  presence: z.enum(['OPTIONAL', 'REQUIRED']).optional(),
})
/** A `jwtRules` entry of a RequestAuthentication. */
export type JWTRule = z.infer<typeof jwtRuleSchema>

/** `spec` of a RequestAuthentication (security.istio.io). */
export const requestAuthenticationSpecSchema = z.strictObject({
  selector: workloadLabelSelectorSchema.optional(),
  targetRef: policyTargetReferenceSchema.optional(),
  targetRefs: z.array(policyTargetReferenceSchema).optional(),
  jwtRules: z.array(jwtRuleSchema).optional(),
})
/** The `spec` of a `RequestAuthentication`. */
export type RequestAuthenticationSpec = z.infer<typeof requestAuthenticationSpecSchema>

const stringList = z.array(z.string()).optional()

/** `Source`: who sends the request (`from[].source`). */
export const authorizationSourceSchema = z.strictObject({
  principals: stringList,
  notPrincipals: stringList,
  requestPrincipals: stringList,
  notRequestPrincipals: stringList,
  namespaces: stringList,
  notNamespaces: stringList,
  serviceAccounts: stringList,
  notServiceAccounts: stringList,
  trustDomains: stringList,
  notTrustDomains: stringList,
  ipBlocks: stringList,
  notIpBlocks: stringList,
  remoteIpBlocks: stringList,
  notRemoteIpBlocks: stringList,
})
/** The `source` of an AuthorizationPolicy rule's `from` entry. */
export type AuthorizationSource = z.infer<typeof authorizationSourceSchema>

/** `Operation`: what the request asks for (`to[].operation`). */
export const authorizationOperationSchema = z.strictObject({
  hosts: stringList,
  notHosts: stringList,
  ports: stringList,
  notPorts: stringList,
  methods: stringList,
  notMethods: stringList,
  paths: stringList,
  notPaths: stringList,
})
/** The `operation` of an AuthorizationPolicy rule's `to` entry. */
export type AuthorizationOperation = z.infer<typeof authorizationOperationSchema>

/** `Condition`: one `when` entry (an attribute key and its values). */
export const authorizationConditionSchema = z.strictObject({
  key: z.string(),
  values: stringList,
  notValues: stringList,
})
/** A `when` condition of an AuthorizationPolicy rule. */
export type AuthorizationCondition = z.infer<typeof authorizationConditionSchema>

/** `Rule` of an AuthorizationPolicy: from (OR) AND to (OR) AND when (AND). */
export const authorizationRuleSchema = z.strictObject({
  from: z.array(z.strictObject({ source: authorizationSourceSchema.optional() })).optional(),
  to: z.array(z.strictObject({ operation: authorizationOperationSchema.optional() })).optional(),
  when: z.array(authorizationConditionSchema).optional(),
})
/** One `rules` entry of an AuthorizationPolicy. */
export type AuthorizationRule = z.infer<typeof authorizationRuleSchema>

/** `AuthorizationPolicy.Action` names. */
export const authorizationActions = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'] as const

/** `spec` of an AuthorizationPolicy (security.istio.io). */
export const authorizationPolicySpecSchema = z.strictObject({
  selector: workloadLabelSelectorSchema.optional(),
  targetRef: policyTargetReferenceSchema.optional(),
  targetRefs: z.array(policyTargetReferenceSchema).optional(),
  rules: z.array(authorizationRuleSchema).optional(),
  action: z.enum(authorizationActions).optional(),
  provider: z.strictObject({ name: z.string().optional() }).optional(),
})
/** The `spec` of an `AuthorizationPolicy`. */
export type AuthorizationPolicySpec = z.infer<typeof authorizationPolicySpecSchema>
