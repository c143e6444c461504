import type { Diagnostic, ResourceRef, SourceLocation } from '../diagnostics/diagnostic.js'
import { durationMillis } from '../model/duration.js'
import { DEFAULT_NAMESPACE } from '../model/names.js'
import type {
  AuthorizationCondition,
  AuthorizationOperation,
  AuthorizationPolicySpec,
  AuthorizationRule,
  AuthorizationSource,
  RequestAuthenticationSpec,
} from '../resources/index.js'
import { parseJwks } from './jwks.js'
import {
  cidrTest,
  claimAt,
  claimMatches,
  headerTest,
  headerValue,
  pathTest,
  type ValueTest,
  valueTest,
} from './matchers.js'
import { type GatewayWorkload, policyScope } from './scope.js'
import type {
  CompiledAuthorizationPolicy,
  CompiledAuthorizationRule,
  CompiledPolicies,
  JwtProvider,
  PolicyRequest,
  RequestIdentity,
  TokenLocation,
} from './types.js'

/** A security resource as the compiler reads it (schema-valid). */
export interface PolicyResource {
  readonly kind: string
  readonly metadata: {
    readonly name: string
    readonly namespace?: string | undefined
    readonly annotations?: Readonly<Record<string, string>> | undefined
  }
  readonly spec?: unknown
}

/** Envoy's JWKS fetch timeout when a rule sets none (Istio's default). */
export const DEFAULT_JWKS_TIMEOUT_MS = 5000

const DEFAULT_LOCATIONS: readonly TokenLocation[] = [
  { kind: 'header', name: 'authorization', prefix: 'Bearer ' },
  { kind: 'param', name: 'access_token' },
]

/**
 * Compiles the RequestAuthentications and AuthorizationPolicies that reach this gateway
 * ({@link policyScope}) into the chain the server evaluates: JWT providers sorted by issuer
 * (Istio's order) and authorization policies by action. `undefined` when none applies.
 */
export function compilePolicies(
  requestAuthentications: readonly PolicyResource[],
  authorizationPolicies: readonly PolicyResource[],
  workload: GatewayWorkload,
  locate: (resource: PolicyResource, path: readonly (string | number)[]) => SourceLocation | undefined,
  diagnostics: Diagnostic[],
): CompiledPolicies | undefined {
  const ref = (r: PolicyResource): ResourceRef => ({
    kind: r.kind,
    namespace: r.metadata.namespace ?? DEFAULT_NAMESPACE,
    name: r.metadata.name,
  })
  const rules: {
    rule: NonNullable<RequestAuthenticationSpec['jwtRules']>[number]
    r: PolicyResource
    i: number
  }[] = []
  for (const r of requestAuthentications) {
    const spec = r.spec as RequestAuthenticationSpec
    if (!policyScope({ metadata: r.metadata, spec }, workload).applies) continue
    spec.jwtRules?.forEach((rule, i) => {
      rules.push({ rule, r, i })
    })
  }
  // Istio sorts the merged rules by issuer (a stable sort keeps declaration order among equals).
  rules.sort((a, b) =>
    (a.rule.issuer ?? '') < (b.rule.issuer ?? '')
      ? -1
      : (a.rule.issuer ?? '') > (b.rule.issuer ?? '')
        ? 1
        : 0,
  )
  const providers: JwtProvider[] = []
  const outputHeaders = new Set<string>()
  rules.forEach(({ rule, r, i }, n) => {
    const uri = rule.jwksUri ?? rule.jwks_uri
    let keys: JwtProvider['keys']
    if (rule.jwks !== undefined && rule.jwks !== '') {
      const parsed = parseJwks(rule.jwks)
      keys = { kind: 'inline', jwks: { keys: typeof parsed === 'string' ? [] : parsed } }
    } else if (uri !== undefined && uri !== '') {
      keys = { kind: 'remote', uri, timeoutMs: durationMillis(rule.timeout ?? '') ?? DEFAULT_JWKS_TIMEOUT_MS }
    } else {
      keys = { kind: 'inline', jwks: { keys: [] } }
    }
    const locations: TokenLocation[] = [
      ...(rule.fromHeaders ?? []).map((h) => ({
        kind: 'header' as const,
        name: h.name.toLowerCase(),
        prefix: h.prefix ?? '',
      })),
      ...(rule.fromParams ?? []).map((name) => ({ kind: 'param' as const, name })),
      ...(rule.fromCookies ?? []).map((name) => ({ kind: 'cookie' as const, name })),
    ]
    const claimToHeaders = (rule.outputClaimToHeaders ?? []).map((c) => ({
      header: c.header.toLowerCase(),
      claim: c.claim,
    }))
    const payloadHeader = rule.outputPayloadToHeader?.toLowerCase()
    if (payloadHeader !== undefined && payloadHeader !== '') outputHeaders.add(payloadHeader)
    for (const c of claimToHeaders) outputHeaders.add(c.header)
    const source = locate(r, ['spec', 'jwtRules', i])
    providers.push({
      name: `origins-${n}`,
      policy: ref(r),
      ruleIndex: i,
      ...(source === undefined ? {} : { source }),
      issuer: rule.issuer ?? '',
      audiences: (rule.audiences ?? []).map(sanitizeAudience),
      keys,
      locations: locations.length > 0 ? locations : DEFAULT_LOCATIONS,
      ...(payloadHeader === undefined || payloadHeader === ''
        ? {}
        : { outputPayloadToHeader: payloadHeader }),
      claimToHeaders,
      forward: rule.forwardOriginalToken ?? false,
    })
  })

  const deny: CompiledAuthorizationPolicy[] = []
  const allow: CompiledAuthorizationPolicy[] = []
  const shadow: CompiledAuthorizationPolicy[] = []
  for (const r of authorizationPolicies) {
    const spec = r.spec as AuthorizationPolicySpec
    if (!policyScope({ metadata: r.metadata, spec }, workload).applies) continue
    const action = spec.action ?? 'ALLOW'
    if (action === 'CUSTOM') {
      diagnostics.push({
        severity: 'warning',
        code: 'PTC4601',
        message: `AuthorizationPolicy ${ref(r).namespace}/${r.metadata.name} with action CUSTOM is not enforced (external authorization is not supported)`,
        resource: ref(r),
        path: 'spec.action',
      })
      continue
    }
    const dryRun = r.metadata.annotations?.['istio.io/dry-run']?.toLowerCase() === 'true'
    const source = locate(r, ['metadata', 'name'])
    const compiled: CompiledAuthorizationPolicy = {
      policy: ref(r),
      action,
      dryRun,
      rules: (spec.rules ?? []).map((rule, i) => compileRule(rule, i)),
      ...(source === undefined ? {} : { source }),
    }
    if (dryRun || action === 'AUDIT') shadow.push(compiled)
    else if (action === 'DENY') deny.push(compiled)
    else allow.push(compiled)
  }
  if (providers.length === 0 && deny.length === 0 && allow.length === 0 && shadow.length === 0)
    return undefined
  return { providers, outputHeaders: [...outputHeaders], deny, allow, shadow }
}

/** jwt_verify_lib's audience normalization: `http://` / `https://` and one trailing `/` dropped. */
export function sanitizeAudience(aud: string): string {
  if (aud === '') return aud
  let begin = 0
  let sanitized = false
  if (aud.startsWith('http://')) {
    begin = 7
    sanitized = true
  } else if (aud.startsWith('https://')) {
    begin = 8
    sanitized = true
  }
  let end = aud.length
  if (aud.endsWith('/')) {
    end--
    sanitized = true
  }
  return sanitized ? aud.slice(begin, end) : aud
}

type Predicate = (request: PolicyRequest, identity: RequestIdentity | undefined) => boolean

const always: Predicate = () => true

function and(parts: readonly Predicate[]): Predicate {
  if (parts.length === 0) return always
  if (parts.length === 1) return parts[0]!
  return (r, id) => {
    for (const p of parts) if (!p(r, id)) return false
    return true
  }
}

function or(parts: readonly Predicate[]): Predicate {
  if (parts.length === 1) return parts[0]!
  return (r, id) => {
    for (const p of parts) if (p(r, id)) return true
    return false
  }
}

/** `values` (any matches) and `notValues` (none matches), both optional: Istio's field semantics. */
function field(
  values: readonly string[] | undefined,
  notValues: readonly string[] | undefined,
  one: (value: string) => Predicate,
): Predicate[] {
  const out: Predicate[] = []
  if (values !== undefined && values.length > 0) out.push(or(values.map(one)))
  if (notValues !== undefined && notValues.length > 0) {
    const any = or(notValues.map(one))
    out.push((r, id) => !any(r, id))
  }
  return out
}

function cidrField(
  values: readonly string[] | undefined,
  notValues: readonly string[] | undefined,
  read: (r: PolicyRequest) => string | undefined,
): Predicate[] {
  const out: Predicate[] = []
  if (values !== undefined && values.length > 0) {
    const test = cidrTest(values)
    out.push((r) => test(read(r)))
  }
  if (notValues !== undefined && notValues.length > 0) {
    const test = cidrTest(notValues)
    out.push((r) => !test(read(r)))
  }
  return out
}

/** Istio's request principal matcher: `iss/sub` with `*` forms split at the last `/`. */
function principalPredicate(value: string): Predicate {
  const any: ValueTest = (v) => v.length > 0
  const idx = value.lastIndexOf('/')
  const found = idx >= 0
  const iss = found ? value.slice(0, idx) : value
  const sub = found ? value.slice(idx + 1) : ''
  let matchIss: ValueTest
  let matchSub: ValueTest
  if (value === '*') {
    matchIss = any
    matchSub = any
  } else if (value.startsWith('*')) {
    if (found) {
      matchIss = iss === '*' ? any : valueTest(`*${iss.slice(1)}`)
      matchSub = (v) => v === sub
    } else {
      matchIss = any
      matchSub = valueTest(value)
    }
  } else if (value.endsWith('*')) {
    if (found) {
      matchIss = (v) => v === iss
      matchSub = sub === '*' ? any : valueTest(sub)
    } else {
      matchIss = valueTest(value)
      matchSub = any
    }
  } else {
    matchIss = (v) => v === iss
    matchSub = (v) => v === sub
  }
  return (_r, id) => {
    if (id === undefined) return false
    const i = id.claims.iss
    const s = id.claims.sub
    return typeof i === 'string' && typeof s === 'string' && matchIss(i) && matchSub(s)
  }
}

function claimPredicate(path: readonly string[], value: string): Predicate {
  const test = valueTest(value)
  return (_r, id) => id !== undefined && claimMatches(claimAt(id.claims, path), test)
}

function sourcePredicates(src: AuthorizationSource): Predicate[] {
  return [
    ...field(src.requestPrincipals, src.notRequestPrincipals, principalPredicate),
    ...cidrField(src.ipBlocks, src.notIpBlocks, (r) => r.sourceIp),
    ...cidrField(src.remoteIpBlocks, src.notRemoteIpBlocks, (r) => r.remoteIp),
  ]
}

function operationPredicates(op: AuthorizationOperation): Predicate[] {
  const host = (v: string): Predicate => {
    const t = headerTest(v, true)
    return (r) => t(r.authority)
  }
  const method = (v: string): Predicate => {
    const t = headerTest(v)
    return (r) => t(r.method)
  }
  const path = (v: string): Predicate => {
    const t = pathTest(v)
    return (r) => t(r.path)
  }
  const port = (v: string): Predicate => {
    const n = Number(v)
    return (r) => r.destinationPort === n
  }
  return [
    ...field(op.hosts, op.notHosts, host),
    ...field(op.ports, op.notPorts, port),
    ...field(op.methods, op.notMethods, method),
    ...field(op.paths, op.notPaths, path),
  ]
}

/** `a[b]` → `b`; `[a][b]` → `['a', 'b']` (Istio's bracket forms). */
function bracketNames(rest: string): string[] | undefined {
  const out: string[] = []
  let i = 0
  while (i < rest.length) {
    if (rest[i] !== '[') break
    const end = rest.indexOf(']', i + 1)
    const nested = rest.indexOf('[', i + 1)
    if (end < 0 || (nested >= 0 && nested < end)) break
    out.push(rest.slice(i + 1, end))
    i = end + 1
  }
  if (i === rest.length && out.length > 0) return out
  if (rest.startsWith('[') && rest.endsWith(']')) return [rest.slice(1, -1)]
  return undefined
}

function conditionPredicates(c: AuthorizationCondition): Predicate[] {
  const key = c.key
  const one = (v: string): Predicate => {
    if (key.startsWith('request.headers[')) {
      const name = key.slice('request.headers['.length, -1).toLowerCase()
      const t = headerTest(v)
      return (r) => t(headerValue(r.headers, name))
    }
    if (key.startsWith('request.auth.claims')) {
      const path = bracketNames(key.slice('request.auth.claims'.length)) ?? []
      return claimPredicate(path, v)
    }
    switch (key) {
      case 'request.auth.principal':
        return principalPredicate(v)
      case 'request.auth.audiences':
        return claimPredicate(['aud'], v)
      case 'request.auth.presenter':
        return claimPredicate(['azp'], v)
      case 'destination.port': {
        const n = Number(v)
        return (r) => r.destinationPort === n
      }
      case 'connection.sni': {
        const t = valueTest(v)
        return (r) => r.sni !== undefined && t(r.sni)
      }
    }
    return () => false
  }
  switch (key) {
    case 'source.ip':
      return cidrField(c.values, c.notValues, (r) => r.sourceIp)
    case 'remote.ip':
      return cidrField(c.values, c.notValues, (r) => r.remoteIp)
    case 'destination.ip':
      return cidrField(c.values, c.notValues, (r) => r.destinationIp)
  }
  return field(c.values, c.notValues, one)
}

function describeRule(rule: AuthorizationRule): string {
  const parts: string[] = []
  const list = (name: string, values: readonly string[] | undefined) => {
    if (values !== undefined && values.length > 0) parts.push(`${name} ${values.join('|')}`)
  }
  for (const f of rule.from ?? []) {
    const s = f.source ?? {}
    for (const [k, v] of Object.entries(s)) list(k, v as string[] | undefined)
  }
  for (const t of rule.to ?? []) {
    const o = t.operation ?? {}
    for (const [k, v] of Object.entries(o)) list(k, v as string[] | undefined)
  }
  for (const w of rule.when ?? []) {
    list(w.key, w.values)
    list(`not ${w.key}`, w.notValues)
  }
  return parts.length === 0 ? '{} (every request)' : parts.join(', ')
}

/** A rule: `from` entries ORed, `to` entries ORed, `when` conditions ANDed, the three ANDed. */
function compileRule(rule: AuthorizationRule, index: number): CompiledAuthorizationRule {
  const parts: Predicate[] = []
  if (rule.from !== undefined && rule.from.length > 0)
    parts.push(or(rule.from.map((f) => and(sourcePredicates(f.source ?? {})))))
  if (rule.to !== undefined && rule.to.length > 0)
    parts.push(or(rule.to.map((t) => and(operationPredicates(t.operation ?? {})))))
  for (const w of rule.when ?? []) parts.push(and(conditionPredicates(w)))
  const matches = and(parts)
  return { index, description: describeRule(rule), matches }
}
