/**
 * Istio's shared validation primitives (`pkg/config/validation/agent/validation.go`,
 * `pkg/config/labels`, `pkg/config/protocol`, `pkg/config/visibility`,
 * `pkg/config/validation/validation.go`). Each `checkX` returns Istio's message for an invalid
 * value, or `undefined` when the value is valid. They never throw.
 */
import { regexEngine } from '../compile/regex-engine.js'
import { parseDuration } from '../model/duration.js'
import { isIpAddress } from '../model/names.js'

const DNS1123_LABEL_MAX = 63
const DNS1123_LABEL = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/
const WILDCARD_LABEL = /^(?:\*|(?:\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$/
const QUALIFIED_NAME = '(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'
const DNS_PREFIX = '[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)*/'
const TAG_KEY = new RegExp(`^(${DNS_PREFIX})?(${QUALIFIED_NAME})$`)
const LABEL_VALUE = new RegExp(`^(?:${QUALIFIED_NAME})?$`)
const K8S_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/
const K8S_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/
const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/
const HEADER_VALUE_FORBIDDEN = /[\u0000-\u0008\u000A-\u001F\u007F]/
const PSEUDO_HEADERS = new Set([':method', ':scheme', ':authority', ':path', ':status'])
const JWT_CLAIM_PREFIX = '@request.auth.claims'

/** Maximum regex length Istio accepts (`validateStringRegexp`), in bytes. */
export const MAX_REGEX_LENGTH = 1024

/** Istio's `labels.IsDNS1123Label`: `[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?`, at most 63 chars (upper case allowed). */
export function isDns1123Label(value: string): boolean {
  return value.length <= DNS1123_LABEL_MAX && DNS1123_LABEL.test(value)
}

/** Istio's `labels.IsWildcardDNS1123Label`: `*`, or a DNS-1123 label optionally led by `*` or `*-`. */
export function isWildcardDns1123Label(value: string): boolean {
  return value.length <= DNS1123_LABEL_MAX && WILDCARD_LABEL.test(value)
}

/**
 * A DNS-1123 label as Istio checks it (upper case allowed). The message is generic because each
 * caller of Istio's check words its own; use it where no caller text applies.
 */
export function checkDns1123Label(value: string): string | undefined {
  return isDns1123Label(value) ? undefined : `${JSON.stringify(value)} is not a valid DNS-1123 label`
}

/** Istio's `CheckDNS1123Preconditions`: non-empty and at most 255 characters. */
export function checkDomainPreconditions(name: string): string | undefined {
  if (name.length > 255) return `domain name ${goQuote(name)} too long (max 255)`
  if (name.length === 0) return 'empty domain name not allowed'
  return undefined
}

function checkDns1123Labels(domain: string): string | undefined {
  const parts = domain.split('.')
  const top = parts[parts.length - 1] ?? ''
  if (/^[+-]?\d+$/.test(top)) {
    return `domain name ${goQuote(domain)} invalid (top level domain ${goQuote(top)} cannot be all-numeric)`
  }
  for (let i = 0; i < parts.length; i++) {
    const label = parts[i] ?? ''
    if (i === parts.length - 1 && label === '') return undefined
    if (!isDns1123Label(label))
      return `domain name ${goQuote(domain)} invalid (label ${goQuote(label)} invalid)`
  }
  return undefined
}

/** Istio's `ValidateFQDN`: every label a DNS-1123 label, a trailing dot allowed, TLD not all digits. */
export function checkFqdn(name: string): string | undefined {
  return checkDomainPreconditions(name) ?? checkDns1123Labels(name)
}

/**
 * Istio's `ValidateWildcardDomain`: the first label may be a wildcard label (`*`, `*.a.com`,
 * `*foo.a.com`), the rest are FQDN labels. Short names (`reviews`) pass.
 */
export function checkWildcardDomain(name: string): string | undefined {
  const pre = checkDomainPreconditions(name)
  if (pre !== undefined) return pre
  const dot = name.indexOf('.')
  const first = dot < 0 ? name : name.slice(0, dot)
  if (!isWildcardDns1123Label(first))
    return `domain name ${goQuote(name)} invalid (label ${goQuote(first)} invalid)`
  return dot < 0 ? undefined : checkDns1123Labels(name.slice(dot + 1))
}

/** Istio's `ValidatePartialWildCard`: a `*` anywhere but as `*` alone or a leading `*.`. */
export function checkPartialWildcard(host: string): string | undefined {
  if (host.includes('*') && host.length !== 1 && !host.startsWith('*.')) {
    return `partial wildcard ${goQuote(host)} not allowed`
  }
  return undefined
}

/**
 * The DNS part of a Gateway server host (Istio's `validateSidecarOrGatewayHostnamePart` for
 * gateways): no short names, a wildcard domain or an IP address, no partial wildcard. Returns
 * every message, in Istio's order.
 */
export function checkGatewayHostname(hostname: string): string[] {
  const out: string[] = []
  if (hostname !== '*' && !hostname.includes('.')) out.push('short names (non FQDN) are not allowed')
  const wildcard = checkWildcardDomain(hostname)
  if (wildcard !== undefined && !isIpAddress(hostname)) out.push(wildcard)
  const partial = checkPartialWildcard(hostname)
  if (partial !== undefined) out.push(partial)
  return out
}

/**
 * A Gateway server host `[ns/]dnsName` (Istio's `ValidateNamespaceSlashWildcardHostname` for
 * gateways): the namespace part is `*`, `.` or a DNS-1123 label; the DNS part as
 * {@link checkGatewayHostname}. Returns every message; the single-message form is
 * {@link checkNamespaceSlashHost}.
 */
export function checkNamespaceSlashHostAll(host: string): string[] {
  const slash = host.indexOf('/')
  if (slash < 0) return checkGatewayHostname(host)
  const out: string[] = []
  const ns = host.slice(0, slash)
  const dns = host.slice(slash + 1)
  if (ns === '' || dns === '') out.push('config namespace and dnsName in host entry cannot be empty')
  if (ns !== '*' && ns !== '.' && !isDns1123Label(ns))
    out.push(`invalid namespace value ${goQuote(ns)} in gateway`)
  out.push(...checkGatewayHostname(dns))
  return out
}

/** The first message of {@link checkNamespaceSlashHostAll}, or `undefined` when the host is valid. */
export function checkNamespaceSlashHost(host: string): string | undefined {
  return checkNamespaceSlashHostAll(host)[0]
}

/** Istio's `ValidatePort`: 1..65535. */
export function checkPort(port: number): string | undefined {
  if (Number.isInteger(port) && port >= 1 && port <= 65535) return undefined
  return `port number ${port} must be in the range 1..65535`
}

/** The protocols Istio's `protocol.Parse` knows (case-insensitive), lowercased. */
const PROTOCOLS = new Set([
  'tcp',
  'udp',
  'grpc',
  'grpc-web',
  'http',
  'http_proxy',
  'http2',
  'https',
  'tls',
  'mongo',
  'redis',
  'mysql',
])

/** Istio's protocol names, upper case, as `protocol.Parse` normalises them. */
export type Protocol =
  | 'TCP'
  | 'UDP'
  | 'GRPC'
  | 'GRPC-WEB'
  | 'HTTP'
  | 'HTTP_PROXY'
  | 'HTTP2'
  | 'HTTPS'
  | 'TLS'
  | 'Mongo'
  | 'Redis'
  | 'MySQL'

/** Istio's `protocol.Parse`: the protocol named by `text` (any case), or `undefined` when unsupported. */
export function parseProtocol(text: string | undefined): Protocol | undefined {
  if (text === undefined) return undefined
  const lower = text.toLowerCase()
  if (!PROTOCOLS.has(lower)) return undefined
  switch (lower) {
    case 'mongo':
      return 'Mongo'
    case 'redis':
      return 'Redis'
    case 'mysql':
      return 'MySQL'
    default:
      return lower.toUpperCase() as Protocol
  }
}

/** `IsHTTP`: HTTP, HTTP2, HTTP_PROXY, GRPC, GRPC-WEB. */
export function isHttpProtocol(p: Protocol | undefined): boolean {
  return p === 'HTTP' || p === 'HTTP2' || p === 'HTTP_PROXY' || p === 'GRPC' || p === 'GRPC-WEB'
}

/** `IsTLS`: HTTPS, TLS. */
export function isTlsProtocol(p: Protocol | undefined): boolean {
  return p === 'HTTPS' || p === 'TLS'
}

/**
 * A port protocol. `context: 'gateway'` (the default) refuses empty and unknown names with
 * `validateServerPort`'s text; `'serviceEntry'` allows empty (sniffing) and uses `ValidateProtocol`'s.
 */
export function checkProtocol(
  text: string | undefined,
  context: 'gateway' | 'serviceEntry' = 'gateway',
): string | undefined {
  if (context === 'serviceEntry') {
    if (text === undefined || text === '' || parseProtocol(text) !== undefined) return undefined
    return `unsupported protocol: ${text}`
  }
  if (parseProtocol(text) !== undefined) return undefined
  return `invalid protocol ${goQuote(text ?? '')}, supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP`
}

/** Istio's `ValidatePortName`: a DNS-1123 label. */
export function checkPortName(name: string): string | undefined {
  return isDns1123Label(name) ? undefined : `invalid port name: ${name}`
}

/** Options of {@link checkDuration}. */
export interface DurationCheckOptions {
  /** Accept exactly zero (`0s`), as Istio does for a TCP `idleTimeout` (= disabled). */
  readonly allowZero?: boolean
}

/**
 * A duration field: Go `time.ParseDuration` syntax, then Istio's `ValidateDuration` (≥ 1ms and a
 * whole number of milliseconds). `0s`, `1.5ms`, `1500us` and `10` fail; `1ms`, `1h30m` pass.
 */
export function checkDuration(text: string, options: DurationCheckOptions = {}): string | undefined {
  const ms = parseDuration(text)
  if (ms === undefined) return `time: invalid duration ${goQuote(text)}`
  if (options.allowZero === true && ms === 0) return undefined
  if (ms < 1) return 'duration must be greater than 1ms'
  // Go works in whole nanoseconds; round away float noise before the whole-millisecond test.
  const nanos = Math.round(ms * 1e6)
  if (nanos % 1e6 !== 0) return 'only durations to ms precision are supported'
  return undefined
}

/** Istio's `ValidatePercent` (integer percents): 0..100. */
export function checkPercent(value: number): string | undefined {
  if (value >= 0 && value <= 100) return undefined
  return `percentage ${goFloat(value)} is not in range 0..100`
}

/** Istio's `validatePercentage` (a `Percent` message's double): 0, or within [0.0001, 100]. */
export function checkPercentage(value: number): string | undefined {
  if (value < 0 || value > 100 || (value > 0 && value < 0.0001) || Number.isNaN(value)) {
    return `percentage ${goFloat(value)} is neither 0.0, nor in range [0.0001, 100.0]`
  }
  return undefined
}

/**
 * Istio's `validateStringRegexp`: at most 1024 bytes and a valid RE2 (Go `regexp`) pattern, checked
 * with re2js so the verdicts are Go's (`(?i)`, `(?P<n>)`, `\Q..\E` pass; lookaround, backrefs,
 * `a{1001}` fail). `where` names the field in the message (`uri`, `headers`, ...).
 */
export function checkRegex(pattern: string, where: string): string | undefined {
  if (Buffer.byteLength(pattern, 'utf8') > MAX_REGEX_LENGTH) {
    return `${goQuote(where)}: regex is too large, max length allowed is ${MAX_REGEX_LENGTH}`
  }
  const engine = regexEngine()
  try {
    engine.compile(pattern)
    return undefined
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    return `${goQuote(where)}: ${detail}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)`
  }
}

/**
 * A header name in a match (Istio's `ValidateHTTPHeaderNameOrJwtClaimRoute`): an RFC 7230 token,
 * a pseudo-header (`:method`, `:scheme`, `:authority`, `:path`, `:status`), or a JWT claim
 * `@request.auth.claims.x` / `@request.auth.claims[x]`. Upper case is fine.
 */
export function checkHeaderName(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty'
  if (isJwtClaimHeader(name)) return undefined
  if (PSEUDO_HEADERS.has(name)) return undefined
  if (!HEADER_TOKEN.test(name)) return `header name ${name} is not a valid header name`
  return undefined
}

/** True when `name` is Istio's JWT claim routing form (`@request.auth.claims.x` or `...[x]`). */
export function isJwtClaimHeader(name: string): boolean {
  if (!name.toLowerCase().startsWith(JWT_CLAIM_PREFIX)) return false
  const rest = name.slice(JWT_CLAIM_PREFIX.length)
  if (rest.startsWith('.') && rest.length > 1) return true
  return rest.startsWith('[') && rest.endsWith(']') && rest.length > 2
}

/** Istio's `ValidateCORSHTTPHeaderName`: `*` or an RFC 7230 token. */
export function checkCorsHeaderName(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty'
  if (name === '*' || HEADER_TOKEN.test(name)) return undefined
  return `header name ${name} is not a valid header name`
}

/**
 * A header name in a header operation. `'requestSet'` (request `set`/`add`, Istio's
 * `ValidateHTTPHeaderWithAuthorityOperationName`) allows `host` and `:authority`;
 * `'other'` (request `remove`, any response operation, `ValidateHTTPHeaderOperationName`)
 * refuses `host` and every `:` name.
 */
export function checkHeaderOperationName(name: string, kind: 'requestSet' | 'other'): string | undefined {
  if (name === '') return 'header name cannot be empty'
  const lower = name.toLowerCase()
  if (kind === 'requestSet') {
    if (name.startsWith(':') && lower !== ':authority') {
      return `invalid header ${goQuote(name)}: header cannot have ":" prefix`
    }
    return undefined
  }
  if (lower === 'host') return `invalid header ${goQuote(name)}: cannot set Host header`
  if (name.startsWith(':')) return `invalid header ${goQuote(name)}: header cannot have ":" prefix`
  return undefined
}

/**
 * A header value to add or set (Istio's `ValidateHTTPHeaderValue`): no control characters except
 * TAB, and every `%` either doubled (`%%`) or opening an Envoy `%VAR%` / `%VAR(...)%` expression
 * that is closed.
 */
export function checkHeaderValue(value: string): string | undefined {
  if (HEADER_VALUE_FORBIDDEN.test(value)) return `header value configuration ${value} is invalid`
  const err = checkHeaderFormatter(value)
  return err === undefined ? undefined : `header value configuration: ${err}`
}

enum FormatterState {
  Literal,
  VariableName,
  ExpectArray,
  ExpectString,
  String,
  ExpectDelimiterOrEnd,
  ExpectArgsEnd,
  ExpectVariableEnd,
}

function checkHeaderFormatter(value: string): string | undefined {
  let state = FormatterState.Literal
  for (let pos = 0; pos < value.length; pos++) {
    const ch = value[pos]
    const hasNext = pos + 1 < value.length
    switch (state) {
      case FormatterState.Literal:
        if (ch !== '%') break
        if (!hasNext) return 'invalid header configuration. Un-escaped %'
        if (value[pos + 1] === '%') {
          pos++
          break
        }
        state = FormatterState.VariableName
        break
      case FormatterState.VariableName:
        if (ch === '%') state = FormatterState.Literal
        else if (ch === '(') state = FormatterState.ExpectArray
        break
      case FormatterState.ExpectArray:
        if (ch === '[') state = FormatterState.ExpectString
        else if (ch !== ' ') state = FormatterState.String
        break
      case FormatterState.ExpectDelimiterOrEnd:
        if (ch === ',') state = FormatterState.ExpectString
        else if (ch === ']') state = FormatterState.ExpectArgsEnd
        else if (ch !== ' ') return "invalid header configuration. Expecting ',', ']', or whitespace"
        break
      case FormatterState.ExpectString:
        if (ch === '"') state = FormatterState.String
        else if (ch !== ' ') return `invalid header configuration. Expecting '"'`
        break
      case FormatterState.String:
        if (ch === '\\') {
          if (!hasNext) return 'invalid header configuration. Un-terminated backslash in JSON string'
          pos++
        } else if (ch === ')') state = FormatterState.ExpectVariableEnd
        else if (ch === '"') state = FormatterState.ExpectDelimiterOrEnd
        break
      case FormatterState.ExpectArgsEnd:
        if (ch === ')') state = FormatterState.ExpectVariableEnd
        else if (ch !== ' ') {
          return "invalid header configuration. Expecting ')' or whitespace after '{}', but found '{}'"
        }
        break
      case FormatterState.ExpectVariableEnd:
        if (ch === '%') state = FormatterState.Literal
        else if (ch !== ' ') return "invalid header configuration. Expecting '%' or whitespace after"
        break
    }
  }
  if (state !== FormatterState.Literal) {
    return `invalid header configuration. Un-terminated variable expression '${value}'`
  }
  return undefined
}

/** Istio's `ValidateIPAddress` (Go `netip.ParseAddr`). */
export function checkIpAddress(text: string): string | undefined {
  return isIpAddress(text) ? undefined : `${text} is not a valid IP`
}

/**
 * Istio's `ValidateIPSubnet`: with one `/`, a CIDR prefix (Go `netip.ParsePrefix`: the bits within
 * the address family); otherwise an IP address.
 */
export function checkCidr(text: string): string | undefined {
  const parts = text.split('/')
  if (parts.length !== 2) return checkIpAddress(text)
  const [addr = '', bits = ''] = parts
  const max = addr.includes(':') ? 128 : 32
  if (!isIpAddress(addr) || !/^(?:0|[1-9]\d{0,2})$/.test(bits) || Number(bits) > max) {
    return `${text} is not a valid CIDR block`
  }
  return undefined
}

/**
 * A label map (Istio's `labels.Instance.Validate`): each key an optional DNS-subdomain prefix and
 * `/`, then a qualified name of at most 63 characters; each value empty or a qualified name.
 * Returns every message (keys in map order).
 */
export function checkLabelsAll(labels: Readonly<Record<string, string>>): string[] {
  const out: string[] = []
  for (const [key, value] of Object.entries(labels)) {
    const keyErr = checkLabelKey(key)
    if (keyErr !== undefined) out.push(keyErr)
    if (typeof value !== 'string' || !LABEL_VALUE.test(value) || value.length > DNS1123_LABEL_MAX) {
      out.push(`invalid tag value: ${goQuote(String(value))}`)
    }
  }
  return out
}

/** The first message of {@link checkLabelsAll}, or `undefined` when every label is valid. */
export function checkLabels(labels: Readonly<Record<string, string>>): string | undefined {
  return checkLabelsAll(labels)[0]
}

function checkLabelKey(key: string): string | undefined {
  const match = TAG_KEY.exec(key)
  if (match === null) return `invalid tag key: ${goQuote(key)}`
  const prefix = match[1] ?? ''
  if (prefix.length > 0 && prefix.length - 1 > 253)
    return `invalid tag key: ${goQuote(key)} (DNS prefix is too long)`
  if ((match[2] ?? '').length > DNS1123_LABEL_MAX)
    return `invalid tag key: ${goQuote(key)} (name is too long)`
  return undefined
}

/** Istio's `validateSubsetName`: required, a DNS-1123 label (`v1`, not `v1.0`). */
export function checkSubsetName(name: string): string | undefined {
  if (name.length === 0) return 'subset name cannot be empty'
  if (!isDns1123Label(name)) return `subset name is invalid: ${name}`
  return undefined
}

/**
 * Istio's `validateExportTo`: entries `.`, `*` or a DNS-1123 label (`~` only for ServiceEntry), no
 * duplicates (`.` equals the own namespace), `*` and `~` alone; with a workload selector
 * (DestinationRule) only the own namespace. Returns every message.
 */
export function checkExportTo(
  namespace: string,
  exportTo: readonly string[],
  options: { serviceEntry?: boolean; workloadSelector?: boolean } = {},
): string[] {
  const out: string[] = []
  if (exportTo.length === 0) return out
  const set = new Set<string>()
  for (const entry of exportTo) {
    const key = entry === '.' ? namespace : entry
    if (set.has(key)) {
      out.push(
        key !== entry
          ? `duplicate entries in exportTo: . and current namespace ${namespace}`
          : `duplicate entries in exportTo for entry ${entry}`,
      )
      continue
    }
    if (options.serviceEntry === true && entry === '~') {
      set.add(key)
      continue
    }
    const err = checkVisibility(key)
    if (err !== undefined) out.push(err)
    else set.add(key)
  }
  if (options.workloadSelector === true && set.size > 0) {
    if (set.has(namespace)) {
      if (set.size > 1)
        out.push('destination rule with workload selector cannot have multiple entries in exportTo')
    } else {
      out.push('destination rule with workload selector cannot have exportTo beyond current namespace')
    }
  }
  if (set.has('*') && exportTo.length > 1) {
    out.push('cannot have both public (*) and non-public exportTo values for a resource')
  }
  if (set.has('~') && exportTo.length > 1) out.push('cannot export service entry to no one (~) and someone')
  return out
}

function checkVisibility(value: string): string | undefined {
  if (value === '.' || value === '*') return undefined
  if (value === '~') return 'exportTo ~ (none) is not allowed for Istio configuration objects'
  if (!isDns1123Label(value)) return 'only .,*, or a valid DNS 1123 label is allowed as exportTo entry'
  return undefined
}

/**
 * A Kubernetes object name (`metadata.name` of every kind here): a lowercase RFC 1123 subdomain,
 * at most 253 characters, with Kubernetes' message.
 */
export function checkKubernetesName(name: string): string | undefined {
  if (name.length > 253) return 'must be no more than 253 characters'
  if (!K8S_SUBDOMAIN.test(name)) {
    return `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`
  }
  return undefined
}

/** A Kubernetes namespace: a lowercase RFC 1123 label, at most 63 characters, with Kubernetes' message. */
export function checkKubernetesNamespace(namespace: string): string | undefined {
  if (namespace.length > 63) return 'must be no more than 63 characters'
  if (!K8S_LABEL.test(namespace)) {
    return `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`
  }
  return undefined
}

/** Go's `%q` for the strings these messages quote (JSON escaping agrees for printable text). */
export function goQuote(text: string): string {
  return JSON.stringify(text)
}

/** Go's `%v` for a float64: shortest form, exponent below 1e-4 or from 1e21, two-digit exponent. */
export function goFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf'
  const abs = Math.abs(value)
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    const [mantissa, exp = '0'] = value.toExponential().split('e')
    const sign = exp.startsWith('-') ? '-' : '+'
    const digits = exp.replace(/^[+-]/, '').padStart(2, '0')
    return `${mantissa}e${sign}${digits}`
  }
  return String(value)
}
