import type { JsonWebKeySet, KeySource } from '@portico/core'
import { parseJwks } from '@portico/core'
import type { Logger } from '../types.js'

/** Options of {@link createJwksCache}. */
export interface JwksCacheOptions {
  /** How long fetched keys are used before a refresh is started (Envoy's `cache_duration` as Istio sets it: 5 minutes). */
  readonly refreshMs?: number
  /** After a failed fetch with nothing cached, how long requests answer without trying again (default 1 s). */
  readonly retryAfterMs?: number
  /** The largest key set accepted, in bytes (default 1 MiB). */
  readonly maxBytes?: number
  readonly logger?: Logger
  /** The clock, in ms (tests). */
  readonly now?: () => number
}

/** Remote key sets for `jwksUri` rules: a {@link KeySource} with a cache, and `close()`. */
export interface JwksCache extends KeySource {
  /** Fetches that reached the key server (for metrics and tests). */
  readonly fetches: number
  /** Aborts fetches in flight. */
  close(): void
}

interface Entry {
  keys: JsonWebKeySet | undefined
  fetchedAt: number
  failedAt: number
  inflight: Promise<JsonWebKeySet | undefined> | undefined
}

/** Envoy's `cache_duration` for remote JWKS as Istio configures it. */
export const JWKS_REFRESH_MS = 5 * 60_000

/**
 * Remote JWKS for the gateway: fetched once per URI and shared by every request; used for
 * `refreshMs`, then refreshed in the background while the old keys keep serving (a refresh that
 * fails keeps them). With nothing cached, a request waits for the fetch at most the rule's
 * timeout (Istio's default 5 s); when it fails, requests carrying a token for that issuer get
 * 401 "Jwks remote fetch is failed" without waiting again for `retryAfterMs`. A request never
 * waits longer than the timeout, whatever the key server does.
 */
export function createJwksCache(options: JwksCacheOptions = {}): JwksCache {
  const refreshMs = options.refreshMs ?? JWKS_REFRESH_MS
  const retryAfterMs = options.retryAfterMs ?? 1000
  const maxBytes = options.maxBytes ?? 1 << 20
  const now = options.now ?? Date.now
  const entries = new Map<string, Entry>()
  const controllers = new Set<AbortController>()
  let fetches = 0
  let closed = false

  const fetchKeys = async (uri: string, timeoutMs: number): Promise<JsonWebKeySet | undefined> => {
    const controller = new AbortController()
    controllers.add(controller)
    const timer = setTimeout(() => controller.abort(), timeoutMs)
    fetches++
    try {
      const response = await fetch(uri, {
        signal: controller.signal,
        headers: { accept: 'application/json' },
      })
      if (response.status !== 200) throw new Error(`status ${response.status}`)
      const body = await readLimited(response, maxBytes)
      const keys = parseJwks(body)
      if (typeof keys === 'string') throw new Error(keys)
      return { keys }
    } catch (error) {
      options.logger?.warn({ err: error, uri }, 'JWKS fetch failed')
      return undefined
    } finally {
      clearTimeout(timer)
      controllers.delete(controller)
    }
  }

  const start = (uri: string, entry: Entry, timeoutMs: number): Promise<JsonWebKeySet | undefined> => {
    if (entry.inflight !== undefined) return entry.inflight
    const inflight = fetchKeys(uri, timeoutMs).then((keys) => {
      entry.inflight = undefined
      if (keys !== undefined) {
        entry.keys = keys
        entry.fetchedAt = now()
      } else {
        entry.failedAt = now()
      }
      return entry.keys
    })
    entry.inflight = inflight
    return inflight
  }

  return {
    get fetches() {
      return fetches
    },
    remote(uri, timeoutMs) {
      if (closed) return undefined
      let entry = entries.get(uri)
      if (entry === undefined) {
        entry = { keys: undefined, fetchedAt: 0, failedAt: Number.NEGATIVE_INFINITY, inflight: undefined }
        entries.set(uri, entry)
      }
      if (entry.keys !== undefined) {
        if (now() - entry.fetchedAt >= refreshMs && now() - entry.failedAt >= retryAfterMs)
          void start(uri, entry, timeoutMs)
        return entry.keys
      }
      if (entry.inflight !== undefined) return entry.inflight
      if (now() - entry.failedAt < retryAfterMs) return undefined
      return start(uri, entry, timeoutMs)
    },
    close() {
      closed = true
      for (const c of controllers) c.abort()
    },
  }
}

async function readLimited(response: Response, maxBytes: number): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? Number.NaN)
  if (length > maxBytes) throw new Error(`key set larger than ${maxBytes} bytes`)
  const reader = response.body?.getReader()
  if (reader === undefined) return ''
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel()
      throw new Error(`key set larger than ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}
