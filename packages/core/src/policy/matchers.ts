import { BlockList } from 'node:net'
import { parseCidr } from '../model/names.js'

/** A test on one string value, as Istio's authorization generators build them. */
export type ValueTest = (value: string) => boolean

const nonEmpty: ValueTest = (v) => v.length > 0

/**
 * Istio's `StringMatcher(v)` for authorization values: `*` any non-empty value, `*x` a suffix,
 * `x*` a prefix, otherwise exact; `ignoreCase` for hosts.
 */
export function valueTest(pattern: string, ignoreCase = false): ValueTest {
  if (pattern === '*') return nonEmpty
  const fold = ignoreCase ? (s: string) => s.toLowerCase() : (s: string) => s
  if (pattern.startsWith('*')) {
    const suffix = fold(pattern.slice(1))
    return (v) => fold(v).endsWith(suffix)
  }
  if (pattern.endsWith('*')) {
    const prefix = fold(pattern.slice(0, -1))
    return (v) => fold(v).startsWith(prefix)
  }
  const exact = fold(pattern)
  return (v) => fold(v) === exact
}

/**
 * Istio's `HeaderMatcher(k, v)` / `HostMatcher`: like {@link valueTest}, except that `*` only asks
 * for the header to be present (possibly empty). `undefined` is an absent header.
 */
export function headerTest(pattern: string, ignoreCase = false): (value: string | undefined) => boolean {
  if (pattern === '*') return (v) => v !== undefined
  const test = valueTest(pattern, ignoreCase)
  return (v) => v !== undefined && test(v)
}

/** A path value: a path template (`{*}` one segment, `{**}` the rest) or {@link valueTest}. */
export function pathTest(pattern: string): ValueTest {
  if (!pattern.includes('{*}') && !pattern.includes('{**}')) return valueTest(pattern)
  const parts = pattern.split('/').map((segment) => {
    if (segment === '{*}') return '[^/]+'
    if (segment === '{**}') return '.*'
    return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  })
  const re = new RegExp(`^${parts.join('/')}$`)
  return (v) => re.test(v)
}

/** A set of IPs and CIDR blocks (validated beforehand), tested with Node's `BlockList`. */
export function cidrTest(values: readonly string[]): (ip: string | undefined) => boolean {
  const list = new BlockList()
  for (const v of values) {
    const c = parseCidr(v)
    if (c === undefined) continue
    list.addSubnet(c.address, c.prefix, c.family)
  }
  return (ip) => {
    if (ip === undefined || ip === '') return false
    try {
      return list.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4')
    } catch {
      return false
    }
  }
}

/** A claim by its path (`['group', 'id']` reads `claims.group.id`); `undefined` when absent. */
export function claimAt(
  claims: Readonly<Record<string, unknown>> | undefined,
  path: readonly string[],
): unknown {
  let value: unknown = claims
  for (const key of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
    if (!Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

/**
 * Envoy's metadata list matcher as Istio uses it for JWT claims: a string claim is tested as is,
 * a list claim matches when one of its string elements does; other types never match.
 */
export function claimMatches(value: unknown, test: ValueTest): boolean {
  if (typeof value === 'string') return test(value)
  if (Array.isArray(value)) {
    for (const element of value) if (typeof element === 'string' && test(element)) return true
  }
  return false
}

/** The value of a header for matchers: repeated values joined with `,` (Envoy). */
export function headerValue(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  name: string,
): string | undefined {
  const value = headers[name]
  if (typeof value === 'string') return value
  return Array.isArray(value) ? value.join(',') : undefined
}
