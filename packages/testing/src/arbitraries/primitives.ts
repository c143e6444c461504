import type { ObjectMeta, StringMatch } from '@portico/core'
import fc from 'fast-check'

/**
 * Size options shared by every arbitrary: `size` biases all list lengths the way fast-check's
 * own `size` does (`'xsmall'` … `'xlarge'`, or `'='` to follow the runner's setting).
 */
export interface SizeOptions {
  readonly size?: fc.SizeForArbitrary
}

/** An array arbitrary bounded by `max`, biased by the caller's size option. */
export function list<T>(
  item: fc.Arbitrary<T>,
  min: number,
  max: number,
  options: SizeOptions,
): fc.Arbitrary<T[]> {
  return fc.array(item, { minLength: min, maxLength: max, ...(options.size ? { size: options.size } : {}) })
}

/** A unique-by-key array bounded by `max`. */
export function uniqueList<T, K>(
  item: fc.Arbitrary<T>,
  selector: (value: T) => K,
  min: number,
  max: number,
  options: SizeOptions,
): fc.Arbitrary<T[]> {
  return fc.uniqueArray(item, {
    selector,
    minLength: min,
    maxLength: max,
    ...(options.size ? { size: options.size } : {}),
  })
}

const WORDS = ['httpbin', 'api', 'web', 'shop', 'reviews', 'ratings', 'auth', 'edge', 'billing', 'static']

/** A lowercase DNS-1123 label that starts with a letter (never an all-numeric top-level label). */
export const dnsLabel: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{0,6}[a-z0-9]$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z]$/) },
)

/** Namespaces the arbitraries place resources in (`undefined` = absent = `default`). */
export const namespaceName: fc.Arbitrary<string> = fc.constantFrom(
  'default',
  'prod',
  'team-a',
  'istio-system',
)

/** An `apiVersion` Istio serves the networking kinds under. */
export const networkingApiVersion = fc.constantFrom(
  'networking.istio.io/v1alpha3' as const,
  'networking.istio.io/v1beta1' as const,
  'networking.istio.io/v1' as const,
)

const TLDS = ['com', 'io', 'org', 'net', 'test'] as const

/** A two-label base domain such as `shop.io`. Distinct base domains never overlap as hosts. */
export const baseDomain: fc.Arbitrary<string> = fc
  .tuple(dnsLabel, fc.constantFrom(...TLDS))
  .map(([label, tld]) => `${label}.${tld}`)

/** A fully qualified name: a base domain with zero to two more labels in front. */
export const fqdn: fc.Arbitrary<string> = fc
  .tuple(fc.array(dnsLabel, { maxLength: 2 }), baseDomain)
  .map(([prefix, base]) => [...prefix, base].join('.'))

/** A host name inside `domain`: the domain itself or a name below it. */
export function hostUnder(domain: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant(domain),
    dnsLabel.map((label) => `${label}.${domain}`),
  )
}

/** Object metadata with a DNS-1123 name (a label when `label` is set) and an optional namespace. */
export function objectMeta(options: { readonly label?: boolean; readonly namespace?: string } = {}) {
  const name = options.label
    ? dnsLabel
    : fc.oneof(
        { weight: 4, arbitrary: dnsLabel },
        { weight: 1, arbitrary: fc.tuple(dnsLabel, dnsLabel).map(([a, b]) => `${a}.${b}`) },
      )
  return fc
    .record(
      {
        name,
        namespace: options.namespace === undefined ? namespaceName : fc.constant(options.namespace),
        labels: fc.dictionary(fc.constantFrom('app', 'team', 'example.com/tier'), dnsLabel, { maxKeys: 2 }),
      },
      { requiredKeys: ['name'] },
    )
    .map((meta): ObjectMeta => meta)
}

/** A valid Kubernetes label key (optionally with a DNS-subdomain prefix). */
export const labelKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('app', 'version', 'track', 'zone', 'example.com/tier', 'app.kubernetes.io/name'),
  fc.stringMatching(/^[a-z][a-z0-9_.-]{0,6}[a-z0-9]$/),
)

/** A valid Kubernetes label value (possibly empty). */
export const labelValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('v1', 'v2', 'v3', 'canary', 'stable', 'blue', 'green', ''),
  fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,6}[A-Za-z0-9])?$/),
)

/** A label map (subset labels, endpoint labels, source labels). */
export function labels(maxKeys = 3): fc.Arbitrary<Record<string, string>> {
  return fc.dictionary(labelKey, labelValue, { maxKeys })
}

/** A port number 1..65535. */
export const portNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(80, 443, 8000, 8080, 8443, 9080, 15443),
  fc.integer({ min: 1, max: 65535 }),
)

/** An IPv4 address (or occasionally IPv6). */
export const ipAddress: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.ipV4() },
  { weight: 1, arbitrary: fc.constantFrom('::1', '2001:db8::1', 'fd00::10') },
)

/** An IPv4 CIDR block. */
export const cidr: fc.Arbitrary<string> = fc
  .tuple(fc.ipV4(), fc.integer({ min: 8, max: 32 }))
  .map(([ip, bits]) => `${ip}/${bits}`)

/**
 * A duration Istio accepts: at least 1 ms and a whole number of milliseconds, written in the
 * ways users write them (`250ms`, `3s`, `1.5s`, `2m`, `1h30m`).
 */
export function duration(options: { readonly maxMs?: number } = {}): fc.Arbitrary<string> {
  const maxMs = options.maxMs ?? 3_600_000
  return fc.oneof(
    fc.integer({ min: 1, max: Math.min(maxMs, 5_000) }).map((ms) => `${ms}ms`),
    fc.integer({ min: 1, max: Math.min(maxMs, 5_000) }).map((ms) => `${ms * 1000}us`),
    fc.integer({ min: 1, max: Math.min(maxMs, 5_000) }).map((ms) => `${ms}000000ns`),
    fc.integer({ min: 1, max: Math.max(1, Math.floor(maxMs / 1000)) }).map((s) => `${s}s`),
    fc.integer({ min: 1, max: Math.min(maxMs, 60_000) }).map((ms) => `${ms / 1000}s`),
    fc.integer({ min: 1, max: Math.max(1, Math.floor(maxMs / 60_000)) }).map((m) => `${m}m`),
    fc.constantFrom('1h30m', '1m30s', '2s500ms', '1h').filter((d) => maxMs >= 3_600_000 || !d.includes('h')),
  )
}

/** A duration in whole seconds (CORS `maxAge`). */
export const durationSeconds: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 1, max: 86_400 }).map((s) => `${s}s`),
  fc.integer({ min: 1, max: 1440 }).map((m) => `${m}m`),
  fc.integer({ min: 1, max: 24 }).map((h) => `${h}h`),
)

/** A percentage Istio accepts for faults: 0 or in [0.0001, 100], with at most four decimals. */
export const faultPercentage: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, 100, 50, 0.1, 12.5),
  fc.integer({ min: 1, max: 1_000_000 }).map((n) => n / 10_000),
)

/** A percentage 0..100 (mirrors), with at most two decimals. */
export const mirrorPercentage: fc.Arbitrary<number> = fc.integer({ min: 0, max: 10_000 }).map((n) => n / 100)

/** A header name Istio accepts in matches and header operations (never `host`, never a pseudo-header). */
export const headerName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'x-user',
    'X-Api-Key',
    'x-canary',
    'user-agent',
    'x-tenant',
    'end-user',
    'x-debug',
    'Accept',
  ),
  fc.stringMatching(/^x-[a-z][a-z0-9-]{0,8}$/),
)

/** A header value without control characters; `%` only as `%%` or an Envoy variable. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._:/=-]{0,14}[A-Za-z0-9]$/) },
  { weight: 2, arbitrary: fc.constantFrom('1', 'true', 'v2', 'application/json') },
  { weight: 1, arbitrary: fc.constantFrom('100%%', '%DOWNSTREAM_REMOTE_ADDRESS%', '%REQ(x-request-id)%') },
)

/** A value that request facts can carry and a match can compare: letters, digits, `-`, `_`, `.`. */
export const plainValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('v1', 'v2', 'alice', 'bob', 'beta', 'true', 'mobile'),
  fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,8}$/),
)

/** A path segment without dot segments or characters that need escaping. */
export const pathSegment: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'status',
      'delay',
      'api',
      'v1',
      'v2',
      'headers',
      'get',
      'anything',
      'users',
      'items',
    ),
  },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,6}$/) },
)

/** An absolute path of one to three segments, sometimes with a trailing slash. */
export const path: fc.Arbitrary<string> = fc
  .tuple(fc.array(pathSegment, { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([segments, slash]) => `/${segments.join('/')}${slash ? '/' : ''}`)

/**
 * An RE2 pattern built from literal segments, character classes and alternations, mostly also a
 * JavaScript pattern with the same meaning; sometimes `(?i)` in front or RE2-only syntax
 * (`(?P<id>…)`, `[[:digit:]]`, `\pL`, `\Q…\E`, `(?i:…)`). No `.`, so witnesses stay printable.
 */
export function regex(options: { readonly path?: boolean } = {}): fc.Arbitrary<string> {
  const literal = pathSegment.map((s) => s.replaceAll('-', '\\-'))
  const atom = fc.oneof(
    { weight: 3, arbitrary: literal },
    {
      weight: 2,
      arbitrary: fc.constantFrom('[0-9]+', '[a-z]+', '[a-z0-9]*', '[0-9]{1,3}', '[A-Za-z0-9_-]+'),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(literal, literal).map(([a, b]) => (a === b ? a : `(${a}|${b})`)),
    },
    // RE2 syntax JavaScript lacks or reads differently (Istio validates with RE2).
    {
      weight: 1,
      arbitrary: fc.constantFrom('(?P<id>[0-9]+)', '[[:digit:]]+', '\\pL+', '\\Qv1.0\\E', '(?i:abc)'),
    },
  )
  const body = options.path
    ? fc
        .tuple(fc.array(atom, { minLength: 1, maxLength: 3 }), fc.boolean())
        .map(([atoms, tail]) => `/${atoms.join('/')}${tail ? '(/[a-z0-9/]*)?' : ''}`)
    : fc.array(atom, { minLength: 1, maxLength: 2 }).map((atoms) => atoms.join(''))
  return fc.tuple(body, fc.integer({ min: 0, max: 9 })).map(([pattern, flag]) => {
    // Capture group names must be unique within a pattern.
    let n = 0
    const named = pattern.replaceAll('(?P<id>', () => `(?P<id${++n}>`)
    return flag === 0 ? `(?i)${named}` : named
  })
}

/**
 * A `StringMatch` of the given shape: `exact`, `prefix` (non-empty unless `emptyPrefix`), or
 * `regex` (non-empty, RE2), over values drawn from `value`.
 */
export function stringMatch(
  value: fc.Arbitrary<string>,
  pattern: fc.Arbitrary<string>,
  options: { readonly presence?: boolean } = {},
): fc.Arbitrary<StringMatch> {
  const kinds: fc.Arbitrary<StringMatch>[] = [
    value.map((exact) => ({ exact })),
    value.filter((v) => v !== '').map((prefix) => ({ prefix })),
    pattern.map((regex) => ({ regex })),
  ]
  if (options.presence) kinds.push(fc.constant({}))
  return fc.oneof(...kinds)
}

/** Unique, non-overlapping VirtualService hosts: one per distinct base domain, or a short name. */
export function virtualServiceHosts(options: SizeOptions & { readonly max?: number } = {}) {
  const entry = fc.oneof(
    {
      weight: 5,
      arbitrary: baseDomain.chain((d) =>
        fc.tuple(fc.constant(d), fc.oneof(hostUnder(d), fc.constant(`*.${d}`))),
      ),
    },
    { weight: 1, arbitrary: dnsLabel.map((short) => [short, short] as const) },
    { weight: 1, arbitrary: fc.ipV4().map((ip) => [ip, ip] as const) },
  )
  return uniqueList(entry, ([key]) => key, 1, options.max ?? 3, options).map((entries) =>
    entries.map(([, host]) => host),
  )
}

type Values<T extends Record<string, fc.Arbitrary<unknown>>> = {
  [K in keyof T]?: T[K] extends fc.Arbitrary<infer U> ? U : never
}

/**
 * A record with at most `max` of the model's keys (a random few, not most of them, as real
 * configs set few fields per object).
 */
export function sparseRecord<T extends Record<string, fc.Arbitrary<unknown>>>(
  model: T,
  max: number,
): fc.Arbitrary<Values<T>> {
  const keys = Object.keys(model)
  return fc
    .shuffledSubarray(keys, { maxLength: max })
    .chain(
      (chosen) => fc.record(Object.fromEntries(chosen.map((k) => [k, model[k]!]))) as fc.Arbitrary<Values<T>>,
    )
}
