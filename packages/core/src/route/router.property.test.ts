import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileResources, facts, type TestResource } from '../compile/test-fixtures.js'
import { route } from './router.js'

// A small, obviously-correct reference interpreter of Istio's gateway routing (ISTIO-SEMANTICS
// §2-§5): linear scans over the resources, no indexes, no precompilation.

type SM = { exact?: string; prefix?: string; regex?: string }
interface Match {
  uri?: SM
  ignoreUriCase?: boolean
  method?: SM
  headers?: Record<string, SM>
  withoutHeaders?: Record<string, SM>
  queryParams?: Record<string, SM>
}
interface Rule {
  match?: Match[]
  route: { destination: { host: string } }[]
}
interface Vs {
  name: string
  hosts: string[]
  gateways?: string[]
  http: Rule[]
}
interface Req {
  authority: string
  path: string
  query: string
  method: string
  headers: Record<string, string>
}

function covers(pattern: string, host: string): boolean {
  if (pattern === '*') return true
  if (pattern === host) return true
  if (pattern.startsWith('*.') && !host.startsWith('*')) return host.endsWith(pattern.slice(1))
  return false
}

function domainsOf(serverHosts: string[], vsHosts: string[]): string[] {
  const out: string[] = []
  for (const s of serverHosts) {
    for (const v of vsHosts) {
      const d = covers(s, v) ? v : covers(v, s) ? s : undefined
      if (d !== undefined && !out.includes(d)) out.push(d)
    }
  }
  return out
}

function pickDomain(domains: string[], host: string): string | undefined {
  if (domains.includes(host)) return host
  let best: string | undefined
  for (const d of domains) {
    if (d.startsWith('*') && d !== '*' && host.length > d.length - 1 && host.endsWith(d.slice(1))) {
      if (best === undefined || d.length > best.length) best = d
    }
  }
  if (best !== undefined) return best
  return domains.includes('*') ? '*' : undefined
}

function strMatch(m: SM, value: string, ignoreCase = false): boolean {
  if (m.exact !== undefined)
    return ignoreCase ? value.toLowerCase() === m.exact.toLowerCase() : value === m.exact
  if (m.prefix !== undefined)
    return ignoreCase ? value.toLowerCase().startsWith(m.prefix.toLowerCase()) : value.startsWith(m.prefix)
  if (m.regex !== undefined) return new RegExp(`^(?:${m.regex})$`).test(value)
  return true
}

function firstQueryValue(query: string, name: string): string | undefined {
  for (const part of query.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const k = eq === -1 ? part : part.slice(0, eq)
    if (k === name) return eq === -1 ? '' : part.slice(eq + 1)
  }
  return undefined
}

function matchHolds(m: Match | undefined, r: Req): boolean {
  if (m === undefined) return true
  if (m.uri !== undefined && !strMatch(m.uri, r.path, m.ignoreUriCase === true)) return false
  if (m.method !== undefined && !strMatch(m.method, r.method)) return false
  for (const [k, sm] of Object.entries(m.headers ?? {})) {
    const v = r.headers[k]
    if (v === undefined || !strMatch(sm, v)) return false
  }
  for (const [k, sm] of Object.entries(m.withoutHeaders ?? {})) {
    const v = r.headers[k]
    const isPresence = sm.exact === undefined && sm.prefix === undefined && sm.regex === undefined
    if (isPresence ? v !== undefined : strMatch(sm, v ?? '')) return false
  }
  for (const [k, sm] of Object.entries(m.queryParams ?? {})) {
    const v = firstQueryValue(r.query, k)
    if (v === undefined || !strMatch(sm, v)) return false
  }
  return true
}

function isCatchAll(m: Match | undefined): boolean {
  if (m === undefined) return true
  if (m.method || m.headers || m.withoutHeaders || m.queryParams) return false
  const u = m.uri
  return u === undefined || u.prefix === '/' || u.regex === '.*'
}

interface RefRoute {
  vs: string
  routeIndex: number
  matchIndex: number | undefined
  match: Match | undefined
}

function translate(vs: Vs): RefRoute[] {
  const out: RefRoute[] = []
  for (let i = 0; i < vs.http.length; i++) {
    const rule = vs.http[i]!
    const entries = rule.match === undefined || rule.match.length === 0 ? [undefined] : rule.match
    for (let j = 0; j < entries.length; j++) {
      const m = entries[j]
      out.push({ vs: vs.name, routeIndex: i, matchIndex: m === undefined ? undefined : j, match: m })
      if (isCatchAll(m)) return out
    }
  }
  return out
}

function reference(serverHosts: string[], vss: Vs[], r: Req): RefRoute | undefined {
  const bound = vss.filter((v) => v.gateways?.includes('g'))
  const all = bound.flatMap((v) => domainsOf(serverHosts, v.hosts))
  const host = r.authority.replace(/:\d+$/, '').toLowerCase()
  const domain = pickDomain(all, host)
  if (domain === undefined) return undefined
  const routes = bound.filter((v) => domainsOf(serverHosts, v.hosts).includes(domain)).flatMap(translate)
  const ordered = [
    ...routes.filter((x) => !isCatchAll(x.match)),
    ...routes.filter((x) => isCatchAll(x.match)),
  ]
  return ordered.find((x) => matchHolds(x.match, r))
}

const uriArb = fc.constantFrom<SM | undefined>(
  undefined,
  { exact: '/a' },
  { prefix: '/a' },
  { prefix: '/' },
  { prefix: '/api/' },
  { exact: '/api/v1' },
  { regex: '/api/v[0-9]+(/.*)?' },
  { regex: '.*' },
  { prefix: '/A' },
  { exact: '/b' },
  { prefix: '/ab' },
)
const matchArb: fc.Arbitrary<Match> = fc
  .record(
    {
      uri: uriArb,
      ignoreUriCase: fc.boolean(),
      method: fc.constantFrom<SM | undefined>(undefined, { exact: 'GET' }, { exact: 'POST' }),
      headers: fc.constantFrom<Record<string, SM> | undefined>(
        undefined,
        { 'x-a': { exact: '1' } },
        { 'x-a': {} },
        { 'x-b': { prefix: 'v' } },
      ),
      withoutHeaders: fc.constantFrom<Record<string, SM> | undefined>(
        undefined,
        { 'x-a': {} },
        { 'x-b': { exact: 'w' } },
      ),
      queryParams: fc.constantFrom<Record<string, SM> | undefined>(
        undefined,
        { q: { exact: '1' } },
        { q: {} },
      ),
    },
    { requiredKeys: [] },
  )
  .map((m) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as Match)
const ruleArb: fc.Arbitrary<Rule> = fc.record({
  match: fc.option(fc.array(matchArb, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  route: fc.constant([{ destination: { host: 'svc' } }]),
})
const vsArb = (i: number): fc.Arbitrary<Vs> =>
  fc.record({
    name: fc.constant(`vs${i}`),
    hosts: fc.uniqueArray(
      fc.constantFrom('*', 'a.example.com', '*.example.com', 'b.example.com', 'c.other.com'),
      { minLength: 1, maxLength: 2 },
    ),
    gateways: fc.constantFrom<string[] | undefined>(['g'], ['g'], ['g'], undefined, ['other']),
    http: fc.array(ruleArb, { minLength: 1, maxLength: 14 }),
  })
const configArb = fc.record({
  serverHosts: fc.constantFrom<string[]>(
    ['*'],
    ['*.example.com'],
    ['a.example.com', 'b.example.com'],
    ['*.example.com', 'c.other.com'],
  ),
  vss: fc
    .integer({ min: 1, max: 4 })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => vsArb(i)))),
})
const reqArb: fc.Arbitrary<Req> = fc.record({
  authority: fc.constantFrom(
    'a.example.com',
    'A.example.com:8080',
    'b.example.com',
    'x.example.com',
    'example.com',
    'c.other.com',
    'z.com',
  ),
  path: fc.constantFrom('/', '/a', '/a/b', '/ab', '/A/b', '/b', '/api/v1', '/api/v2/x', '/api/'),
  query: fc.constantFrom('', 'q=1', 'q=2&q=1', 'q=1&q=2', 'q'),
  method: fc.constantFrom('GET', 'POST'),
  headers: fc.record(
    { 'x-a': fc.constantFrom('1', '2'), 'x-b': fc.constantFrom('v1', 'w') },
    { requiredKeys: [] },
  ) as fc.Arbitrary<Record<string, string>>,
})

describe('route() agrees with the reference interpreter', () => {
  it('for arbitrary configs and requests', () => {
    fc.assert(
      fc.property(
        configArb,
        fc.array(reqArb, { minLength: 1, maxLength: 20 }),
        ({ serverHosts, vss }, reqs) => {
          const resources: TestResource[] = [
            {
              kind: 'Gateway',
              metadata: { name: 'g' },
              spec: {
                servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: serverHosts }],
              },
            },
            ...vss.map(
              (v): TestResource => ({
                kind: 'VirtualService',
                metadata: { name: v.name },
                spec: {
                  hosts: v.hosts,
                  ...(v.gateways === undefined ? {} : { gateways: v.gateways }),
                  http: v.http,
                },
              }),
            ),
          ]
          const compiled = compileResources(resources)
          for (const r of reqs) {
            const expected = reference(serverHosts, vss, r)
            const target = r.query === '' ? r.path : `${r.path}?${r.query}`
            const d = route(
              compiled,
              facts(80, r.authority, target, { method: r.method, headers: r.headers }),
            )
            if (expected === undefined) {
              expect(d.kind).toBe('notFound')
            } else {
              expect(d.kind).toBe('route')
              if (d.kind !== 'route') return
              expect({
                vs: d.origin.virtualService.name,
                routeIndex: d.origin.routeIndex,
                matchIndex: d.origin.matchIndex,
              }).toEqual({
                vs: expected.vs,
                routeIndex: expected.routeIndex,
                matchIndex: expected.matchIndex,
              })
            }
          }
        },
      ),
      { numRuns: 400 },
    )
  })
})

describe('what is matched is what is forwarded (SECURITY-ANCHORS §1)', () => {
  const compiled = compileResources([
    {
      kind: 'Gateway',
      metadata: { name: 'g' },
      spec: { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] },
    },
    {
      kind: 'VirtualService',
      metadata: { name: 'v' },
      spec: {
        hosts: ['*'],
        gateways: ['g'],
        http: [
          { match: [{ uri: { prefix: '/admin' } }], directResponse: { status: 403 } },
          { route: [{ destination: { host: 'app' } }] },
        ],
      },
    },
  ])
  const pieces = [
    'a',
    '/',
    '//',
    '.',
    '..',
    '%2e',
    '%2E',
    '%2F',
    '%61',
    'admin',
    '%61dmin',
    '\\',
    ';x',
    '%00',
    '#f',
  ]
  const targetArb = fc
    .tuple(
      fc.array(fc.constantFrom(...pieces), { maxLength: 10 }),
      fc.constantFrom('', '?q=/../admin', '?a=1'),
    )
    .map(([p, q]) => `/${p.join('')}${q}`)
  it('upstreamPath is the matched, normalized path, and normalizing again changes nothing', () => {
    fc.assert(
      fc.property(targetArb, (target) => {
        const d = route(compiled, facts(80, 'h', target))
        if (d.kind === 'reject') return
        if (d.kind === 'route') {
          expect(d.upstreamPath).toBe(d.path)
          expect(d.path.split('?')[0]!.startsWith('/admin')).toBe(false)
        }
        const again = route(compiled, facts(80, 'h', d.path))
        expect(again.kind).toBe(d.kind)
        expect(again.path).toBe(d.path)
      }),
      { numRuns: 1000 },
    )
  })
})
