import type { CompiledConfig, RequestFacts } from '../compile/types.js'
import { authenticate, type KeySource } from '../policy/authenticate.js'
import { authorize } from '../policy/authorize.js'
import { explain } from './explain.js'
import { normalizeTarget } from './normalize.js'
import { policyRequest } from './policy-request.js'

/** Options of {@link explainRequest}. */
export interface ExplainOptions {
  /** Remote key sets; by default none (offline: tokens of `jwksUri` rules cannot be verified). */
  readonly keys?: KeySource
  /** The clock for `exp`/`nbf`, in seconds (default now). */
  readonly nowSeconds?: number
}

const OFFLINE: KeySource = { remote: () => undefined }

/**
 * {@link explain} with the security filters in front, in Envoy's order: the authentication step
 * (which provider verified which token, or why the answer is 401/403), the authorization step
 * (which DENY or ALLOW policy and rule decided, AUDIT and dry-run matches), then routing with the
 * verified claims. Without policies it is exactly {@link explain}.
 */
export async function explainRequest(
  compiled: CompiledConfig,
  facts: RequestFacts,
  options: ExplainOptions = {},
): Promise<string> {
  const policies = compiled.policies
  if (policies === undefined) return explain(compiled, facts)
  const target = normalizeTarget(facts.path, compiled.pathPolicy)
  if (!target.ok || target.redirect === true) return explain(compiled, facts)
  const pad = (label: string, text: string) => `${label.padEnd(10)} ${text}`
  const headers: Record<string, string | readonly string[] | undefined> = { ...facts.headers }
  const authn = await authenticate(
    policies,
    { method: facts.method, headers, query: target.query },
    options.keys ?? OFFLINE,
    options.nowSeconds ?? Math.floor(Date.now() / 1000),
  )
  const head = [pad('request', `${facts.method} ${facts.scheme}://${facts.authority}${facts.path}`)]
  if (!authn.ok) {
    head.push(pad('authn', authn.detail))
    head.push(pad('decision', `${authn.status} ${JSON.stringify(authn.message)} (jwt_authn)`))
    return `${head.join('\n')}\n`
  }
  for (const name of authn.removeHeaders) delete headers[name]
  for (const [name, value] of authn.setHeaders) headers[name] = value
  head.push(
    pad(
      'authn',
      authn.identity === undefined ? authn.detail : `${authn.detail}: principal ${authn.identity.principal}`,
    ),
  )
  const listener = compiled.listeners.get(facts.port)
  const request = policyRequest(facts, target.path, headers, {
    localPort: listener?.listenPort ?? facts.port,
  })
  const decision = authorize(policies, request, authn.identity)
  const by =
    decision.policy === undefined
      ? ''
      : ` by ${decision.policy.namespace}/${decision.policy.name} rules[${decision.rule}]`
  const reason = {
    deny: `denied${by} (DENY)`,
    allow: `allowed${by} (ALLOW)`,
    'no-allow-match': `denied: no rule of the ${policies.allow.length} ALLOW ${policies.allow.length === 1 ? 'policy' : 'policies'} matches`,
    'no-policy': 'allowed: no DENY rule matches and no ALLOW policy applies',
  }[decision.reason]
  head.push(pad('authz', reason))
  for (const m of decision.shadowMatches)
    head.push(
      pad('', `${m.action} ${m.policy.namespace}/${m.policy.name} rules[${m.rule}] matches (not enforced)`),
    )
  if (!decision.allowed) {
    head.push(pad('decision', '403 "RBAC: access denied" (rbac)'))
    return `${head.join('\n')}\n`
  }
  const routed = explain(compiled, {
    ...facts,
    headers,
    ...(authn.identity === undefined ? {} : { claims: authn.identity.claims }),
  })
  const lines = routed.split('\n')
  return `${[lines[0]!, ...head.slice(1), ...lines.slice(1)].join('\n')}`
}
