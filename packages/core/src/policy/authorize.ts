import type { ResourceRef } from '../diagnostics/diagnostic.js'
import type {
  AuthorizationDecision,
  CompiledAuthorizationPolicy,
  CompiledPolicies,
  PolicyRequest,
  RequestIdentity,
} from './types.js'

const NO_SHADOW: AuthorizationDecision['shadowMatches'] = []

function firstMatch(
  policies: readonly CompiledAuthorizationPolicy[],
  request: PolicyRequest,
  identity: RequestIdentity | undefined,
): { policy: ResourceRef; rule: number } | undefined {
  for (const p of policies) {
    for (const rule of p.rules)
      if (rule.matches(request, identity)) return { policy: p.policy, rule: rule.index }
  }
  return undefined
}

/**
 * Authorization as Istio's RBAC filters decide it (CUSTOM is not supported): DENY policies first
 * (a matching rule answers 403), then ALLOW policies (when any applies and none matches, 403:
 * `rules: []` allows nothing, `rules: [{}]` everything); AUDIT and dry-run policies are evaluated
 * and reported but never decide. Pure: no I/O.
 */
export function authorize(
  policies: CompiledPolicies,
  request: PolicyRequest,
  identity: RequestIdentity | undefined,
): AuthorizationDecision {
  let shadowMatches = NO_SHADOW
  if (policies.shadow.length > 0) {
    const found: { policy: ResourceRef; rule: number; action: string }[] = []
    for (const p of policies.shadow) {
      for (const rule of p.rules) {
        if (rule.matches(request, identity)) {
          found.push({
            policy: p.policy,
            rule: rule.index,
            action: p.dryRun ? `${p.action} (dry-run)` : p.action,
          })
          break
        }
      }
    }
    shadowMatches = found
  }
  const denied = firstMatch(policies.deny, request, identity)
  if (denied !== undefined) return { allowed: false, reason: 'deny', ...denied, shadowMatches }
  if (policies.allow.length === 0) return { allowed: true, reason: 'no-policy', shadowMatches }
  const allowed = firstMatch(policies.allow, request, identity)
  if (allowed !== undefined) return { allowed: true, reason: 'allow', ...allowed, shadowMatches }
  return { allowed: false, reason: 'no-allow-match', shadowMatches }
}
