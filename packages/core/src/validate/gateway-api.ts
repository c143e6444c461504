import { compileRegex } from '../compile/regex.js'
import type { Diagnostic } from '../diagnostics/diagnostic.js'
import { parseDuration } from '../model/duration.js'
import type {
  GatewayApiResource,
  HTTPRouteFilter,
  HTTPRouteRule,
  KubernetesResource,
  L4RouteRule,
} from '../resources/index.js'
import { Report } from './report.js'

/** Diagnostic codes of the Gateway API's admission rules (its CRDs' CEL rules), PTC2600–2699. */
export const GATEWAY_API_CODES = {
  /** A Gateway listener rule: names unique, port/protocol/hostname unique, TLS settings per protocol. */
  listener: 'PTC2600',
  /** An HTTPRoute/GRPCRoute path, header or query match the CRD refuses. */
  match: 'PTC2601',
  /** An HTTPRoute filter the CRD refuses (type-specific field, repeated filter, redirect with rewrite). */
  filter: 'PTC2602',
  /** A regular expression that RE2 does not accept. */
  regex: 'PTC2603',
  /** A timeout rule: `backendRequest` longer than `request`. */
  timeouts: 'PTC2604',
  /** A route's `parentRefs` rule: sectionName (or port) must be given and unique for the same parent. */
  parentRefs: 'PTC2605',
  /**
   * A TLSRoute/TCPRoute rule: a Service backendRef needs a port; rule names unique; what the
   * route's v1 (and TLSRoute's v1alpha3) narrows: hostnames required and no IP, one rule.
   */
  l4Route: 'PTC2606',
  /**
   * The same code for the same CRD rule in every route kind: a backendRef (or a RequestMirror's
   * backendRef) to a Service, kind `Service` or unset in the core group, must have a port.
   */
  servicePort: 'PTC2606',
} as const

const RE_PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/

/** True for the kinds of the Gateway API group and the Kubernetes discovery kinds. */
export function isGatewayApiOrKubernetes(resource: { kind: string; apiVersion: string }): boolean {
  return (
    resource.apiVersion.startsWith('gateway.networking.k8s.io/') ||
    resource.kind === 'Service' ||
    resource.kind === 'EndpointSlice' ||
    resource.kind === 'Endpoints' ||
    resource.kind === 'Namespace'
  )
}

/**
 * The Gateway API CRDs' validation rules (CEL `x-kubernetes-validations` that the schema alone does
 * not express), each reported at the field it concerns, with the CRD's own message.
 */
export function validateGatewayApiResource(resource: GatewayApiResource | KubernetesResource): Diagnostic[] {
  const report = new Report(resource)
  switch (resource.kind) {
    case 'Gateway':
      if ('gatewayClassName' in resource.spec) validateListeners(resource.spec.listeners, report)
      break
    case 'HTTPRoute':
      validateParentRefs(resource.spec.parentRefs ?? [], report)
      ;(resource.spec.rules ?? []).forEach((rule, i) => {
        validateHttpRule(rule, i, report)
      })
      validateRuleNames(resource.spec.rules ?? [], report)
      break
    case 'TLSRoute':
    case 'TCPRoute':
      validateParentRefs(resource.spec.parentRefs ?? [], report)
      validateL4Route(resource, report)
      break
    case 'GRPCRoute':
      validateParentRefs(resource.spec.parentRefs ?? [], report)
      ;(resource.spec.rules ?? []).forEach((rule, i) => {
        ;(rule.matches ?? []).forEach((m, j) => {
          const method = m.method
          if (method !== undefined && method.service === undefined && method.method === undefined) {
            report.error(GATEWAY_API_CODES.match, 'One or both of `service` or `method` must be specified', [
              'spec',
              'rules',
              i,
              'matches',
              j,
              'method',
            ])
          }
          if (method?.type === 'RegularExpression') {
            for (const key of ['service', 'method'] as const) {
              const value = method[key]
              if (value !== undefined)
                checkRegex(value, report, ['spec', 'rules', i, 'matches', j, 'method', key])
            }
          }
          checkKeyed(m.headers ?? [], report, ['spec', 'rules', i, 'matches', j, 'headers'], 'header')
        })
        ;(rule.filters ?? []).forEach((f, k) => {
          checkFilterField(f, report, ['spec', 'rules', i, 'filters', k])
        })
        ;(rule.backendRefs ?? []).forEach((b, k) => {
          const bAt: Path = ['spec', 'rules', i, 'backendRefs', k]
          checkServicePort(b, report, bAt)
          ;(b.filters ?? []).forEach((f, m) => {
            checkFilterField(f, report, [...bAt, 'filters', m])
          })
        })
      })
      break
    default:
      break
  }
  return report.diagnostics
}

type Path = (string | number)[]

function validateListeners(
  listeners: readonly {
    name: string
    hostname?: string | undefined
    port: number
    protocol: string
    tls?:
      | {
          mode?: string | undefined
          certificateRefs?: readonly unknown[] | undefined
          options?: Record<string, string> | undefined
        }
      | undefined
  }[],
  report: Report,
): void {
  const names = new Map<string, number>()
  const combos = new Map<string, number>()
  listeners.forEach((l, i) => {
    const at: Path = ['spec', 'listeners', i]
    const first = names.get(l.name)
    if (first !== undefined) {
      report.error(
        GATEWAY_API_CODES.listener,
        `Listener name must be unique within the Gateway (listeners[${first}] is also named ${l.name})`,
        [...at, 'name'],
      )
    } else names.set(l.name, i)
    const combo = `${l.port}|${l.protocol}|${l.hostname ?? ''}`
    const firstCombo = combos.get(combo)
    if (firstCombo !== undefined) {
      report.error(
        GATEWAY_API_CODES.listener,
        `Combination of port, protocol and hostname must be unique for each listener (same as listeners[${firstCombo}])`,
        at,
      )
    } else combos.set(combo, i)
    if ((l.protocol === 'HTTP' || l.protocol === 'TCP' || l.protocol === 'UDP') && l.tls !== undefined) {
      report.error(
        GATEWAY_API_CODES.listener,
        "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",
        [...at, 'tls'],
      )
    }
    if (l.protocol === 'HTTPS' && l.tls?.mode !== undefined && l.tls.mode !== 'Terminate') {
      report.error(GATEWAY_API_CODES.listener, 'tls mode must be Terminate for protocol HTTPS', [
        ...at,
        'tls',
        'mode',
      ])
    }
    if (l.protocol === 'TLS' && l.tls?.mode === undefined) {
      report.error(
        GATEWAY_API_CODES.listener,
        'tls mode must be set for protocol TLS',
        l.tls === undefined ? at : [...at, 'tls'],
      )
    }
    if ((l.protocol === 'TCP' || l.protocol === 'UDP') && l.hostname !== undefined && l.hostname !== '') {
      report.error(
        GATEWAY_API_CODES.listener,
        "hostname must not be specified for protocols ['TCP', 'UDP']",
        [...at, 'hostname'],
      )
    }
    const mode = l.tls?.mode ?? (l.tls === undefined ? undefined : 'Terminate')
    if (
      l.tls !== undefined &&
      mode === 'Terminate' &&
      (l.tls.certificateRefs ?? []).length === 0 &&
      Object.keys(l.tls.options ?? {}).length === 0
    ) {
      report.error(
        GATEWAY_API_CODES.listener,
        'certificateRefs or options must be specified when mode is Terminate',
        [...at, 'tls'],
      )
    }
  })
}

function validateParentRefs(
  refs: readonly {
    group?: string | undefined
    kind?: string | undefined
    namespace?: string | undefined
    name: string
    sectionName?: string | undefined
    port?: number | undefined
  }[],
  report: Report,
): void {
  const byParent = new Map<string, { index: number; section: string; port: number }[]>()
  refs.forEach((r, index) => {
    const key = `${r.group ?? 'gateway.networking.k8s.io'}|${r.kind ?? 'Gateway'}|${r.namespace ?? ''}|${r.name}`
    const list = byParent.get(key) ?? []
    const entry = { index, section: r.sectionName ?? '', port: r.port ?? 0 }
    const clash = list.find((e) => e.section === entry.section && e.port === entry.port)
    if (clash !== undefined) {
      report.error(
        GATEWAY_API_CODES.parentRefs,
        'sectionName or port must be unique when parentRefs includes 2 or more references to the same parent',
        ['spec', 'parentRefs', index],
      )
    } else if (
      list.some((e) => (e.section === '') !== (entry.section === '') || (e.port === 0) !== (entry.port === 0))
    ) {
      report.error(
        GATEWAY_API_CODES.parentRefs,
        'sectionName or port must be specified when parentRefs includes 2 or more references to the same parent',
        ['spec', 'parentRefs', index],
      )
    }
    list.push(entry)
    byParent.set(key, list)
  })
}

function validateRuleNames(rules: readonly HTTPRouteRule[], report: Report): void {
  const seen = new Set<string>()
  rules.forEach((rule, i) => {
    if (rule.name === undefined) return
    if (seen.has(rule.name))
      report.error(GATEWAY_API_CODES.filter, 'Rule name must be unique within the route', [
        'spec',
        'rules',
        i,
        'name',
      ])
    seen.add(rule.name)
  })
  const total = rules.reduce((n, r) => n + (r.matches?.length ?? 0), 0)
  if (total > 128) {
    report.error(
      GATEWAY_API_CODES.match,
      'While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128',
      ['spec', 'rules'],
    )
  }
}

function checkRegex(pattern: string, report: Report, path: Path): void {
  const c = compileRegex(pattern)
  if (!c.ok)
    report.error(
      GATEWAY_API_CODES.regex,
      `invalid regular expression ${JSON.stringify(pattern)}: ${c.error}`,
      path,
    )
}

function checkKeyed(
  entries: readonly { type?: string | undefined; name: string; value: string }[],
  report: Report,
  at: Path,
  what: 'header' | 'query',
): void {
  const seen = new Set<string>()
  entries.forEach((e, k) => {
    const name = what === 'header' ? e.name.toLowerCase() : e.name
    if (seen.has(name)) {
      report.error(
        GATEWAY_API_CODES.match,
        `${what === 'header' ? 'header' : 'query parameter'} name ${e.name} must be unique within a match`,
        [...at, k, 'name'],
      )
    }
    seen.add(name)
    if (e.type === 'RegularExpression') checkRegex(e.value, report, [...at, k, 'value'])
  })
}

const FILTER_FIELD: Readonly<Record<string, keyof HTTPRouteFilter>> = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestMirror: 'requestMirror',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  ExtensionRef: 'extensionRef',
  CORS: 'cors',
}

function checkFilterField(
  filter: Partial<HTTPRouteFilter> & { type: string },
  report: Report,
  at: Path,
): void {
  for (const [type, field] of Object.entries(FILTER_FIELD)) {
    const has = (filter as Record<string, unknown>)[field] !== undefined
    if (has && filter.type !== type)
      report.error(
        GATEWAY_API_CODES.filter,
        `filter.${field} must be nil if the filter.type is not ${type}`,
        [...at, field],
      )
    if (!has && filter.type === type)
      report.error(GATEWAY_API_CODES.filter, `filter.${field} must be specified for ${type} filter.type`, [
        ...at,
        'type',
      ])
  }
  const mirror = filter.requestMirror
  if (mirror !== undefined)
    checkServicePort(mirror.backendRef, report, [...at, 'requestMirror', 'backendRef'])
  if (mirror?.percent !== undefined && mirror.fraction !== undefined) {
    report.error(
      GATEWAY_API_CODES.filter,
      'Only one of percent or fraction may be specified in HTTPRequestMirrorFilter',
      [...at, 'requestMirror'],
    )
  }
  if (mirror?.fraction !== undefined && mirror.fraction.numerator > (mirror.fraction.denominator ?? 100)) {
    report.error(GATEWAY_API_CODES.filter, 'numerator must be less than or equal to denominator', [
      ...at,
      'requestMirror',
      'fraction',
    ])
  }
  for (const key of ['requestRedirect', 'urlRewrite'] as const) {
    const p = filter[key]?.path
    if (p === undefined) continue
    const pAt = [...at, key, 'path']
    if (p.type === 'ReplaceFullPath' && p.replaceFullPath === undefined)
      report.error(
        GATEWAY_API_CODES.filter,
        "replaceFullPath must be specified when type is set to 'ReplaceFullPath'",
        pAt,
      )
    if (p.replaceFullPath !== undefined && p.type !== 'ReplaceFullPath')
      report.error(GATEWAY_API_CODES.filter, "type must be 'ReplaceFullPath' when replaceFullPath is set", [
        ...pAt,
        'type',
      ])
    if (p.type === 'ReplacePrefixMatch' && p.replacePrefixMatch === undefined)
      report.error(
        GATEWAY_API_CODES.filter,
        "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'",
        pAt,
      )
    if (p.replacePrefixMatch !== undefined && p.type !== 'ReplacePrefixMatch')
      report.error(
        GATEWAY_API_CODES.filter,
        "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set",
        [...pAt, 'type'],
      )
  }
  for (const list of ['allowOrigins', 'allowMethods', 'allowHeaders'] as const) {
    const values = filter.cors?.[list]
    if (values?.includes('*') && values.length > 1) {
      report.error(
        GATEWAY_API_CODES.filter,
        `${list[0]?.toUpperCase()}${list.slice(1)} cannot contain '*' alongside other ${list === 'allowOrigins' ? 'origins' : 'methods'}`,
        [...at, 'cors', list],
      )
    }
  }
}

/** The CRD rule of every backend reference: one to a Service (core group, kind unset or `Service`) has a port. */
function checkServicePort(
  ref: { group?: string | undefined; kind?: string | undefined; port?: number | undefined },
  report: Report,
  at: Path,
): void {
  if ((ref.group ?? '') === '' && (ref.kind ?? 'Service') === 'Service' && ref.port === undefined)
    report.error(GATEWAY_API_CODES.servicePort, 'Must have port for Service reference', at)
}

function checkFilterList(filters: readonly HTTPRouteFilter[], report: Report, at: Path): void {
  const counts = new Map<string, number>()
  filters.forEach((f, k) => {
    checkFilterField(f, report, [...at, k])
    const n = (counts.get(f.type) ?? 0) + 1
    counts.set(f.type, n)
    if (n === 2 && f.type !== 'RequestMirror' && f.type !== 'ExtensionRef') {
      report.error(GATEWAY_API_CODES.filter, `${f.type} filter cannot be repeated`, [...at, k])
    }
  })
  if (counts.has('RequestRedirect') && counts.has('URLRewrite')) {
    report.error(
      GATEWAY_API_CODES.filter,
      'May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both',
      at,
    )
  }
}

function validateHttpRule(rule: HTTPRouteRule, i: number, report: Report): void {
  const at: Path = ['spec', 'rules', i]
  ;(rule.matches ?? []).forEach((m, j) => {
    const mAt: Path = [...at, 'matches', j]
    const p = m.path
    if (p !== undefined) {
      const type = p.type ?? 'PathPrefix'
      const value = p.value ?? '/'
      const vAt: Path = [...mAt, 'path', 'value']
      if (type === 'RegularExpression') checkRegex(value, report, vAt)
      else {
        const problems: string[] = []
        if (!value.startsWith('/'))
          problems.push(
            "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']",
          )
        for (const bad of ['//', '/./', '/../', '%2f', '%2F', '#']) {
          if (value.includes(bad))
            problems.push(`must not contain '${bad}' when type one of ['Exact', 'PathPrefix']`)
        }
        for (const bad of ['/..', '/.']) {
          if (value.endsWith(bad))
            problems.push(`must not end with '${bad}' when type one of ['Exact', 'PathPrefix']`)
        }
        if (!RE_PATH_CHARS.test(value)) {
          problems.push(
            `must only contain valid characters (matching ${RE_PATH_CHARS.source}) for types ['Exact', 'PathPrefix']`,
          )
        }
        for (const problem of problems) report.error(GATEWAY_API_CODES.match, problem, vAt)
      }
    }
    checkKeyed(m.headers ?? [], report, [...mAt, 'headers'], 'header')
    checkKeyed(m.queryParams ?? [], report, [...mAt, 'queryParams'], 'query')
  })
  const filters = rule.filters ?? []
  checkFilterList(filters, report, [...at, 'filters'])
  const backendRefs = rule.backendRefs ?? []
  if (backendRefs.length > 0 && filters.some((f) => f.requestRedirect !== undefined)) {
    report.error(
      GATEWAY_API_CODES.filter,
      'RequestRedirect filter must not be used together with backendRefs',
      [...at, 'filters'],
    )
  }
  const onePrefix = () => {
    const ms = rule.matches ?? []
    return ms.length === 1 && ms[0]?.path !== undefined && (ms[0].path.type ?? 'PathPrefix') === 'PathPrefix'
  }
  const prefixReplace = (fs: readonly HTTPRouteFilter[], key: 'requestRedirect' | 'urlRewrite') =>
    fs.some(
      (f) => f[key]?.path?.type === 'ReplacePrefixMatch' && f[key]?.path?.replacePrefixMatch !== undefined,
    )
  for (const [key, name] of [
    ['requestRedirect', 'RequestRedirect'],
    ['urlRewrite', 'URLRewrite'],
  ] as const) {
    if (prefixReplace(filters, key) && !onePrefix()) {
      report.error(
        GATEWAY_API_CODES.filter,
        `When using ${name} filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified`,
        [...at, 'matches'],
      )
    }
    if (backendRefs.some((b) => prefixReplace(b.filters ?? [], key)) && !onePrefix()) {
      report.error(
        GATEWAY_API_CODES.filter,
        `Within backendRefs, when using ${name} filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified`,
        [...at, 'matches'],
      )
    }
  }
  backendRefs.forEach((b, k) => {
    checkServicePort(b, report, [...at, 'backendRefs', k])
    checkFilterList(b.filters ?? [], report, [...at, 'backendRefs', k, 'filters'])
  })
  const request = rule.timeouts?.request
  const backend = rule.timeouts?.backendRequest
  if (request !== undefined && backend !== undefined) {
    const r = parseDuration(request) ?? 0
    const b = parseDuration(backend) ?? 0
    if (r !== 0 && b > r) {
      report.error(
        GATEWAY_API_CODES.timeouts,
        'backendRequest timeout cannot be longer than request timeout',
        [...at, 'timeouts', 'backendRequest'],
      )
    }
  }
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/**
 * A TLSRoute's or TCPRoute's CRD rules: every Service backendRef has a port, rule names are
 * unique, and the narrower versions (TLSRoute v1alpha3 and v1, TCPRoute v1) take one rule and a
 * TLSRoute there names at least one hostname, none of them an IP address.
 */
function validateL4Route(
  resource: {
    kind: 'TLSRoute' | 'TCPRoute'
    apiVersion: string
    spec: { rules: readonly L4RouteRule[]; hostnames?: readonly string[] | undefined }
  },
  report: Report,
): void {
  const rules = resource.spec.rules
  const seen = new Set<string>()
  rules.forEach((rule, i) => {
    if (rule.name !== undefined) {
      if (seen.has(rule.name))
        report.error(GATEWAY_API_CODES.l4Route, 'Rule name must be unique within the route', [
          'spec',
          'rules',
          i,
          'name',
        ])
      seen.add(rule.name)
    }
    rule.backendRefs.forEach((b, k) => {
      checkServicePort(b, report, ['spec', 'rules', i, 'backendRefs', k])
    })
  })
  const version = resource.apiVersion.slice(resource.apiVersion.indexOf('/') + 1)
  const narrow = version === 'v1' || (resource.kind === 'TLSRoute' && version === 'v1alpha3')
  if (!narrow) return
  if (rules.length > 1)
    report.error(
      GATEWAY_API_CODES.l4Route,
      `${resource.kind} ${version} takes one rule (should have at most 1 items)`,
      ['spec', 'rules'],
    )
  if (resource.kind !== 'TLSRoute') return
  const hostnames = resource.spec.hostnames ?? []
  if (hostnames.length === 0)
    report.error(
      GATEWAY_API_CODES.l4Route,
      `TLSRoute ${version} requires hostnames (should have at least 1 items)`,
      resource.spec.hostnames === undefined ? ['spec'] : ['spec', 'hostnames'],
    )
  hostnames.forEach((h, i) => {
    if (IPV4.test(h))
      report.error(GATEWAY_API_CODES.l4Route, 'Hostnames cannot contain an IP', ['spec', 'hostnames', i])
  })
}
