import type { Diagnostic, FieldPath } from '../diagnostics/diagnostic.js'
import { parseCidr } from '../model/names.js'
import { parseJwks } from '../policy/jwks.js'
import type {
  AuthorizationPolicyResource,
  AuthorizationSource,
  JWTRule,
  PolicySelector,
  PolicyTargetReference,
  RequestAuthenticationResource,
} from '../resources/index.js'
import { checkDuration, goQuote } from './primitives.js'
import { Report } from './report.js'
import { SECURITY_CODES as C } from './security-codes.js'

type SecurityReport = Report<string>

const ALLOWED_TARGET_REFS = [
  { group: 'core', kind: 'Service', text: '/v1/Service' },
  { group: 'networking.istio.io', kind: 'ServiceEntry', text: 'networking.istio.io/v1/ServiceEntry' },
  { group: 'gateway.networking.k8s.io', kind: 'Gateway', text: 'gateway.networking.k8s.io/v1/Gateway' },
  {
    group: 'gateway.networking.k8s.io',
    kind: 'GatewayClass',
    text: 'gateway.networking.k8s.io/v1/GatewayClass',
  },
] as const

const STRICT_HEADER_NAME = /^[-_A-Za-z0-9]+$/

interface Targeted {
  readonly selector?: PolicySelector | undefined
  readonly targetRef?: PolicyTargetReference | undefined
  readonly targetRefs?: readonly PolicyTargetReference[] | undefined
}

/** Istio's `validateOneOfSelectorType`, `validateWorkloadSelector` and `validatePolicyTargetReference`. */
function validateTargeting(spec: Targeted, report: SecurityReport): void {
  const set =
    (spec.selector !== undefined ? 1 : 0) +
    (spec.targetRef !== undefined ? 1 : 0) +
    ((spec.targetRefs?.length ?? 0) > 0 ? 1 : 0)
  if (set > 1) report.error(C.policyTarget, 'only one of targetRefs or workloadSelector can be set', ['spec'])
  if (spec.selector !== undefined) {
    const labels = spec.selector.matchLabels ?? {}
    for (const [k, v] of Object.entries(labels)) {
      const at = ['spec', 'selector', 'matchLabels', k]
      if (k === '')
        report.error(C.policyTarget, `empty key is not supported in selector: ${goQuote(`${k}=${v}`)}`, at)
      if (k.includes('*') || v.includes('*'))
        report.error(C.policyTarget, `wildcard is not supported in selector: ${goQuote(`${k}=${v}`)}`, at)
    }
    if (Object.keys(labels).length === 0)
      report.warning(C.policyTargetWarning, 'workload selector specified without labels', [
        'spec',
        'selector',
      ])
  }
  if (spec.targetRef !== undefined) validateTargetRef(spec.targetRef, ['spec', 'targetRef'], report)
  spec.targetRefs?.forEach((ref, i) => {
    validateTargetRef(ref, ['spec', 'targetRefs', i], report)
  })
}

function validateTargetRef(ref: PolicyTargetReference, at: FieldPath, report: SecurityReport): void {
  if (ref.name === '') report.error(C.policyTarget, 'targetRef name must be set', [...at, 'name'])
  if (ref.namespace !== undefined && ref.namespace !== '')
    report.error(
      C.policyTarget,
      'targetRef namespace must not be set; cross namespace referencing is not supported',
      [...at, 'namespace'],
    )
  const group = ref.group === undefined || ref.group === '' ? 'core' : ref.group
  if (!ALLOWED_TARGET_REFS.some((a) => a.kind === ref.kind && a.group === group)) {
    report.error(
      C.policyTarget,
      `targetRef must be to one of [${ALLOWED_TARGET_REFS.map((a) => a.text).join(' ')}] but was ${ref.group ?? ''}/${ref.kind}`,
      [...at, 'kind'],
    )
  }
}

/**
 * Istio's `ValidateRequestAuthentication`: the targeting rules, then each JWT rule (audiences,
 * issuer or jwksUri, the jwksUri scheme, inline JWKS syntax, token locations, output headers,
 * timeout), plus the CRD's "only one of jwks or jwksUri" and a warning for inline private keys.
 */
export function validateRequestAuthentication(resource: RequestAuthenticationResource): Diagnostic[] {
  const report = new Report(resource)
  validateTargeting(resource.spec, report)
  resource.spec.jwtRules?.forEach((rule, i) => {
    validateJwtRule(rule, ['spec', 'jwtRules', i], report)
  })
  return report.diagnostics
}

function validateJwtRule(rule: JWTRule, at: FieldPath, report: SecurityReport): void {
  const err = (message: string, field: FieldPath) => report.error(C.jwtRule, message, [...at, ...field])
  rule.audiences?.forEach((a, i) => {
    if (a === '') err('audience must be non-empty string', ['audiences', i])
  })
  const jwksUri = rule.jwksUri ?? rule.jwks_uri
  const uriField = rule.jwksUri !== undefined ? 'jwksUri' : 'jwks_uri'
  if ((rule.issuer ?? '') === '' && (jwksUri ?? '') === '')
    err('issuer or jwksUri must be non-empty string', ['issuer'])
  const sources = [rule.jwksUri, rule.jwks_uri, rule.jwks].filter((x) => x !== undefined).length
  if (sources > 1)
    err('only one of jwks or jwksUri can be set', [rule.jwks !== undefined ? 'jwks' : uriField])
  if (jwksUri !== undefined && jwksUri !== '') {
    const problem = checkJwksUri(jwksUri)
    if (problem !== undefined) err(problem, [uriField])
  }
  if (rule.jwks !== undefined && rule.jwks !== '') {
    const parsed = parseJwks(rule.jwks)
    if (typeof parsed === 'string') err(`jwks parse error: ${parsed}`, ['jwks'])
    else
      parsed.forEach((key, i) => {
        if (isPrivateKey(key))
          report.warning(
            C.jwksPrivateKey,
            `jwks key at index ${i} contains private key material; only public keys are used for verification`,
            [...at, 'jwks'],
          )
      })
  }
  rule.fromHeaders?.forEach((h, i) => {
    if (h.name === '') err('location header name must be non-empty string', ['fromHeaders', i, 'name'])
  })
  rule.fromParams?.forEach((p, i) => {
    if (p === '') err('location query must be non-empty string', ['fromParams', i])
  })
  rule.fromCookies?.forEach((c, i) => {
    if (c === '') err('cookie name must be non-empty string', ['fromCookies', i])
  })
  rule.outputClaimToHeaders?.forEach((o, i) => {
    if (o.claim === '' || o.header === '') {
      err('outputClaimToHeaders header and claim value must be non-empty string', ['outputClaimToHeaders', i])
      return
    }
    if (!STRICT_HEADER_NAME.test(o.header))
      err(`header name ${o.header} is not a valid header name`, ['outputClaimToHeaders', i, 'header'])
  })
  if (rule.timeout !== undefined) {
    const problem = checkDuration(rule.timeout)
    if (problem !== undefined) err(problem, ['timeout'])
  }
}

/** Istio's `ParseJwksURI`: an absolute `http` or `https` URL. */
export function checkJwksUri(uri: string): string | undefined {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    return `parse ${goQuote(uri)}: invalid URI`
  }
  const scheme = url.protocol.slice(0, -1)
  if (scheme !== 'http' && scheme !== 'https') return `URI scheme ${goQuote(scheme)} is not supported`
  return undefined
}

function isPrivateKey(key: Record<string, unknown>): boolean {
  return key.kty === 'oct' || key.d !== undefined
}

const MESH_SOURCE_FIELDS = [
  'principals',
  'notPrincipals',
  'namespaces',
  'notNamespaces',
  'serviceAccounts',
  'notServiceAccounts',
  'trustDomains',
  'notTrustDomains',
] as const satisfies readonly (keyof AuthorizationSource)[]

const SOURCE_FIELDS = [
  ...MESH_SOURCE_FIELDS,
  'requestPrincipals',
  'notRequestPrincipals',
  'ipBlocks',
  'notIpBlocks',
  'remoteIpBlocks',
  'notRemoteIpBlocks',
] as const satisfies readonly (keyof AuthorizationSource)[]

const MESH_CONDITION_KEYS = new Set([
  'source.namespace',
  'source.serviceAccount',
  'source.principal',
  'source.trustDomain',
])

/**
 * Istio's `ValidateAuthorizationPolicy` (targeting, CUSTOM/provider/DENY rules, each rule's
 * from/to/when with Istio's messages, the DENY-on-HTTP-attributes warning), then what Portico
 * refuses because a gateway without a mesh cannot honour it: mTLS identities (principals,
 * namespaces, service accounts, trust domains, `source.*` identity keys), `action: CUSTOM`
 * (external authorization) and `experimental.envoy.filters.*` keys.
 */
export function validateAuthorizationPolicy(resource: AuthorizationPolicyResource): Diagnostic[] {
  const report = new Report(resource)
  const spec = resource.spec
  validateTargeting(spec, report)
  const action = spec.action ?? 'ALLOW'
  if (action === 'CUSTOM') {
    if (spec.rules === undefined)
      report.error(
        C.authorizationAction,
        'CUSTOM action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request',
        ['spec', 'action'],
      )
    else if ((spec.provider?.name ?? '') === '')
      report.error(C.authorizationAction, '`provider.name` must not be empty', ['spec', 'provider'])
    report.error(
      C.customAction,
      'action CUSTOM (external authorization through an extension provider) is not supported by Portico; use ALLOW or DENY rules',
      ['spec', 'action'],
    )
  }
  if (spec.provider !== undefined && action !== 'CUSTOM')
    report.error(C.authorizationAction, `\`provider\` must not be with non CUSTOM action, found ${action}`, [
      'spec',
      'provider',
    ])
  if (action === 'DENY' && spec.rules === undefined)
    report.error(
      C.authorizationAction,
      'DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request',
      ['spec', 'action'],
    )
  spec.rules?.forEach((rule, i) => {
    const at: FieldPath = ['spec', 'rules', i]
    const err = (message: string, path: FieldPath) => report.error(C.authorizationRule, message, path)
    if (rule.from !== undefined && rule.from.length === 0)
      err(`\`from\` must not be empty, found at rule ${i}`, [...at, 'from'])
    let fromExists = false
    let tcpInFrom = false
    rule.from?.forEach((from, j) => {
      const fat: FieldPath = [...at, 'from', j, 'source']
      const src = from.source
      if (src === undefined) {
        err(`\`from.source\` must not be nil, found at rule ${i}`, [...at, 'from', j])
        return
      }
      fromExists = true
      const n = (k: keyof AuthorizationSource) => src[k]?.length ?? 0
      if (
        n('principals') + n('notPrincipals') + n('namespaces') + n('notNamespaces') > 0 &&
        n('serviceAccounts') + n('notServiceAccounts') > 0
      )
        err(`cannot set serviceAccounts with namespaces or principals, found at rule ${i}`, fat)
      if (SOURCE_FIELDS.every((k) => n(k) === 0))
        err(`\`from.source\` must not be empty, found at rule ${i}`, fat)
      for (const k of ['ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks'] as const) {
        src[k]?.forEach((v, x) => {
          const problem = checkIpOrCidr(v)
          if (problem !== undefined) err(problem, [...fat, k, x])
        })
      }
      for (const k of SOURCE_FIELDS) {
        const x = src[k]?.indexOf('') ?? -1
        if (x >= 0) err(`empty value not allowed, found in ${capitalize(k)}`, [...fat, k, x])
      }
      for (const k of MESH_SOURCE_FIELDS) {
        if (src[k] !== undefined)
          report.error(
            C.meshIdentity,
            `${k} match mTLS peer identities, which a gateway without a mesh does not have; use requestPrincipals (JWT) or ipBlocks/remoteIpBlocks instead`,
            [...fat, k],
          )
      }
      for (const k of [
        'notPrincipals',
        'principals',
        'ipBlocks',
        'notIpBlocks',
        'namespaces',
        'notNamespaces',
        'remoteIpBlocks',
        'notRemoteIpBlocks',
        'serviceAccounts',
        'notServiceAccounts',
      ] as const) {
        if (src[k] !== undefined) tcpInFrom = true
      }
    })
    if (rule.to !== undefined && rule.to.length === 0)
      err(`\`to\` must not be empty, found at rule ${i}`, [...at, 'to'])
    let toExists = false
    let tcpInTo = false
    rule.to?.forEach((to, j) => {
      const op = to.operation
      const tat: FieldPath = [...at, 'to', j, 'operation']
      if (op === undefined) {
        err(`\`to.operation\` must not be nil, found at rule ${i}`, [...at, 'to', j])
        return
      }
      toExists = true
      const fields = [
        'ports',
        'notPorts',
        'methods',
        'notMethods',
        'paths',
        'notPaths',
        'hosts',
        'notHosts',
      ] as const
      if (fields.every((k) => (op[k]?.length ?? 0) === 0))
        err(`\`to.operation\` must not be empty, found at rule ${i}`, tat)
      for (const k of ['ports', 'notPorts'] as const) {
        op[k]?.forEach((p, x) => {
          const problem = checkPortText(p)
          if (problem !== undefined) err(problem, [...tat, k, x])
        })
      }
      for (const k of [
        'ports',
        'methods',
        'paths',
        'hosts',
        'notPorts',
        'notMethods',
        'notPaths',
        'notHosts',
      ] as const) {
        const x = op[k]?.indexOf('') ?? -1
        if (x >= 0) err(`empty value not allowed, found in ${capitalize(k)}`, [...tat, k, x])
      }
      for (const k of ['paths', 'notPaths'] as const) {
        op[k]?.forEach((p, x) => {
          const problem = checkPathTemplate(capitalize(k), p)
          if (problem !== undefined) err(problem, [...tat, k, x])
        })
      }
      if (op.ports !== undefined || op.notPorts !== undefined) tcpInTo = true
    })
    rule.when?.forEach((condition, j) => {
      const wat: FieldPath = [...at, 'when', j]
      const key = condition.key
      if (key === '') {
        err('`key` must not be empty', [...wat, 'key'])
        return
      }
      if ((condition.values?.length ?? 0) === 0 && (condition.notValues?.length ?? 0) === 0) {
        err(`at least one of \`values\` or \`notValues\` must be set for key ${key}`, wat)
        return
      }
      const v = checkAttribute(key, condition.values ?? [])
      if (v !== undefined) err(`invalid \`value\` for \`key\` ${key}: ${v}`, [...wat, 'values'])
      const nv = checkAttribute(key, condition.notValues ?? [])
      if (nv !== undefined) err(`invalid \`notValue\` for \`key\` ${key}: ${nv}`, [...wat, 'notValues'])
      if (MESH_CONDITION_KEYS.has(key))
        report.error(
          C.meshIdentity,
          `${key} matches mTLS peer identities, which a gateway without a mesh does not have; use request.auth.* (JWT) or remote.ip instead`,
          [...wat, 'key'],
        )
      else if (key.startsWith('experimental.envoy.filters.'))
        report.error(
          C.unsupportedCondition,
          `${key} reads Envoy filter metadata, which Portico does not have`,
          [...wat, 'key'],
        )
    })
    if (((fromExists && !toExists && !tcpInFrom) || (toExists && !tcpInTo)) && action === 'DENY')
      report.warning(
        C.authorizationDenyHttpOnly,
        'configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port',
        at,
      )
  })
  return report.diagnostics
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** Istio's `security.ValidateIPs` for one value: an IP, or a CIDR when it has a `/`. */
export function checkIpOrCidr(value: string): string | undefined {
  if (value.includes('/')) {
    return parseCidr(value) === undefined
      ? `bad CIDR range (${value}): netip.ParsePrefix(${goQuote(value)}): invalid prefix`
      : undefined
  }
  return parseCidr(value) === undefined ? `bad IP address (${value})` : undefined
}

/** Istio's `security.ValidatePorts` for one value: a decimal in 0..65535. */
function checkPortText(port: string): string | undefined {
  if (/^\d+$/.test(port) && Number(port) <= 65535) return undefined
  return `bad port (${port}): strconv.ParseUint: parsing ${goQuote(port)}: invalid syntax`
}

/** Istio's `CheckValidPathTemplate` for one path (`{*}` one segment, `{**}` the rest, last). */
function checkPathTemplate(key: string, path: string): string | undefined {
  const hasTemplate = path.includes('{*}') || path.includes('{**}')
  let anyFound = false
  const trimmed = path.replace(/^\/+|\/+$/g, '')
  for (const glob of trimmed.split('/')) {
    if (glob === '{*}' && !anyFound) continue
    if (glob === '{**}' && !anyFound) {
      anyFound = true
      continue
    }
    if ((glob === '{**}' || glob === '{*}') && anyFound)
      return `invalid or unsupported path ${trimmed}, found in ${key}. {**} is not the last operator`
    if (/[{}]/.test(glob))
      return `invalid or unsupported path ${trimmed}, found in ${key}. Contains '{' or '}' beyond a supported path template`
    if (hasTemplate && !/^[a-zA-Z0-9-._~%!$&'()+,;:@=]+$/.test(glob))
      return `invalid or unsupported path ${trimmed}, found in ${key}. Contains segment ${glob} with invalid string literal`
  }
  return undefined
}

/** Istio's `security.ValidateAttribute`: is `key` a known attribute, and are its values valid? */
function checkAttribute(key: string, values: readonly string[]): string | undefined {
  if (values.includes('')) return `empty value not allowed, found in ${key}`
  const mapKey = () => {
    const open = key.indexOf('[')
    return key.endsWith(']') && open > 0 && open < key.length - 2
      ? undefined
      : `bad key (${key}): should have format a[b]`
  }
  const ips = () => {
    for (const v of values) {
      const problem = checkIpOrCidr(v)
      if (problem !== undefined) return problem
    }
    return undefined
  }
  if (key.startsWith('request.headers')) return mapKey()
  switch (key) {
    case 'source.ip':
    case 'remote.ip':
    case 'destination.ip':
      return ips()
    case 'source.namespace':
    case 'source.principal':
    case 'request.auth.principal':
    case 'request.auth.audiences':
    case 'request.auth.presenter':
    case 'connection.sni':
      return undefined
    case 'source.serviceAccount':
      return values.some((v) => v.includes('*')) ? `wildcard not allowed, found in ${key}` : undefined
    case 'source.trustDomain':
      return undefined
    case 'destination.port':
      for (const v of values) {
        const problem = checkPortText(v)
        if (problem !== undefined) return problem
      }
      return undefined
    case 'destination.namespace':
      return `attribute ${key} is replaced by the metadata.namespace`
    case 'destination.name':
    case 'destination.user':
      return `deprecated attribute ${key}: only supported in v1alpha1`
  }
  if (key.startsWith('request.auth.claims')) return mapKey()
  if (key.startsWith('experimental.envoy.filters.')) return mapKey()
  if (key.startsWith('destination.labels')) return `attribute ${key} is replaced by the workload selector`
  return `unknown attribute: ${key}`
}
