import { randomFillSync } from 'node:crypto'
import type { HeaderOpSet } from '@portico/core'
import type { HeaderRecord, HeaderValue } from '../types.js'

/**
 * Hop-by-hop and connection-specific fields, removed in both directions (RFC 9110 7.6.1, and
 * the fields HTTP/2 forbids). `upgrade` and `http2-settings` also carry the h2c-smuggling vector.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
])

function nominated(connection: HeaderValue | undefined): Set<string> | undefined {
  if (connection === undefined) return undefined
  // The usual values name no other field (both are dropped as hop-by-hop anyway).
  if (connection === 'keep-alive' || connection === 'close') return undefined
  const value = Array.isArray(connection) ? connection.join(',') : connection
  const names = new Set<string>()
  for (const part of value.split(',')) {
    const name = part.trim().toLowerCase()
    if (name !== '') names.add(name)
  }
  return names
}

/**
 * Copies end-to-end fields: drops pseudo headers, hop-by-hop fields, the fields the
 * `Connection` header names, and any name in `drop`.
 */
export function endToEnd(
  headers: Readonly<Record<string, string | string[] | number | undefined>>,
  drop?: ReadonlySet<string>,
): HeaderRecord {
  const named = nominated(headers.connection as HeaderValue | undefined)
  const out: HeaderRecord = {}
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined) continue
    if (name.charCodeAt(0) === 58 /* : */ || HOP_BY_HOP.has(name)) continue
    if (named?.has(name) || drop?.has(name)) continue
    out[name] = typeof value === 'number' ? String(value) : value
  }
  return out
}

/**
 * Request fields the gateway owns and never copies from the client, with the internal-only
 * `x-envoy-*` controls Envoy strips from a request of an external client (at an Istio gateway
 * every client is external by default): a client cannot ask for retries or timeouts.
 */
export const REQUEST_DROP: ReadonlySet<string> = new Set([
  'host',
  'expect',
  'x-forwarded-proto',
  'x-forwarded-client-cert',
  'x-envoy-attempt-count',
  'x-envoy-original-path',
  'x-envoy-retry-on',
  'x-envoy-retry-grpc-on',
  'x-envoy-max-retries',
  'x-envoy-retriable-status-codes',
  'x-envoy-retriable-header-names',
  'x-envoy-upstream-rq-timeout-ms',
  'x-envoy-upstream-rq-per-try-timeout-ms',
  'x-envoy-upstream-rq-timeout-alt-response',
  'x-envoy-expected-rq-timeout-ms',
  'x-envoy-hedge-on-per-try-timeout',
  'x-envoy-upstream-alt-stat-name',
  'x-envoy-force-trace',
  'x-envoy-ip-tags',
  'x-envoy-original-url',
  'x-envoy-decorator-operation',
  'x-envoy-downstream-service-cluster',
  'x-envoy-downstream-service-node',
])

/**
 * Applies Envoy-style header operations: removals first, then `set` (overwrite), then `add`
 * (another field line of the same name). Values go through {@link format}.
 */
export function applyHeaderOps(headers: HeaderRecord, ops: readonly HeaderOpSet[], vars?: FormatVars): void {
  for (const op of ops) for (const name of op.remove) delete headers[name]
  for (const op of ops) {
    for (const [name, value] of op.set) headers[name] = format(value, vars)
    for (const [name, value] of op.add) {
      const current = headers[name]
      const formatted = format(value, vars)
      if (current === undefined) headers[name] = formatted
      else if (Array.isArray(current)) current.push(formatted)
      else headers[name] = [current, formatted]
    }
  }
}

/** Values an Envoy header formatter can substitute. */
export interface FormatVars {
  readonly remoteAddress?: string
  readonly localAddress?: string
  readonly protocol?: string
}

/** Substitutes the common `%VAR%` formatters; `%%` is a literal `%`; unknown ones stay as written. */
export function format(value: string, vars: FormatVars | undefined): string {
  if (!value.includes('%')) return value
  return value.replace(/%([A-Z_]*)%/g, (whole, name: string) => {
    switch (name) {
      case '':
        return '%'
      case 'HOSTNAME':
        return process.env.HOSTNAME ?? 'localhost'
      case 'DOWNSTREAM_REMOTE_ADDRESS':
      case 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT':
        return vars?.remoteAddress ?? whole
      case 'DOWNSTREAM_LOCAL_ADDRESS':
      case 'DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT':
        return vars?.localAddress ?? whole
      case 'PROTOCOL':
        return vars?.protocol ?? whole
      case 'START_TIME':
        return new Date().toISOString()
      default:
        return whole
    }
  })
}

/** Appends the peer to `x-forwarded-for` (Envoy with `use_remote_address` and no trusted hops). */
export function appendForwardedFor(headers: HeaderRecord, peer: string | undefined): void {
  if (peer === undefined) return
  const current = headers['x-forwarded-for']
  const joined = Array.isArray(current) ? current.join(',') : current
  headers['x-forwarded-for'] = joined === undefined || joined === '' ? peer : `${joined},${peer}`
}

/**
 * The client address Envoy trusts with `use_remote_address` and `xff_num_trusted_hops` (Istio's
 * `gatewayTopology.numTrustedProxies`): with 0 hops the socket peer; with n, the n-th address from
 * the right of the `x-forwarded-for` received, or the peer when the header has fewer entries.
 */
export function trustedClientAddress(
  forwardedFor: string | readonly string[] | undefined,
  peer: string | undefined,
  trustedHops: number,
): string | undefined {
  if (trustedHops <= 0 || forwardedFor === undefined) return peer
  const entries = (typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(',')).split(',')
  const entry = entries[entries.length - trustedHops]?.trim()
  return entry === undefined || entry === '' ? peer : entry
}

/** Keeps a client's `x-request-id`, or generates a UUID. */
export function ensureRequestId(headers: HeaderRecord): string {
  const current = headers['x-request-id']
  const value = Array.isArray(current) ? current[0] : current
  if (value !== undefined && value !== '') {
    headers['x-request-id'] = value
    return value
  }
  const id = requestId()
  headers['x-request-id'] = id
  return id
}

/** UUIDs drawn per refill of the random pool. */
const UUID_BATCH = 256
/** 16 random bytes per UUID, refilled from the CSPRNG once per batch. */
const uuidRandom = Buffer.allocUnsafeSlow(16 * UUID_BATCH)
let uuidNext = UUID_BATCH
/** The UUID's text, written in place and read out as one flat string. */
const uuidText = Buffer.allocUnsafeSlow(36)
/** Two lower-case hex digits per byte value. */
const HEX_PAIRS = Buffer.from(
  Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')).join(''),
  'latin1',
)

/**
 * A random (version 4) UUID, the format and randomness of `crypto.randomUUID()`: 122 random bits
 * from the CSPRNG, drawn in batches. Written into a reused buffer and read out as one string, where
 * `randomUUID()` joins twenty pieces into a string that is flattened again when it is sent.
 */
export function requestId(): string {
  if (uuidNext === UUID_BATCH) {
    randomFillSync(uuidRandom)
    uuidNext = 0
  }
  const at = uuidNext++ * 16
  const out = uuidText
  let o = 0
  for (let i = 0; i < 16; i++) {
    let byte = uuidRandom[at + i]!
    if (i === 6) byte = (byte & 0x0f) | 0x40
    else if (i === 8) byte = (byte & 0x3f) | 0x80
    out[o++] = HEX_PAIRS[byte * 2]!
    out[o++] = HEX_PAIRS[byte * 2 + 1]!
    if (i === 3 || i === 5 || i === 7 || i === 9) out[o++] = 45 /* - */
  }
  return out.toString('latin1', 0, 36)
}

/** First value of a header. */
export function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** A request header as one string (repeated values joined with commas). */
export function headerText(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value.join(',') : value
}
