import type { HTTPMatchRequest, RequestFacts, Resource, StringMatch } from '@portico/core'
import fc from 'fast-check'
import { dnsLabel, fqdn, plainValue, path as randomPath } from './primitives.js'

/** Options of {@link requestArbitrary}. */
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
    if (r.kind !== 'Gateway') continue
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
  const method =
    m.method === undefined ? fc.constantFrom('GET', 'POST', 'HEAD') : pick(m.method, fc.constant('GET'))
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

/**
 * Requests aimed at a config, as `route()` receives them: a listener port and scheme of one of
 * its servers (SNI for HTTPS), an authority from the server / VirtualService hosts in random case
 * with or without a port, and a path, method, headers and query parameters built from one match
 * entry: satisfying it, or missing it narrowly (a prefix cut short, an exact with a character
 * more, a header value changed), or unrelated.
 */
export function requestArbitrary(
  resources: readonly Resource[],
  options: RequestArbitraryOptions = {},
): fc.Arbitrary<RequestFacts> {
  const listeners = listenersOf(resources)
  const vsHosts = resources.flatMap((r) => (r.kind === 'VirtualService' ? (r.spec.hosts ?? []) : []))
  const matches = resources.flatMap((r) =>
    r.kind === 'VirtualService' ? (r.spec.http ?? []).flatMap((h) => h.match ?? [{}]) : [],
  )
  const listener =
    listeners.length > 0
      ? fc.constantFrom(...listeners)
      : fc.constant<Listener>({ port: 80, scheme: 'http', hosts: ['*'] })
  const aimedShare = Math.round((options.aimed ?? 0.6) * 10)
  const parts: fc.Arbitrary<Partial<Parts>> =
    matches.length === 0
      ? fc.record({ path: randomPath })
      : fc
          .constantFrom(...matches)
          .chain((m) =>
            fc.oneof(
              { weight: aimedShare, arbitrary: matchParts(m, true) },
              { weight: Math.max(1, 10 - aimedShare - 1), arbitrary: matchParts(m, false) },
              { weight: 1, arbitrary: fc.record({ path: randomPath }) },
            ),
          )
  return fc
    .record({
      listener,
      parts,
      hostChoice: fc.nat(),
      portStyle: fc.integer({ min: 0, max: 3 }),
      otherHost: fqdn,
    })
    .chain(({ listener, parts, hostChoice, portStyle, otherHost }) => {
      const pool = [...listener.hosts, ...vsHosts]
      const hostPattern = pool.length === 0 ? '*' : pool[hostChoice % pool.length]!
      const host =
        parts.authority !== undefined
          ? fc.constant(parts.authority)
          : hostChoice % 11 === 10
            ? fc.constant(otherHost)
            : concrete(hostPattern)
      return host.chain(randomCase).map((name): RequestFacts => {
        const hasPort = parts.authority === undefined && portStyle > 1
        const authority = hasPort
          ? `${name}:${portStyle === 2 ? listener.port : 1 + (hostChoice % 65535)}`
          : name
        const sniName = name.toLowerCase().replace(/:\d+$/, '')
        return {
          port: listener.port,
          scheme: listener.scheme,
          ...(listener.scheme === 'https' ? { sni: sniName } : {}),
          method: parts.method ?? 'GET',
          authority,
          path: `${parts.path ?? '/'}${encodeQuery(parts.query ?? [])}`,
          headers: { ...(parts.headers ?? {}), 'user-agent': 'fast-check' },
        }
      })
    })
}
