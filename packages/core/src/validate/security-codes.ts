/**
 * Diagnostic codes of the security kinds (RequestAuthentication, AuthorizationPolicy):
 * Istio's admission rules (PTC2700–2619), what Portico refuses because a gateway without a mesh
 * cannot honour it (PTC2720–2639), and the cross-resource findings about which policies reach
 * this gateway (IST0127, PTC3600–3609). Each has a row in docs/errors.md.
 */
export const SECURITY_CODES = {
  /** `selector` / `targetRef` / `targetRefs` that Istio refuses. */
  policyTarget: 'PTC2700',
  /** A `selector` without labels (Istio admits it with a warning). */
  policyTargetWarning: 'PTC2701',
  /** A `jwtRules` entry that Istio refuses. */
  jwtRule: 'PTC2702',
  /** Inline `jwks` carrying private key material (a warning, as Istio's). */
  jwksPrivateKey: 'PTC2703',
  /** An AuthorizationPolicy rule (from / to / when) that Istio refuses. */
  authorizationRule: 'PTC2710',
  /** An action/provider combination that Istio refuses (`DENY` without rules, `provider` without CUSTOM, ...). */
  authorizationAction: 'PTC2711',
  /** A DENY rule of HTTP-only attributes (Istio warns it denies all TCP traffic under its scope). */
  authorizationDenyHttpOnly: 'PTC2712',
  /** mTLS identities (principals, namespaces, service accounts, trust domains): there is no mesh. */
  meshIdentity: 'PTC2720',
  /** `action: CUSTOM` (external authorization) is not implemented. */
  customAction: 'PTC2721',
  /** A `when` key Istio accepts that Portico cannot evaluate (`experimental.envoy.filters.*`). */
  unsupportedCondition: 'PTC2722',
  /** A policy selector that matches no gateway (Istio's NoMatchingWorkloadsFound). */
  noMatchingWorkloads: 'IST0127',
  /** A policy in a namespace other than the root namespace and the gateway's: it never applies here. */
  policyOutOfScope: 'PTC3600',
  /** A policy whose `targetRefs` name no Gateway this process serves. */
  policyTargetNotFound: 'PTC3601',
} as const
