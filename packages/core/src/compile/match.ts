import { type CompiledRegex, compileRegex } from './regex.js'
import type { RequestView } from './types.js'

/** The shape of an Istio `StringMatch` (a oneof of `exact`, `prefix`, `regex`; `{}` = presence). */
export interface StringMatchInput {
  readonly exact?: string | undefined
  readonly prefix?: string | undefined
  readonly regex?: string | undefined
}

/** A `StringMatch` compiled once. */
export interface StringMatcher {
  readonly kind: 'exact' | 'prefix' | 'regex' | 'present'
  /** The literal (exact/prefix) or pattern (regex); `''` for presence. */
  readonly value: string
  /** ASCII case-insensitive (only `ignoreUriCase` on exact/prefix sets it). */
  readonly ignoreCase: boolean
  test(input: string): boolean
  /** `exact "/a"`, `prefix "/a"`, `regex "/a.*"`, `present`. */
  describe(): string
}

/** ASCII case-insensitive equality (Envoy `absl::EqualsIgnoreCase`). */
export function equalsIgnoreCase(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  return startsWithIgnoreCase(a, b)
}

/** ASCII case-insensitive `startsWith`, without allocating. */
export function startsWithIgnoreCase(s: string, prefix: string): boolean {
  if (prefix.length > s.length) return false
  for (let i = 0; i < prefix.length; i++) {
    let a = s.charCodeAt(i)
    let b = prefix.charCodeAt(i)
    if (a === b) continue
    if (a >= 0x41 && a <= 0x5a) a += 32
    if (b >= 0x41 && b <= 0x5a) b += 32
    if (a !== b) return false
  }
  return true
}

class ExactMatcher implements StringMatcher {
  readonly kind = 'exact' as const
  constructor(
    readonly value: string,
    readonly ignoreCase: boolean,
  ) {}
  test(input: string): boolean {
    return this.ignoreCase ? equalsIgnoreCase(input, this.value) : input === this.value
  }
  describe(): string {
    return `exact ${JSON.stringify(this.value)}${this.ignoreCase ? ' (ignore case)' : ''}`
  }
}

class PrefixMatcher implements StringMatcher {
  readonly kind = 'prefix' as const
  constructor(
    readonly value: string,
    readonly ignoreCase: boolean,
  ) {}
  test(input: string): boolean {
    return this.ignoreCase ? startsWithIgnoreCase(input, this.value) : input.startsWith(this.value)
  }
  describe(): string {
    return `prefix ${JSON.stringify(this.value)}${this.ignoreCase ? ' (ignore case)' : ''}`
  }
}

class RegexMatcher implements StringMatcher {
  readonly kind = 'regex' as const
  readonly ignoreCase = false
  constructor(readonly regex: CompiledRegex) {}
  get value(): string {
    return this.regex.source
  }
  test(input: string): boolean {
    return this.regex.fullMatch(input)
  }
  describe(): string {
    return `regex ${JSON.stringify(this.regex.source)}`
  }
}

class PresentMatcher implements StringMatcher {
  readonly kind = 'present' as const
  readonly value = ''
  readonly ignoreCase = false
  test(): boolean {
    return true
  }
  describe(): string {
    return 'present'
  }
}

const PRESENT = new PresentMatcher()

/** Compiling a `StringMatch`: the matcher, or the RE2 error of its regex. */
export type StringMatcherResult =
  | { readonly ok: true; readonly matcher: StringMatcher }
  | { readonly ok: false; readonly error: string }

/**
 * Compiles a `StringMatch`. `{}` (and, for headers, `regex: "*"`, which Istio turns into a
 * presence match) is presence. `ignoreCase` applies to exact and prefix only, never to regex
 * (Istio `ignoreUriCase`; write `(?i)` in the regex instead).
 */
export function compileStringMatch(
  match: StringMatchInput,
  options?: { ignoreCase?: boolean; starIsPresence?: boolean },
): StringMatcherResult {
  const ignoreCase = options?.ignoreCase ?? false
  if (match.exact !== undefined) return { ok: true, matcher: new ExactMatcher(match.exact, ignoreCase) }
  if (match.prefix !== undefined) return { ok: true, matcher: new PrefixMatcher(match.prefix, ignoreCase) }
  if (match.regex !== undefined) {
    if (options?.starIsPresence === true && match.regex === '*') return { ok: true, matcher: PRESENT }
    const compiled = compileRegex(match.regex)
    if (!compiled.ok) return compiled
    return { ok: true, matcher: new RegexMatcher(compiled.regex) }
  }
  return { ok: true, matcher: PRESENT }
}

/** Which request attribute a header matcher reads. */
export type HeaderSource = 'header' | 'method' | 'scheme' | 'authority' | 'pathWithQuery' | 'claim'

/** One `headers` / `withoutHeaders` / `queryParams` entry, compiled. */
export interface KeyedMatcher {
  readonly name: string
  readonly source: HeaderSource
  readonly matcher: StringMatcher
  /** For `source: 'claim'`: the claim's path (`@request.auth.claims.group.id` → `['group', 'id']`). */
  readonly claim?: readonly string[]
}

const JWT_CLAIM_KEY = '@request.auth.claims'

/**
 * Istio's `ToRoutingClaim`: the claim path of a `@request.auth.claims.a.b` or
 * `@request.auth.claims[a][b]` header key (the prefix case-insensitive, the names as written),
 * or `undefined` for any other key.
 */
export function routingClaim(name: string): string[] | undefined {
  if (!name.toLowerCase().startsWith(JWT_CLAIM_KEY)) return undefined
  const rest = name.slice(JWT_CLAIM_KEY.length)
  if (rest.startsWith('.') && rest.length > 1) return rest.slice(1).split('.')
  if (rest.startsWith('[') && rest.endsWith(']') && rest.length > 2) return rest.slice(1, -1).split('][')
  return undefined
}

/**
 * A JWT claim against a header matcher, as Istio's metadata matcher for claim routing: a string
 * claim is tested, a list claim matches when one of its strings does; presence asks for a string
 * or a list. Claims come only from a token the gateway verified.
 */
function claimMatch(request: RequestView, entry: KeyedMatcher): boolean {
  let value: unknown = request.claims
  for (const key of entry.claim ?? []) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key))
      return false
    value = (value as Record<string, unknown>)[key]
  }
  if (typeof value === 'string') return entry.matcher.test(value)
  if (Array.isArray(value)) {
    for (const element of value) if (typeof element === 'string' && entry.matcher.test(element)) return true
  }
  return false
}

/** The compiled form of one `HTTPMatchRequest`. */
export interface RouteMatchSpec {
  readonly uri?: StringMatcher
  readonly scheme?: StringMatcher
  readonly method?: StringMatcher
  readonly authority?: StringMatcher
  readonly headers: readonly KeyedMatcher[]
  readonly withoutHeaders: readonly KeyedMatcher[]
  readonly queryParams: readonly KeyedMatcher[]
}

/** Maps a header matcher key to what it reads (pseudo headers are valid keys). */
export function headerSource(name: string): HeaderSource {
  switch (name) {
    case ':method':
      return 'method'
    case ':scheme':
      return 'scheme'
    case ':authority':
    case 'host':
      return 'authority'
    case ':path':
      return 'pathWithQuery'
    default:
      return 'header'
  }
}

function readHeader(request: RequestView, entry: KeyedMatcher): string | undefined {
  switch (entry.source) {
    case 'header':
      return request.header(entry.name)
    case 'method':
      return request.method
    case 'scheme':
      return request.scheme
    case 'authority':
      return request.authority
    case 'pathWithQuery':
      return request.query === '' ? request.path : `${request.path}?${request.query}`
    case 'claim':
      return undefined
  }
}

/**
 * Evaluates one compiled `HTTPMatchRequest`: every present field must hold (AND). Header
 * matchers need the header present; `withoutHeaders` hold when the header is absent or does not
 * match (a missing header counts as `''`, except for presence matchers); query parameters test
 * the first value.
 */
export function evaluateMatch(spec: RouteMatchSpec, request: RequestView): boolean {
  if (spec.uri !== undefined && !spec.uri.test(request.path)) return false
  if (spec.method !== undefined && !spec.method.test(request.method)) return false
  if (spec.scheme !== undefined && !spec.scheme.test(request.scheme)) return false
  if (spec.authority !== undefined && !spec.authority.test(request.authority)) return false
  const headers = spec.headers
  for (let i = 0; i < headers.length; i++) {
    const entry = headers[i]!
    if (entry.source === 'claim') {
      if (!claimMatch(request, entry)) return false
      continue
    }
    const value = readHeader(request, entry)
    if (value === undefined || !entry.matcher.test(value)) return false
  }
  const without = spec.withoutHeaders
  for (let i = 0; i < without.length; i++) {
    const entry = without[i]!
    if (entry.source === 'claim') {
      if (claimMatch(request, entry)) return false
      continue
    }
    const value = readHeader(request, entry)
    if (entry.matcher.kind === 'present') {
      if (value !== undefined) return false
    } else if (entry.matcher.test(value ?? '')) {
      return false
    }
  }
  const params = spec.queryParams
  for (let i = 0; i < params.length; i++) {
    const entry = params[i]!
    const value = request.queryParam(entry.name)
    if (value === undefined || !entry.matcher.test(value)) return false
  }
  return true
}

/**
 * Istio's `IsCatchAllRoute` on the translated route: the path matcher is absent, `prefix: /` or
 * regex `.*`, and there is no header, query, method, scheme or authority matcher (`port` and
 * `gateways` were already applied at build time).
 */
export function isCatchAllMatch(spec: RouteMatchSpec | undefined): boolean {
  if (spec === undefined) return true
  if (
    spec.method !== undefined ||
    spec.scheme !== undefined ||
    spec.authority !== undefined ||
    spec.headers.length > 0 ||
    spec.withoutHeaders.length > 0 ||
    spec.queryParams.length > 0
  ) {
    return false
  }
  const uri = spec.uri
  if (uri === undefined || uri.kind === 'present') return true
  if (uri.kind === 'prefix') return uri.value === '/'
  if (uri.kind === 'regex') return uri.value === '.*'
  return false
}

/** A readable one-line form of a match, as `portico routes` prints it. */
export function describeMatch(spec: RouteMatchSpec | undefined): string {
  if (spec === undefined) return '*'
  const parts: string[] = []
  if (spec.uri !== undefined) parts.push(`uri ${spec.uri.describe()}`)
  if (spec.method !== undefined) parts.push(`method ${spec.method.describe()}`)
  if (spec.scheme !== undefined) parts.push(`scheme ${spec.scheme.describe()}`)
  if (spec.authority !== undefined) parts.push(`authority ${spec.authority.describe()}`)
  for (const h of spec.headers)
    parts.push(
      `${h.source === 'claim' ? 'claim' : 'header'} ${h.claim?.join('.') ?? h.name} ${h.matcher.describe()}`,
    )
  for (const h of spec.withoutHeaders)
    parts.push(
      `without ${h.source === 'claim' ? 'claim' : 'header'} ${h.claim?.join('.') ?? h.name} ${h.matcher.describe()}`,
    )
  for (const q of spec.queryParams) parts.push(`query ${q.name} ${q.matcher.describe()}`)
  return parts.length === 0 ? '*' : parts.join(', ')
}
