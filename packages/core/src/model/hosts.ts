/**
 * Istio's host algebra (`pkg/config/host`): wildcard names, matching, subset and intersection.
 *
 * A name is wildcarded when it starts with `*`; the rest of it is a suffix that the other name
 * must end with. So `*.example.com` covers `a.example.com` and `a.b.example.com` but not
 * `example.com`, and `*` covers everything. Hosts compare case-insensitively (Envoy lowercases
 * `Host` and virtual host domains), so every function here lowercases both sides first.
 */

/** True when `name` is wildcarded (starts with `*`), as Istio's `Name.IsWildCarded`. */
export function isWildcardHost(name: string): boolean {
  return name.startsWith('*')
}

/**
 * True when every host `host` can stand for is also covered by `pattern` (Istio's
 * `host.SubsetOf(pattern)`): `hostMatches('*.example.com', 'a.b.example.com')` is true,
 * `hostMatches('*.example.com', 'example.com')` and `hostMatches('a.example.com', '*.example.com')`
 * are false, `hostMatches('*', anything)` is true.
 */
export function hostMatches(pattern: string, host: string): boolean {
  return subsetOf(host.toLowerCase(), pattern.toLowerCase())
}

/**
 * True when the two names have at least one concrete host in common (Istio's `Name.Matches`):
 * `*.example.com` and `a.example.com` intersect, so do `*.com` and `*.example.com`;
 * `*.example.com` and `example.com` do not.
 */
export function hostsIntersect(a: string, b: string): boolean {
  return matches(a.toLowerCase(), b.toLowerCase())
}

/**
 * The intersection of two host lists the way Istio's `Names.Intersection` computes it: for every
 * pair where one name is a subset of the other, the more specific name is kept (once, in order of
 * first appearance, `a`'s order first). Server `httpbin.example.com` × VirtualService `*` gives
 * `httpbin.example.com`; `*` × `*.foo.com` gives `*.foo.com`; `*.foo.com` × `bar.com` gives nothing.
 * Names are lowercased in the result.
 */
export function intersectHosts(a: readonly string[], b: readonly string[]): string[] {
  const result: string[] = []
  const seen = new Set<string>()
  const push = (name: string): void => {
    if (!seen.has(name)) {
      seen.add(name)
      result.push(name)
    }
  }
  const bl = b.map((name) => name.toLowerCase())
  for (const rawA of a) {
    const x = rawA.toLowerCase()
    for (const y of bl) {
      if (subsetOf(x, y)) push(x)
      else if (subsetOf(y, x)) push(y)
    }
  }
  return result
}

/**
 * Istio's `Name.Matches`, case-sensitive as Istio compares (used for rules that Istio applies to
 * the names as written, e.g. duplicate VirtualService hosts).
 */
export function namesOverlap(a: string, b: string): boolean {
  return matches(a, b)
}

/** Istio's `Name.SubsetOf`, case-sensitive: every host `a` covers is covered by `b`. */
export function nameSubsetOf(a: string, b: string): boolean {
  return subsetOf(a, b)
}

function matches(n: string, o: string): boolean {
  const nWild = isWildcardHost(n)
  const oWild = isWildcardHost(o)
  if (nWild) {
    if (oWild) {
      return n.length < o.length ? o.slice(1).endsWith(n.slice(1)) : n.slice(1).endsWith(o.slice(1))
    }
    return o.endsWith(n.slice(1))
  }
  if (oWild) return n.endsWith(o.slice(1))
  return n === o
}

function subsetOf(n: string, o: string): boolean {
  const nWild = isWildcardHost(n)
  const oWild = isWildcardHost(o)
  if (nWild) {
    if (!oWild) return false
    if (n.length < o.length) return false
    return n.slice(1).endsWith(o.slice(1))
  }
  if (oWild) return n.endsWith(o.slice(1))
  return n === o
}

/** A Gateway server host split into its namespace part and its DNS name. */
export interface ServerHost {
  /** `*` (any namespace, the default), `.` when unresolved, or a namespace name. */
  readonly namespace: string | '*'
  /** The DNS part: `*`, `*.example.com`, `example.com` or an IP, lowercased. */
  readonly host: string
}

/**
 * Parses a Gateway `servers[].hosts[]` entry: `ns/host`, `./host`, `*\/host` or plain `host`
 * (= `*\/host`). When `gatewayNamespace` is given, `.` resolves to it (Istio's
 * `sanitizeServerHostNamespace`); otherwise `.` is kept as written. Only the first `/` splits.
 */
export function parseServerHost(text: string, gatewayNamespace?: string): ServerHost {
  const slash = text.indexOf('/')
  if (slash < 0) return { namespace: '*', host: text.toLowerCase() }
  let namespace = text.slice(0, slash)
  if (namespace === '.' && gatewayNamespace !== undefined) namespace = gatewayNamespace
  return { namespace, host: text.slice(slash + 1).toLowerCase() }
}

/**
 * The DNS names of a Gateway's server hosts that VirtualServices of `namespace` may bind to
 * (Istio's `NamesForNamespace`): entries whose namespace part is `*` or equals `namespace`
 * (`.` counts as `gatewayNamespace`).
 */
export function serverHostsForNamespace(
  hosts: readonly string[],
  namespace: string,
  gatewayNamespace: string,
): string[] {
  const out: string[] = []
  for (const entry of hosts) {
    const parsed = parseServerHost(entry, gatewayNamespace)
    if (parsed.namespace === '*' || parsed.namespace === namespace) out.push(parsed.host)
  }
  return out
}
