import type { CompiledPolicies, KeySource, PolicyConnection, RequestFacts } from '@portico/core'
import { authenticate, authorize, normalizeTarget, policyRequest } from '@portico/core'
import { localReply } from '../proxy/local-reply.js'
import type { Downstream, Logger } from '../types.js'

/** Envoy's body for a request the RBAC filter denies. */
export const RBAC_DENIED_BODY = 'RBAC: access denied'

/** Envoy keeps at most this much of the path in a `www-authenticate` realm. */
const MAX_REALM_PATH = 256

/** What the policy step needs from the gateway. */
export interface PolicyContext {
  readonly serverHeader: string | false
  readonly logger: Logger
  /** Remote key sets (`jwksUri`). */
  readonly jwks: KeySource
}

/**
 * Runs the security filters of a request in Envoy's order, before routing: authentication
 * (jwt_authn: 401, or 403 for a disallowed audience, with jwt_verify_lib's text and
 * `www-authenticate`), then authorization (rbac: 403 `RBAC: access denied`). Mutates the request
 * headers as jwt_authn does (output headers, the token's header). Calls `next` with the facts the
 * router should see (the verified claims added) when the request may go on; otherwise answers it.
 * A target the router refuses or redirects (bad path) goes straight to `next`, as Envoy's
 * connection manager answers those before any filter.
 */
export function applyPolicies(
  ctx: PolicyContext,
  policies: CompiledPolicies,
  pathPolicy: Parameters<typeof normalizeTarget>[1],
  facts: RequestFacts,
  headers: Record<string, string | string[] | undefined>,
  connection: PolicyConnection,
  res: Downstream,
  next: (facts: RequestFacts) => void,
): void {
  const target = normalizeTarget(facts.path, pathPolicy)
  if (!target.ok || target.redirect === true) return void next(facts)
  authenticate(
    policies,
    { method: facts.method, headers, query: target.query },
    ctx.jwks,
    Math.floor(Date.now() / 1000),
  )
    .then((authn) => {
      if (!authn.ok) {
        const full = target.query === '' ? target.path : `${target.path}?${target.query}`
        const realm = `${facts.scheme}://${facts.authority}${full.slice(0, MAX_REALM_PATH)}`
        return void localReply(res, authn.status, ctx.serverHeader, authn.message, undefined, {
          'www-authenticate': `Bearer realm="${realm}", error="invalid_token"`,
        })
      }
      for (const name of authn.removeHeaders) delete headers[name]
      for (const [name, value] of authn.setHeaders) headers[name] = value
      const decision = authorize(
        policies,
        policyRequest(facts, target.path, headers, connection),
        authn.identity,
      )
      for (const m of decision.shadowMatches) {
        ctx.logger.info(
          {
            policy: `${m.policy.namespace}/${m.policy.name}`,
            rule: m.rule,
            action: m.action,
            allowed: decision.allowed,
          },
          'authorization policy matched (not enforced)',
        )
      }
      if (!decision.allowed) return void localReply(res, 403, ctx.serverHeader, RBAC_DENIED_BODY)
      next(authn.identity === undefined ? facts : { ...facts, claims: authn.identity.claims })
    })
    .catch((error: unknown) => {
      ctx.logger.error({ err: error }, 'request authentication failed')
      localReply(res, 500, ctx.serverHeader)
    })
}
