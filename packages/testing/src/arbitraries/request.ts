import type { HTTPMatchRequest, RequestFacts, Resource, StringMatch } from '@portico/core'
import { isK8sGateway } from '@portico/core'
import fc from 'fast-check'
import { dnsLabel, fqdn, plainValue, path as randomPath } from './primitives.js'

/** Options of `arbitraries.request`. */
export interface RequestArbitraryOptions {
  /** Share of requests built to satisfy one match entry (the rest are near misses or random); default 0.6. */
  readonly aimed?: number
}

interface Listener {
  readonly port: number
  readonly scheme: 'http' | 'https'
  readonly hosts: readonly string[]
}

interface Parts {
  path: string
  query: [string, string][]
  headers: Record<string, string>
  method: string
  authority?: string
}

const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB'])

function listenersOf(resources: readonly Resource[]): Listener[] {
  const out: Listener[] = []
  for (const r of resources) {
    if (r.kind !== 'Gateway' || isK8sGateway(r)) continue
    for (const s of r.spec.servers ?? []) {
      const protocol = s.port.protocol.toUpperCase()
      const hosts = s.hosts.map((h) => (h.includes('/') ? h.slice(h.indexOf('/') + 1) : h))
      if (HTTP_PROTOCOLS.has(protocol)) out.push({ port: s.port.number, scheme: 'http', hosts })
      else if (protocol === 'HTTPS' && s.tls?.mode !== 'PASSTHROUGH' && s.tls?.mode !== 'AUTO_PASSTHROUGH')
        out.push({ port: s.port.number, scheme: 'https', hosts })
    }
  }
  return out
}

/** A concrete name for a host pattern: `*.a.com` → `x.a.com`, `*` → any name. */
function concrete(host: string): fc.Arbitrary<string> {
  if (host === '*') return fqdn
  if (host.startsWith('*.')) return dnsLabel.map((l) => `${l}${host.slice(1)}`)
  return fc.constant(host)
}

function randomCase(text: string): fc.Arbitrary<string> {
  return fc
    .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map((flips) => [...text].map((c, i) => (flips[i] ? c.toUpperCase() : c)).join(''))
}

/** A string the RE2 pattern fully matches, when the pattern is also a JavaScript pattern. */
function regexWitness(pattern: string): fc.Arbitrary<string> | undefined {
  const ignoreCase = pattern.startsWith('(?i)')
  const body = ignoreCase ? pattern.slice(4) : pattern
  try {
    return fc.stringMatching(new RegExp(`^(?:${body})$`), { size: 'xsmall' })
  } catch {
    return undefined
  }
}

/** A value satisfying `m` (or `undefined` when none can be built). */
function satisfy(m: StringMatch, fallback: fc.Arbitrary<string>): fc.Arbitrary<string> {
  if (m.exact !== undefined) return fc.constant(m.exact)
  if (m.prefix !== undefined) {
    const p = m.prefix
    return fc.oneof(
      fc.constant(p),
      plainValue.map((s) => `${p}${s}`),
    )
  }
  if (m.regex !== undefined) return regexWitness(m.regex) ?? fallback
  return fallback
}

/** A value that narrowly misses `m`. */
function miss(m: StringMatch, fallback: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const near = (s: string) =>
    fc.constantFrom(
      s.slice(0, -1),
      `${s}x`,
      s.toUpperCase() === s ? s.toLowerCase() : s.toUpperCase(),
      `x${s}`,
    )
  if (m.exact !== undefined) return near(m.exact)
  if (m.prefix !== undefined && m.prefix.length > 0)
    return fc.constantFrom(m.prefix.slice(0, -1), `x${m.prefix}`)
  return fallback
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const

/** True when the method satisfies the match (regexes are tried as JavaScript patterns). */
function methodMatches(m: StringMatch, method: string): boolean {
  if (m.exact !== undefined) return m.exact === method
  if (m.prefix !== undefined) return method.startsWith(m.prefix)
  if (m.regex !== undefined) {
    try {
      return new RegExp(`^(?:${m.regex.replace(/^\(\?i\)/, '')})$`).test(method)
    } catch {
      return false
    }
  }
  return true
}

/** A standard method (HTTP/1 servers refuse unknown ones before any routing); one the match accepts when aimed. */
function methodFor(m: StringMatch | undefined, aimed: boolean): fc.Arbitrary<string> {
  if (m === undefined || !aimed) return fc.constantFrom(...METHODS)
  const accepted = METHODS.filter((method) => methodMatches(m, method))
  return accepted.length > 0 ? fc.constantFrom(...accepted) : satisfy(m, fc.constant('GET'))
}

function matchParts(m: HTTPMatchRequest, aimed: boolean): fc.Arbitrary<Partial<Parts>> {
  const pick = (sm: StringMatch, fallback: fc.Arbitrary<string>) =>
    aimed ? satisfy(sm, fallback) : fc.oneof(satisfy(sm, fallback), miss(sm, fallback))
  const uri = m.uri === undefined ? randomPath : pick(m.uri, randomPath)
  const path = uri
    .map((p) => (p.startsWith('/') ? p : `/${p}`))
    .chain((p) => (m.ignoreUriCase ? randomCase(p) : fc.constant(p)))
  const headers = Object.entries(m.headers ?? {}).map(([name, sm]) =>
    pick(sm, plainValue).map((v) => [name.toLowerCase(), v] as const),
  )
  const query = Object.entries(m.queryParams ?? {}).map(([name, sm]) =>
    pick(sm, plainValue).map((v) => [name, v] as [string, string]),
  )
  const method = methodFor(m.method, aimed)
  const authority = m.authority === undefined ? fc.constant(undefined) : pick(m.authority, fqdn)
  return fc
    .record({
      path,
      headers: fc.tuple(...headers),
      query: fc.tuple(...query),
      method,
      authority,
      dropped: fc.boolean(),
    })
    .map(({ path, headers, query, method, authority, dropped }) => {
      const h: Record<string, string> = Object.fromEntries(headers)
      // A near miss may also carry a header the match requires absent.
      if (!aimed && dropped)
        for (const name of Object.keys(m.withoutHeaders ?? {})) h[name.toLowerCase()] = 'present'
      return { path, headers: h, query, method, ...(authority === undefined ? {} : { authority }) }
    })
}

function encodeQuery(query: readonly [string, string][]): string {
  if (query.length === 0) return ''
  return `?${query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`
}

interface Target {
  readonly listener: Listener
  readonly hosts: readonly string[]
  readonly match: HTTPMatchRequest
}

/** True when the host pattern (`*`, `*.a.com`, `a.com`) admits the lowercase name. */
function admits(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase()
  if (p === '*') return true
  if (p.startsWith('*.')) return name.endsWith(p.slice(1))
  return p === name
}

/** Listener × VirtualService × match entry combinations a request can satisfy. */
function targetsOf(resources: readonly Resource[]): Target[] {
  const listenersByGateway = new Map<string, Listener[]>()
  for (const r of resources) {
    if (r.kind !== 'Gateway' || isK8sGateway(r)) continue
    listenersByGateway.set(`${r.metadata.namespace ?? 'default'}/${r.metadata.name}`, listenersOf([r]))
  }
  const out: Target[] = []
  for (const r of resources) {
    if (r.kind !== 'VirtualService') continue
    const ns = r.metadata.namespace ?? 'default'
    const listeners = (r.spec.gateways ?? []).flatMap(
      (g) => listenersByGateway.get(g.includes('/') ? g : `${ns}/${g}`) ?? [],
    )
    const hosts = r.spec.hosts ?? []
    for (const http of r.spec.http ?? []) {
      for (const match of http.match ?? [{}]) {
        for (const listener of listeners) {
          if (match.port !== undefined && match.port !== listener.port) continue
          if (match.scheme?.exact !== undefined && match.scheme.exact !== listener.scheme) continue
          out.push({ listener, hosts, match })
        }
      }
    }
  }
  return out
}

/** A name both the VirtualService hosts and the server hosts admit (or one of the VS's, when none is found). */
function hostFor(target: Target): fc.Arbitrary<string> {
  if (target.match.authority?.exact !== undefined) return fc.constant(target.match.authority.exact)
  const candidates = [...target.hosts, ...target.listener.hosts]
  const fallback = concrete(target.hosts[0] ?? '*')
  return fc
    .constantFrom(...(candidates.length > 0 ? candidates : ['*']))
    .chain((pattern) => concrete(pattern))
    .chain((name) => {
      const lower = name.toLowerCase()
      const both =
        target.hosts.some((h) => admits(h, lower)) && target.listener.hosts.some((h) => admits(h, lower))
      return both ? fc.constant(name) : fallback
    })
}

function facts(listener: Listener, name: string, parts: Partial<Parts>, portStyle: number): RequestFacts {
  const withPort = parts.authority === undefined && portStyle > 0
  const authority = withPort ? `${name}:${portStyle === 1 ? listener.port : 1024 + portStyle}` : name
  return {
    port: listener.port,
    scheme: listener.scheme,
    ...(listener.scheme === 'https' ? { sni: name.toLowerCase() } : {}),
    method: parts.method ?? 'GET',
    authority,
    path: `${parts.path ?? '/'}${encodeQuery(parts.query ?? [])}`,
    headers: { ...(parts.headers ?? {}), 'user-agent': 'fast-check' },
  }
}

/**
 * Requests aimed at a config, as `route()` receives them. Most are aimed at one match entry of
 * one rule: a listener port and scheme of a server the VirtualService is bound to (SNI for
 * HTTPS), an authority both admit in random case with or without a port, and a path, method,
 * headers and query parameters that satisfy the entry. Others miss it narrowly (a prefix cut
 * short, an exact with a character more, a header value changed, a forbidden header present)
 * or are unrelated (any listener, any host, any path).
 */
export function requestArbitrary(
  resources: readonly Resource[],
  options: RequestArbitraryOptions = {},
): fc.Arbitrary<RequestFacts> {
  const listeners = listenersOf(resources)
  const targets = targetsOf(resources)
  const pool = [
    ...new Set([
      ...listeners.flatMap((l) => l.hosts),
      ...resources.flatMap((r) => (r.kind === 'VirtualService' ? (r.spec.hosts ?? []) : [])),
    ]),
  ]
  const listener =
    listeners.length > 0
      ? fc.constantFrom(...listeners)
      : fc.constant<Listener>({ port: 80, scheme: 'http', hosts: ['*'] })
  const portStyle = fc.integer({ min: 0, max: 3 }).map((n) => (n === 3 ? 2 + n : n === 2 ? 0 : n))
  const unrelated = fc
    .record({
      listener,
      host: fc.oneof(fc.constantFrom(...(pool.length > 0 ? pool : ['*'])).chain(concrete), fqdn),
      path: randomPath,
      portStyle,
    })
    .chain(({ listener, host, path, portStyle }) =>
      randomCase(host).map((name) => facts(listener, name, { path }, portStyle)),
    )
  if (targets.length === 0) return unrelated
  const aimedWeight = Math.round((options.aimed ?? 0.6) * 10)
  const toward = (aimed: boolean) =>
    fc
      .constantFrom(...targets)
      .chain((target) =>
        fc
          .record({ parts: matchParts(target.match, aimed), host: hostFor(target), portStyle })
          .chain(({ parts, host, portStyle }) =>
            (parts.authority === undefined ? randomCase(host) : fc.constant(host)).map((name) =>
              facts(target.listener, parts.authority ?? name, parts, portStyle),
            ),
          ),
      )
  return fc.oneof(
    { weight: aimedWeight, arbitrary: toward(true) },
    { weight: Math.max(1, 10 - aimedWeight - 1), arbitrary: toward(false) },
    { weight: 1, arbitrary: unrelated },
  )
}
