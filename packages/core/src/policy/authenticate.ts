import type { JWK } from 'jose'
import { sanitizeAudience } from './compile.js'
import { headerValue } from './matchers.js'
import type { CompiledPolicies, JsonWebKeySet, JwtProvider, RequestIdentity, TokenLocation } from './types.js'

/** jwt_verify_lib's status texts, which Envoy's jwt_authn answers with. */
export const JWT_STATUS = {
  missing: 'Jwt is missing',
  notYetValid: 'Jwt not yet valid',
  expired: 'Jwt is expired',
  badFormat: 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
  headerBadBase64: 'Jwt header is an invalid Base64url encoded',
  headerBadJson: 'Jwt header is an invalid JSON',
  headerBadAlg: 'Jwt header [alg] field is required and must be a string',
  headerNotImplementedAlg: 'Jwt header [alg] is not supported',
  headerBadKid: 'Jwt header [kid] field is not a string',
  payloadBadBase64: 'Jwt payload is an invalid Base64url encoded',
  payloadBadJson: 'Jwt payload is an invalid JSON',
  issNotString: 'Jwt payload [iss] field is not a string',
  subNotString: 'Jwt payload [sub] field is not a string',
  iatNotInteger: 'Jwt payload [iat] field is not an integer',
  iatOutOfRange: 'Jwt payload [iat] field is not a positive 64 bit integer',
  nbfNotInteger: 'Jwt payload [nbf] field is not an integer',
  nbfOutOfRange: 'Jwt payload [nbf] field is not a positive 64 bit integer',
  expNotInteger: 'Jwt payload [exp] field is not an integer',
  expOutOfRange: 'Jwt payload [exp] field is not a positive 64 bit integer',
  jtiNotString: 'Jwt payload [jti] field is not a string',
  audNotString: 'Jwt payload [aud] field is not a string or string list',
  signatureBadBase64: 'Jwt signature is an invalid Base64url encoded',
  unknownIssuer: 'Jwt issuer is not configured',
  audienceNotAllowed: 'Audiences in Jwt are not allowed',
  verificationFail: 'Jwt verification fails',
  jwksNoValidKeys: "Jwks doesn't have any valid public key",
  jwksKidAlgMismatch: "Jwks doesn't have key to match kid or alg from Jwt",
  jwksFetchFail: 'Jwks remote fetch is failed',
} as const

/** Envoy's default allowed clock skew for `nbf` and `exp`, in seconds. */
export const JWT_CLOCK_SKEW_SECONDS = 60

const IMPLEMENTED_ALGS = new Set([
  'ES256',
  'ES384',
  'ES512',
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
])

/** Where remote key sets come from (the server's cache; absent offline). */
export interface KeySource {
  /** The key set at `uri`, or `undefined` when it cannot be had (fetch failed, timed out, offline). */
  remote(uri: string, timeoutMs: number): Promise<JsonWebKeySet | undefined> | JsonWebKeySet | undefined
}

/** What authentication reads of a request. */
export interface AuthenticationInput {
  readonly method: string
  /** Lowercase header names. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>
  /** The query string without `?` (`''` when none). */
  readonly query: string
}

/** The outcome of authentication. */
export type AuthenticationResult =
  | {
      readonly ok: true
      /** The verified token's identity; absent when the request carried no token. */
      readonly identity?: RequestIdentity
      /** Request headers to remove (output headers a client sent, the token's header unless forwarded). */
      readonly removeHeaders: readonly string[]
      /** Request headers to set (outputPayloadToHeader, outputClaimToHeaders). */
      readonly setHeaders: readonly (readonly [string, string])[]
      /** Why there is no identity, or which provider and token location verified it (for explain). */
      readonly detail: string
    }
  | {
      readonly ok: false
      /** 401, or 403 for a token whose audience is not allowed. */
      readonly status: 401 | 403
      /** jwt_verify_lib's text, the body of the answer. */
      readonly message: string
      /** The provider whose check failed. */
      readonly provider?: string
      readonly detail: string
    }

interface FoundToken {
  readonly token: string
  readonly location: TokenLocation
}

interface Verified {
  readonly payload: Record<string, unknown>
  readonly payloadSection: string
}

type VerifyOutcome = { ok: true; verified: Verified } | { ok: false; status: string }

/**
 * Envoy's jwt_authn as Istio configures it for a gateway: each provider reads its own locations;
 * a request whose tokens are all valid for one provider is authenticated by it; a request with
 * no token at all passes without identity; otherwise the first provider (by issuer) that saw an
 * invalid token decides the answer: 401 with jwt_verify_lib's text, or 403 for a disallowed
 * audience. Output headers are removed from every request and set from the verified token; the
 * token's header is removed unless `forwardOriginalToken`. CORS preflights pass without a token.
 * Signatures are verified with `jose`; no I/O except through `keys`.
 */
export async function authenticate(
  policies: CompiledPolicies,
  input: AuthenticationInput,
  keys: KeySource,
  nowSeconds: number,
): Promise<AuthenticationResult> {
  const removeHeaders = [...policies.outputHeaders]
  if (policies.providers.length === 0)
    return { ok: true, removeHeaders, setHeaders: [], detail: 'no RequestAuthentication applies' }
  if (
    input.method === 'OPTIONS' &&
    headerValue(input.headers, 'origin') !== undefined &&
    headerValue(input.headers, 'access-control-request-method') !== undefined
  ) {
    return { ok: true, removeHeaders, setHeaders: [], detail: 'CORS preflight: authentication bypassed' }
  }
  let firstFailure: { provider: JwtProvider; status: string } | undefined
  let anyToken = false
  for (const provider of policies.providers) {
    const tokens = extractTokens(provider.locations, input)
    if (tokens.length === 0) continue
    anyToken = true
    let outcome: VerifyOutcome = { ok: false, status: JWT_STATUS.missing }
    let first: Verified | undefined
    // Envoy verifies the last extracted token first and stops at the first failure.
    for (let i = tokens.length - 1; i >= 0; i--) {
      outcome = await verifyToken(tokens[i]!.token, provider, keys, nowSeconds)
      if (!outcome.ok) break
      if (i === 0) first = outcome.verified
    }
    if (!outcome.ok) {
      firstFailure ??= { provider, status: outcome.status }
      continue
    }
    const verified = first ?? outcome.verified
    const setHeaders: [string, string][] = []
    if (provider.outputPayloadToHeader !== undefined)
      setHeaders.push([provider.outputPayloadToHeader, verified.payloadSection])
    for (const { header, claim } of provider.claimToHeaders) {
      const text = claimText(verified.payload[claim])
      if (text !== undefined && text !== '') setHeaders.push([header, text])
    }
    if (!provider.forward) {
      for (const t of tokens) if (t.location.kind === 'header') removeHeaders.push(t.location.name)
    }
    const iss = typeof verified.payload.iss === 'string' ? verified.payload.iss : ''
    const sub = typeof verified.payload.sub === 'string' ? verified.payload.sub : ''
    return {
      ok: true,
      identity: { principal: `${iss}/${sub}`, claims: verified.payload, provider: provider.name },
      removeHeaders,
      setHeaders,
      detail: `${provider.name} (issuer ${provider.issuer || '*'}, ${provider.policy.namespace}/${provider.policy.name} jwtRules[${provider.ruleIndex}]) verified the token from ${describeLocation(tokens[0]!.location)}`,
    }
  }
  if (!anyToken || firstFailure === undefined)
    return { ok: true, removeHeaders, setHeaders: [], detail: 'no token: passes without a request principal' }
  const { provider, status } = firstFailure
  return {
    ok: false,
    status: status === JWT_STATUS.audienceNotAllowed ? 403 : 401,
    message: status,
    provider: provider.name,
    detail: `${provider.name} (issuer ${provider.issuer || '*'}, ${provider.policy.namespace}/${provider.policy.name} jwtRules[${provider.ruleIndex}]): ${status}`,
  }
}

/** `header authorization (prefix "Bearer ")`, `query parameter access_token`, `cookie session`. */
export function describeLocation(location: TokenLocation): string {
  switch (location.kind) {
    case 'header':
      return location.prefix === ''
        ? `header ${location.name}`
        : `header ${location.name} (prefix ${JSON.stringify(location.prefix)})`
    case 'param':
      return `query parameter ${location.name}`
    case 'cookie':
      return `cookie ${location.name}`
  }
}

const TOKEN_CHARS = /[A-Za-z0-9\-_.]/

/**
 * Envoy's extractor for one provider: header locations (sorted by name and prefix), then query
 * parameters, then cookies (each sorted by name). A header value needs the prefix somewhere in
 * it; the token starts at the first base64url character after it. `Authorization: Basic …` has
 * no `Bearer ` prefix and so no token.
 */
export function extractTokens(locations: readonly TokenLocation[], input: AuthenticationInput): FoundToken[] {
  const out: FoundToken[] = []
  const headers = locations
    .filter((l): l is Extract<TokenLocation, { kind: 'header' }> => l.kind === 'header')
    .sort((a, b) => compare(a.name + a.prefix, b.name + b.prefix))
  for (const location of headers) {
    const raw = input.headers[location.name]
    const values = raw === undefined ? [] : typeof raw === 'string' ? [raw] : raw
    for (const value of values) {
      if (location.prefix === '') {
        out.push({ token: value, location })
        continue
      }
      const at = value.indexOf(location.prefix)
      if (at < 0) continue
      let start = at + location.prefix.length
      while (start < value.length && !TOKEN_CHARS.test(value[start]!)) start++
      out.push({ token: start < value.length ? value.slice(start) : value, location })
    }
  }
  const params = locations.filter((l) => l.kind === 'param').sort((a, b) => compare(a.name, b.name))
  if (params.length > 0 && input.query !== '') {
    for (const location of params) {
      const value = firstParam(input.query, location.name)
      if (value !== undefined) out.push({ token: value, location })
    }
  }
  const cookies = locations.filter((l) => l.kind === 'cookie').sort((a, b) => compare(a.name, b.name))
  if (cookies.length > 0) {
    const header = headerValue(input.headers, 'cookie')
    if (header !== undefined) {
      for (const location of cookies) {
        const value = cookieValue(header, location.name)
        if (value !== undefined) out.push({ token: value, location })
      }
    }
  }
  return out
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function firstParam(query: string, name: string): string | undefined {
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=')
    const key = eq < 0 ? pair : pair.slice(0, eq)
    if (decode(key) !== name) continue
    return decode(eq < 0 ? '' : pair.slice(eq + 1))
  }
  return undefined
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() !== name) continue
    let value = part.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    return value
  }
  return undefined
}

/** Envoy's claim-to-header text: strings as they are, integral numbers without a fraction, booleans. */
function claimText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value < 2 ** 64) return BigInt(value).toString()
    return value.toFixed(6)
  }
  return undefined
}

const B64URL = /^[A-Za-z0-9_-]*={0,2}$/

/** absl's `WebSafeBase64Unescape`: base64url with or without padding; `undefined` when malformed. */
function base64url(text: string): Buffer | undefined {
  if (!B64URL.test(text)) return undefined
  const body = text.replace(/=+$/, '')
  if (body.length % 4 === 1) return undefined
  if (text.length !== body.length && text.length % 4 !== 0) return undefined
  return Buffer.from(body, 'base64url')
}

function jsonObject(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'))
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

type UIntCheck = 'ok' | 'type' | 'range'

function uint64(payload: Record<string, unknown>, key: string): UIntCheck {
  if (!Object.hasOwn(payload, key)) return 'ok'
  const v = payload[key]
  if (typeof v !== 'number') return 'type'
  return v < 0 || v >= 2 ** 64 ? 'range' : 'ok'
}

interface ParsedJwt {
  readonly alg: string
  readonly kid: string
  readonly payload: Record<string, unknown>
  readonly payloadSection: string
  readonly iss: string
  readonly nbf: number
  readonly exp: number
  readonly audiences: readonly string[]
  readonly compact: string
}

/** jwt_verify_lib's `Jwt::parseFromString`, with its statuses. */
export function parseJwt(token: string): ParsedJwt | string {
  const sections = token.split('.').filter((s) => s !== '')
  if (sections.length !== 3) return JWT_STATUS.badFormat
  const [h, p, s] = sections as [string, string, string]
  const headerBytes = base64url(h)
  if (headerBytes === undefined) return JWT_STATUS.headerBadBase64
  const header = jsonObject(headerBytes)
  if (header === undefined) return JWT_STATUS.headerBadJson
  if (typeof header.alg !== 'string') return JWT_STATUS.headerBadAlg
  if (!IMPLEMENTED_ALGS.has(header.alg)) return JWT_STATUS.headerNotImplementedAlg
  if (Object.hasOwn(header, 'kid') && typeof header.kid !== 'string') return JWT_STATUS.headerBadKid
  const payloadBytes = base64url(p)
  if (payloadBytes === undefined) return JWT_STATUS.payloadBadBase64
  const payload = jsonObject(payloadBytes)
  if (payload === undefined) return JWT_STATUS.payloadBadJson
  if (Object.hasOwn(payload, 'iss') && typeof payload.iss !== 'string') return JWT_STATUS.issNotString
  if (Object.hasOwn(payload, 'sub') && typeof payload.sub !== 'string') return JWT_STATUS.subNotString
  const checks = [
    ['iat', JWT_STATUS.iatNotInteger, JWT_STATUS.iatOutOfRange],
    ['nbf', JWT_STATUS.nbfNotInteger, JWT_STATUS.nbfOutOfRange],
    ['exp', JWT_STATUS.expNotInteger, JWT_STATUS.expOutOfRange],
  ] as const
  for (const [key, notInteger, outOfRange] of checks) {
    const r = uint64(payload, key)
    if (r === 'type') return notInteger
    if (r === 'range') return outOfRange
  }
  if (Object.hasOwn(payload, 'jti') && typeof payload.jti !== 'string') return JWT_STATUS.jtiNotString
  let audiences: string[] = []
  if (Object.hasOwn(payload, 'aud')) {
    const aud = payload.aud
    if (typeof aud === 'string') audiences = [aud]
    else if (Array.isArray(aud) && aud.every((a) => typeof a === 'string')) audiences = aud as string[]
    else return JWT_STATUS.audNotString
  }
  if (base64url(s) === undefined) return JWT_STATUS.signatureBadBase64
  return {
    alg: header.alg,
    kid: typeof header.kid === 'string' ? header.kid : '',
    payload,
    payloadSection: p,
    iss: typeof payload.iss === 'string' ? payload.iss : '',
    nbf: typeof payload.nbf === 'number' ? Math.trunc(payload.nbf) : 0,
    exp: typeof payload.exp === 'number' ? Math.trunc(payload.exp) : 0,
    audiences,
    compact: `${h}.${p}.${s}`,
  }
}

/** Envoy's authenticator for one token and provider: parse, issuer, time, audience, keys, signature. */
async function verifyToken(
  token: string,
  provider: JwtProvider,
  keys: KeySource,
  now: number,
): Promise<VerifyOutcome> {
  const jwt = parseJwt(token)
  if (typeof jwt === 'string') return { ok: false, status: jwt }
  if (provider.issuer !== '' && jwt.iss !== provider.issuer)
    return { ok: false, status: JWT_STATUS.unknownIssuer }
  if (now + JWT_CLOCK_SKEW_SECONDS < jwt.nbf) return { ok: false, status: JWT_STATUS.notYetValid }
  if (jwt.exp !== 0 && now > jwt.exp + JWT_CLOCK_SKEW_SECONDS)
    return { ok: false, status: JWT_STATUS.expired }
  if (
    provider.audiences.length > 0 &&
    !jwt.audiences.some((a) => provider.audiences.includes(sanitizeAudience(a)))
  )
    return { ok: false, status: JWT_STATUS.audienceNotAllowed }
  let jwks: JsonWebKeySet | undefined
  if (provider.keys.kind === 'inline') jwks = provider.keys.jwks
  else {
    jwks = await keys.remote(provider.keys.uri, provider.keys.timeoutMs)
    if (jwks === undefined) return { ok: false, status: JWT_STATUS.jwksFetchFail }
  }
  const status = await verifySignature(jwt, jwks)
  return status === undefined
    ? { ok: true, verified: { payload: jwt.payload, payloadSection: jwt.payloadSection } }
    : { ok: false, status }
}

function keyFits(kty: unknown, crv: unknown, alg: string): boolean {
  if (kty === 'EC') return alg.startsWith('ES')
  if (kty === 'RSA') return alg.startsWith('RS') || alg.startsWith('PS')
  if (kty === 'oct') return alg.startsWith('HS')
  if (kty === 'OKP') return crv === 'Ed25519' && alg === 'EdDSA'
  return false
}

let jose: Promise<typeof import('jose')> | undefined
/** jose, loaded when the first token's signature is checked: a gateway without JWT rules never needs it. */
function loadJose(): Promise<typeof import('jose')> {
  jose ??= import('jose')
  return jose
}

const imported = new WeakMap<object, Map<string, Promise<unknown>>>()

function importOnce(jwk: Readonly<Record<string, unknown>>, alg: string): Promise<unknown> {
  let byAlg = imported.get(jwk)
  if (byAlg === undefined) {
    byAlg = new Map()
    imported.set(jwk, byAlg)
  }
  const known = byAlg.get(alg)
  if (known !== undefined) return known
  const key: Promise<unknown> = loadJose().then(({ importJWK }) => importJWK({ ...(jwk as JWK), alg }, alg))
  key.catch(() => {})
  byAlg.set(alg, key)
  return key
}

/** jwt_verify_lib's `verifyJwtWithoutTimeChecking`: keys by kid and alg, the first that verifies wins. */
async function verifySignature(jwt: ParsedJwt, jwks: JsonWebKeySet): Promise<string | undefined> {
  if (jwks.keys.length === 0) return JWT_STATUS.jwksNoValidKeys
  let matched = false
  for (const jwk of jwks.keys) {
    const kid = typeof jwk.kid === 'string' ? jwk.kid : ''
    if (jwt.kid !== '' && kid !== '' && kid !== jwt.kid) continue
    if (typeof jwk.alg === 'string' && jwk.alg !== '' && jwk.alg !== jwt.alg) continue
    matched = true
    if (!keyFits(jwk.kty, jwk.crv, jwt.alg)) continue
    try {
      const { compactVerify } = await loadJose()
      const key = (await importOnce(jwk, jwt.alg)) as Parameters<typeof compactVerify>[1]
      await compactVerify(jwt.compact, key, { algorithms: [jwt.alg] })
      return undefined
    } catch {
      // Not this key (or not a key jose can use): try the next one.
    }
  }
  return matched ? JWT_STATUS.verificationFail : JWT_STATUS.jwksKidAlgMismatch
}
