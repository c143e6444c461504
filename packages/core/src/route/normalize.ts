import type { PathPolicy } from '../compile/types.js'

/** The result of normalizing one request target. */
export type NormalizedTarget =
  | {
      readonly ok: true
      /** Normalized path, without the query. */
      readonly path: string
      /** Query without `?` (`''` when none). Never normalized. */
      readonly query: string
      /** Set by `UNESCAPE_AND_REDIRECT` when unescaping changed the path: answer a redirect to it. */
      readonly redirect?: boolean
    }
  | { readonly ok: false; readonly reason: string }

const HEX = new Int8Array(128).fill(-1)
for (let i = 0; i < 10; i++) HEX[48 + i] = i
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i
  HEX[97 + i] = 10 + i
}

/** RFC 3986 unreserved: ALPHA / DIGIT / `-` / `.` / `_` / `~` (decoded once by BASE). */
function isUnreserved(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5f ||
    c === 0x7e
  )
}

/** Characters Envoy's (Chromium's) path canonicalizer escapes instead of passing through. */
function escapeOf(c: number): string | undefined {
  switch (c) {
    case 0x20:
      return '%20'
    case 0x22:
      return '%22'
    case 0x3c:
      return '%3C'
    case 0x3e:
      return '%3E'
    case 0x60:
      return '%60'
    default:
      return undefined
  }
}

const OK_EMPTY_QUERY = ''

/**
 * Splits a request target at `?`, strips or rejects a fragment and normalizes the path as the
 * policy says. Never throws; a target that cannot be normalized (no leading `/`, invalid or NUL
 * percent-encoding, control characters, or a fragment under `fragment: 'reject'`) gives
 * `{ ok: false }`, which the router answers with 400.
 */
export function normalizeTarget(target: string, policy?: PathPolicy): NormalizedTarget {
  const mode = policy?.normalization ?? 'BASE'
  let end = target.length
  const hash = target.indexOf('#')
  if (hash !== -1) {
    if (policy?.fragment === 'reject') return { ok: false, reason: 'fragment in request target' }
    end = hash
  }
  let q = target.indexOf('?')
  if (q >= end) q = -1
  const rawPath = q === -1 ? (end === target.length ? target : target.slice(0, end)) : target.slice(0, q)
  const query = q === -1 ? OK_EMPTY_QUERY : target.slice(q + 1, end)
  if (rawPath.charCodeAt(0) !== 0x2f) return { ok: false, reason: 'path does not start with /' }
  if (mode === 'NONE') return { ok: true, path: rawPath, query }

  const escaped =
    policy?.escapedSlashes ??
    (mode === 'DECODE_AND_MERGE_SLASHES' ? 'UNESCAPE_AND_FORWARD' : 'KEEP_UNCHANGED')
  const merge = mode === 'MERGE_SLASHES' || mode === 'DECODE_AND_MERGE_SLASHES'
  const decodeSlashes = mode === 'DECODE_AND_MERGE_SLASHES' || escaped !== 'KEEP_UNCHANGED'

  // Fast path: nothing that any step would change.
  let needsWork = false
  for (let i = 0; i < rawPath.length; i++) {
    const c = rawPath.charCodeAt(i)
    if (c === 0x25 || c === 0x5c || c <= 0x20 || c >= 0x7f || escapeOf(c) !== undefined) {
      needsWork = true
      break
    }
    if (c === 0x2f) {
      const n = rawPath.charCodeAt(i + 1)
      if (n === 0x2e || (merge && n === 0x2f)) {
        needsWork = true
        break
      }
    }
  }
  if (!needsWork) return { ok: true, path: rawPath, query }

  // 1. Percent-decoding: unreserved characters once; %2F/%5C per policy; %00 and malformed escapes rejected.
  let decoded = ''
  let unescapedSlash = false
  for (let i = 0; i < rawPath.length; i++) {
    const c = rawPath.charCodeAt(i)
    if (c <= 0x1f || c >= 0x7f) return { ok: false, reason: 'invalid character in path' }
    if (c === 0x25) {
      const h = rawPath.charCodeAt(i + 1)
      const l = rawPath.charCodeAt(i + 2)
      const hv = h < 128 ? (HEX[h] ?? -1) : -1
      const lv = l < 128 ? (HEX[l] ?? -1) : -1
      if (hv < 0 || lv < 0) return { ok: false, reason: 'invalid percent-encoding in path' }
      const v = hv * 16 + lv
      if (v === 0) return { ok: false, reason: 'percent-encoded NUL in path' }
      if (isUnreserved(v)) {
        decoded += String.fromCharCode(v)
      } else if ((v === 0x2f || v === 0x5c) && decodeSlashes) {
        if (escaped === 'REJECT_REQUEST') return { ok: false, reason: 'escaped slash in path' }
        unescapedSlash = true
        decoded += '/'
      } else {
        decoded += rawPath.slice(i, i + 3)
      }
      i += 2
      continue
    }
    if (c === 0x5c) {
      decoded += '/'
      continue
    }
    const e = escapeOf(c)
    decoded += e ?? rawPath[i]
  }

  // 2. RFC 3986 remove_dot_segments; a segment `..;params` / `.;params` counts as a dot segment.
  const segments = decoded.split('/')
  const out: string[] = []
  let trailingSlash = false
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!
    const last = i === segments.length - 1
    const semi = seg.indexOf(';')
    const core = semi === -1 ? seg : seg.slice(0, semi)
    if (core === '.') {
      if (last) trailingSlash = true
      continue
    }
    if (core === '..') {
      out.pop()
      if (last) trailingSlash = true
      continue
    }
    out.push(seg)
  }
  let path = `/${out.join('/')}`
  if (trailingSlash && out.length > 0) path += '/'

  // 3. Merge repeated slashes.
  if (merge && path.includes('//')) path = path.replace(/\/{2,}/g, '/')

  if (unescapedSlash && escaped === 'UNESCAPE_AND_REDIRECT') return { ok: true, path, query, redirect: true }
  return { ok: true, path, query }
}
