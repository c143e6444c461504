import type { FieldPath } from '../diagnostics/diagnostic.js'
import type { HTTPMatchRequest, HTTPRoute, StringMatch } from '../resources/virtual-service.js'
import { VS_CODES } from './virtual-service-codes.js'
import type { VirtualServiceReport } from './virtual-service-report.js'

const STRING_MATCH_KEYS = new Set(['exact', 'prefix', 'regex'])

/**
 * A key-order independent serialization of a match, without its `name`, in which unset and
 * zero values (`false`, `0`, `''`, empty lists and maps) are the same, as proto3 compares
 * them. A StringMatch member set to `''` stays visible (`{exact: ''}` is not `{}`).
 */
function canonical(value: unknown, key?: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined
    return `[${value.map((item) => canonical(item) ?? 'null').join(',')}]`
  }
  if (typeof value === 'object') {
    const parts: string[] = []
    for (const name of Object.keys(value).sort()) {
      const text = canonical((value as Record<string, unknown>)[name], name)
      if (text !== undefined) parts.push(`${JSON.stringify(name)}:${text}`)
    }
    return parts.length === 0 ? undefined : `{${parts.join(',')}}`
  }
  if ((value === false || value === 0 || value === '') && !STRING_MATCH_KEYS.has(key ?? '')) {
    return undefined
  }
  return JSON.stringify(value)
}

function matchKey(match: unknown): string {
  if (match !== null && typeof match === 'object' && 'name' in match) {
    const { name: _name, ...rest } = match as Record<string, unknown>
    return canonical(rest) ?? '{}'
  }
  return canonical(match) ?? '{}'
}

/** Istio's rule label: the quoted route `name`, else `#<index>`. */
function ruleName(route: { readonly name?: string | undefined } | undefined, index: number): string {
  const name = route?.name
  return name !== undefined && name !== '' ? JSON.stringify(name) : `#${index}`
}

function unreachable(report: VirtualServiceReport, rule: string, reason: string, path: FieldPath): void {
  report.warning(VS_CODES.unreachableRule, `VirtualService rule ${rule} not used (${reason})`, path)
}

function ineffective(
  report: VirtualServiceReport,
  rule: string,
  match: string,
  earlier: string,
  path: FieldPath,
): void {
  report.warning(
    VS_CODES.ineffectiveMatch,
    `VirtualService rule ${rule} match ${match} is not used (duplicate/overlapping match in rule ${earlier})`,
    path,
  )
}

/** A prefix match reduced to what Istio compares for overlaps (`genMatchHTTPRoutes`). */
interface PrefixMatch {
  readonly rule: string
  readonly match: string
  readonly path: FieldPath
  readonly prefix: string
  readonly port: number
  readonly method: string
  readonly authority: string
  readonly headers: ReadonlyMap<string, string>
  readonly queryParams: ReadonlyMap<string, string>
  readonly withoutHeaders: ReadonlyMap<string, string>
}

function exactOrPrefix(match: StringMatch | undefined): string {
  if (match?.exact !== undefined && match.exact !== '') return `exact:${match.exact}`
  if (match?.prefix !== undefined && match.prefix !== '') return `prefix:${match.prefix}`
  return ''
}

function reduceMap(map: Readonly<Record<string, StringMatch>> | undefined): Map<string, string> {
  const out = new Map<string, string>()
  for (const [key, value] of Object.entries(map ?? {})) out.set(key, exactOrPrefix(value))
  return out
}

function toPrefixMatch(
  match: HTTPMatchRequest,
  rule: string,
  matchLabel: string,
  path: FieldPath,
): PrefixMatch | undefined {
  const prefix = match.uri?.prefix
  if (prefix === undefined || prefix === '') return undefined
  return {
    rule,
    match: matchLabel,
    path,
    prefix,
    port: match.port ?? 0,
    // Without a method Istio compares as if the match said GET.
    method: exactOrPrefix(match.method) || 'exact:GET',
    authority: exactOrPrefix(match.authority),
    headers: reduceMap(match.headers),
    queryParams: reduceMap(match.queryParams),
    withoutHeaders: reduceMap(match.withoutHeaders),
  }
}

/** Istio's field comparison: equal, or the earlier value starts with the later one. */
function covers(earlier: string, later: string): boolean {
  return earlier === later || earlier.startsWith(later)
}

function mapCovers(earlier: ReadonlyMap<string, string>, later: ReadonlyMap<string, string>): boolean {
  if (earlier.size !== later.size) return false
  for (const [key, value] of earlier) {
    const other = later.get(key)
    if (other === undefined || !covers(value, other)) return false
  }
  return true
}

/** Istio's `coveredValidation`: does the earlier prefix match shadow the later one? */
function covered(a: PrefixMatch, b: PrefixMatch): boolean {
  return (
    b.prefix.startsWith(a.prefix) &&
    a.port === b.port &&
    covers(a.method, b.method) &&
    covers(a.authority, b.authority) &&
    mapCovers(a.headers, b.headers) &&
    mapCovers(a.queryParams, b.queryParams) &&
    mapCovers(a.withoutHeaders, b.withoutHeaders)
  )
}

function matchName(match: { readonly name?: string | undefined } | undefined, index: number): string {
  return ruleName(match, index)
}

/**
 * Istio's `analyzeUnreachableHTTPRules` (warnings IST0130 and IST0131): rules after a rule
 * without matches, a second rule without matches, rules whose every match repeats an earlier
 * one, matches that repeat an earlier match, and `uri.prefix` matches shadowed by an earlier,
 * shorter prefix with the same other conditions. A rule Istio reports once per match after a
 * catch-all is reported once here.
 */
export function analyzeUnreachableHttpRules(
  report: VirtualServiceReport,
  routes: readonly HTTPRoute[],
  path: FieldPath,
): void {
  const seen = new Map<string, number>()
  let catchAll = -1
  const prefixMatches: PrefixMatch[] = []
  for (const [ruleIndex, route] of routes.entries()) {
    if (route == null) continue
    const rule = ruleName(route, ruleIndex)
    const rulePath = [...path, ruleIndex]
    const matches = route.match ?? []
    if (matches.length === 0) {
      if (catchAll >= 0) unreachable(report, rule, 'only the last rule can have no matches', rulePath)
      catchAll = ruleIndex
      continue
    }
    if (catchAll >= 0) {
      unreachable(report, rule, 'route without matches defined before', rulePath)
      continue
    }
    let duplicates = 0
    for (const [matchIndex, match] of matches.entries()) {
      const key = matchKey(match)
      const earlier = seen.get(key)
      const matchPath = [...rulePath, 'match', matchIndex]
      if (earlier !== undefined) {
        ineffective(report, rule, matchName(match, matchIndex), ruleName(routes[earlier], earlier), matchPath)
        duplicates++
        continue
      }
      seen.set(key, ruleIndex)
      if (match == null) continue
      const reduced = toPrefixMatch(match, rule, matchName(match, matchIndex), matchPath)
      if (reduced !== undefined) prefixMatches.push(reduced)
    }
    if (duplicates === matches.length) {
      unreachable(report, rule, 'all matches used by prior rules', rulePath)
    }
  }
  for (const [i, a] of prefixMatches.entries()) {
    for (const b of prefixMatches.slice(i + 1)) {
      if (a.prefix === b.prefix || !covered(a, b)) continue
      ineffective(
        report,
        b.rule,
        `${b.match} of prefix ${b.prefix}`,
        `${a.match} of prefix ${a.prefix} on ${a.rule}`,
        b.path,
      )
    }
  }
}

/**
 * Istio's `analyzeUnreachableTCPRules` / `analyzeUnreachableTLSRules`: the same rule-level
 * findings for `tcp` and `tls` rules (no names, no prefix overlaps).
 */
export function analyzeUnreachableL4Rules(
  report: VirtualServiceReport,
  routes: readonly { readonly match?: readonly unknown[] | undefined }[],
  path: FieldPath,
): void {
  const seen = new Map<string, number>()
  let catchAll = -1
  for (const [ruleIndex, route] of routes.entries()) {
    if (route == null) continue
    const rule = `#${ruleIndex}`
    const rulePath = [...path, ruleIndex]
    const matches = route.match ?? []
    if (matches.length === 0) {
      if (catchAll >= 0) unreachable(report, rule, 'only the last rule can have no matches', rulePath)
      catchAll = ruleIndex
      continue
    }
    if (catchAll >= 0) {
      unreachable(report, rule, 'route without matches defined before', rulePath)
      continue
    }
    let duplicates = 0
    for (const [matchIndex, match] of matches.entries()) {
      const key = matchKey(match)
      const earlier = seen.get(key)
      if (earlier !== undefined) {
        ineffective(report, rule, `#${matchIndex}`, `#${earlier}`, [...rulePath, 'match', matchIndex])
        duplicates++
      } else {
        seen.set(key, ruleIndex)
      }
    }
    if (duplicates === matches.length) {
      unreachable(report, rule, 'all matches used by prior rules', rulePath)
    }
  }
}
