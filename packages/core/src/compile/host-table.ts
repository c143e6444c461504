/**
 * Envoy's virtual-host lookup (`RouteMatcher::findVirtualHost`): exact names in one map, then
 * `*suffix` wildcards grouped by suffix length, longest first (one hash lookup per length, and
 * only lengths shorter than the host, since a wildcard needs at least one character), then
 * `prefix*` wildcards the same way, then `*`. Domains and looked-up hosts are lowercase.
 */
export interface HostTable<T> {
  /** `host` must already be lowercased with its port stripped. */
  find(host: string): T | undefined
}

interface LengthGroup<T> {
  readonly length: number
  readonly map: Map<string, T>
}

class HostTableImpl<T> implements HostTable<T> {
  readonly #exact: Map<string, T>
  readonly #suffixes: readonly LengthGroup<T>[]
  readonly #prefixes: readonly LengthGroup<T>[]
  readonly #any: T | undefined

  constructor(
    exact: Map<string, T>,
    suffixes: LengthGroup<T>[],
    prefixes: LengthGroup<T>[],
    any: T | undefined,
  ) {
    this.#exact = exact
    this.#suffixes = suffixes
    this.#prefixes = prefixes
    this.#any = any
  }

  find(host: string): T | undefined {
    const exact = this.#exact.get(host)
    if (exact !== undefined) return exact
    const len = host.length
    for (const group of this.#suffixes) {
      if (group.length >= len) continue
      const hit = group.map.get(host.slice(len - group.length))
      if (hit !== undefined) return hit
    }
    for (const group of this.#prefixes) {
      if (group.length >= len) continue
      const hit = group.map.get(host.slice(0, group.length))
      if (hit !== undefined) return hit
    }
    return this.#any
  }
}

function grouped<T>(byLength: Map<number, Map<string, T>>): LengthGroup<T>[] {
  return [...byLength.entries()].sort((a, b) => b[0] - a[0]).map(([length, map]) => ({ length, map }))
}

/**
 * Builds a host table from `[domain, value]` pairs. The first value given for a domain wins
 * (later duplicates are ignored, as Envoy refuses duplicate domains in one route config).
 */
export function createHostTable<T>(entries: Iterable<readonly [string, T]>): HostTable<T> {
  const exact = new Map<string, T>()
  const suffixes = new Map<number, Map<string, T>>()
  const prefixes = new Map<number, Map<string, T>>()
  let any: T | undefined
  for (const [rawDomain, value] of entries) {
    const domain = rawDomain.toLowerCase()
    if (domain === '*') {
      if (any === undefined) any = value
    } else if (domain.startsWith('*')) {
      const suffix = domain.slice(1)
      let m = suffixes.get(suffix.length)
      if (m === undefined) {
        m = new Map()
        suffixes.set(suffix.length, m)
      }
      if (!m.has(suffix)) m.set(suffix, value)
    } else if (domain.endsWith('*')) {
      const prefix = domain.slice(0, -1)
      let m = prefixes.get(prefix.length)
      if (m === undefined) {
        m = new Map()
        prefixes.set(prefix.length, m)
      }
      if (!m.has(prefix)) m.set(prefix, value)
    } else if (!exact.has(domain)) {
      exact.set(domain, value)
    }
  }
  return new HostTableImpl(exact, grouped(suffixes), grouped(prefixes), any)
}

/**
 * The host part of a Host/:authority value for virtual-host choice: the port stripped (IPv6
 * literals keep their brackets) and lowercased. Returns `undefined` for a malformed authority
 * (empty, userinfo, path characters, whitespace, a bad port, unbalanced brackets), which the
 * router answers with 400.
 */
export function authorityHost(authority: string): string | undefined {
  const len = authority.length
  if (len === 0) return undefined
  let hostEnd = len
  if (authority.charCodeAt(0) === 0x5b) {
    const close = authority.indexOf(']')
    if (close === -1) return undefined
    hostEnd = close + 1
    if (hostEnd < len && authority.charCodeAt(hostEnd) !== 0x3a) return undefined
  } else {
    const colon = authority.lastIndexOf(':')
    if (colon !== -1) hostEnd = colon
  }
  if (hostEnd === 0) return undefined
  if (hostEnd < len) {
    if (hostEnd + 1 === len) return undefined
    for (let i = hostEnd + 1; i < len; i++) {
      const c = authority.charCodeAt(i)
      if (c < 0x30 || c > 0x39) return undefined
    }
  }
  let lower = false
  for (let i = 0; i < hostEnd; i++) {
    const c = authority.charCodeAt(i)
    if (c <= 0x20 || c >= 0x7f || c === 0x2f || c === 0x5c || c === 0x40 || c === 0x3f || c === 0x23)
      return undefined
    if (c === 0x3a && authority.charCodeAt(0) !== 0x5b) return undefined
    if (c >= 0x41 && c <= 0x5a) lower = true
  }
  const host = hostEnd === len ? authority : authority.slice(0, hostEnd)
  return lower ? host.toLowerCase() : host
}
