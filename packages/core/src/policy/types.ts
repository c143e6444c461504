import type { ResourceRef, SourceLocation } from '../diagnostics/diagnostic.js'

/**
 * The security policies that apply to one gateway, compiled with its config: JWT providers from
 * RequestAuthentications and the authorization policies by action. Absent from a
 * `CompiledConfig` when no policy applies, so such a config
 * pays nothing for them.
 */
export interface CompiledPolicies {
  /** JWT providers (one per `jwtRules` entry, sorted by issuer as Istio does); empty: no jwt_authn. */
  readonly providers: readonly JwtProvider[]
  /** Request headers no client may send: every provider's output headers (removed from every request). */
  readonly outputHeaders: readonly string[]
  /** DENY policies (enforced); a match answers 403. */
  readonly deny: readonly CompiledAuthorizationPolicy[]
  /** ALLOW policies (enforced); when there is at least one and none matches, 403. */
  readonly allow: readonly CompiledAuthorizationPolicy[]
  /** AUDIT policies and `istio.io/dry-run` policies: evaluated and reported, never deciding. */
  readonly shadow: readonly CompiledAuthorizationPolicy[]
}

/** Where a token is read from. */
export type TokenLocation =
  | { readonly kind: 'header'; readonly name: string; readonly prefix: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'cookie'; readonly name: string }

/** A key set as JSON (RFC 7517). */
export interface JsonWebKeySet {
  readonly keys: readonly Readonly<Record<string, unknown>>[]
}

/** One JWT provider: Envoy's `JwtProvider` as Istio builds it from a `jwtRules` entry. */
export interface JwtProvider {
  /** `origins-<n>`, Istio's provider name. */
  readonly name: string
  /** The RequestAuthentication it came from, and the index of the rule. */
  readonly policy: ResourceRef
  readonly ruleIndex: number
  readonly source?: SourceLocation
  /** `''` means any issuer (a rule with only `jwksUri`). */
  readonly issuer: string
  /** Allowed audiences, normalized as jwt_verify_lib compares them; empty: any. */
  readonly audiences: readonly string[]
  readonly keys:
    | { readonly kind: 'inline'; readonly jwks: JsonWebKeySet }
    | { readonly kind: 'remote'; readonly uri: string; readonly timeoutMs: number }
  /** This provider's token locations (Envoy's defaults when the rule names none). */
  readonly locations: readonly TokenLocation[]
  readonly outputPayloadToHeader?: string
  readonly claimToHeaders: readonly { readonly header: string; readonly claim: string }[]
  /** `forwardOriginalToken`: keep the token's header for the upstream. */
  readonly forward: boolean
}

/** An AuthorizationPolicy that applies to the gateway, with its rules compiled. */
export interface CompiledAuthorizationPolicy {
  readonly policy: ResourceRef
  readonly action: 'ALLOW' | 'DENY' | 'AUDIT'
  /** `istio.io/dry-run: "true"`: evaluated, reported, never enforced. */
  readonly dryRun: boolean
  readonly rules: readonly CompiledAuthorizationRule[]
  readonly source?: SourceLocation
}

/** One rule: true when the request matches it. */
export interface CompiledAuthorizationRule {
  readonly index: number
  readonly description: string
  matches(request: PolicyRequest, identity: RequestIdentity | undefined): boolean
}

/** What authorization reads of a request (all as the gateway sees them, after authentication). */
export interface PolicyRequest {
  readonly method: string
  /** Host / :authority as received. */
  readonly authority: string
  /** Normalized path without the query. */
  readonly path: string
  /** Lowercase header names (after authentication removed or added its headers). */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>
  /** The peer address of the connection (`source.ip`, `ipBlocks`). */
  readonly sourceIp?: string | undefined
  /** The client address after X-Forwarded-For and `numTrustedProxies` (`remote.ip`, `remoteIpBlocks`). */
  readonly remoteIp?: string | undefined
  /** The local port the request arrived on (`destination.port`, `ports`). */
  readonly destinationPort?: number | undefined
  /** The local address the request arrived on (`destination.ip`). */
  readonly destinationIp?: string | undefined
  /** SNI of the TLS connection (`connection.sni`). */
  readonly sni?: string | undefined
}

/** Who the request is, from a verified JWT. */
export interface RequestIdentity {
  /** `<iss>/<sub>`. */
  readonly principal: string
  /** The verified token's payload. */
  readonly claims: Readonly<Record<string, unknown>>
  /** The provider that verified it. */
  readonly provider: string
}

/** The outcome of authorization, with what decided it. */
export interface AuthorizationDecision {
  readonly allowed: boolean
  /** The DENY policy and rule that matched, the ALLOW one that allowed, or none (implicit deny / no policy). */
  readonly policy?: ResourceRef
  readonly rule?: number
  /** `deny`: a DENY rule matched; `allow`: an ALLOW rule matched; `no-allow-match`: ALLOW policies exist and none matched; `no-policy`: nothing to enforce. */
  readonly reason: 'deny' | 'allow' | 'no-allow-match' | 'no-policy'
  /** Shadow (AUDIT / dry-run) policies whose rules matched. */
  readonly shadowMatches: readonly {
    readonly policy: ResourceRef
    readonly rule: number
    readonly action: string
  }[]
}
