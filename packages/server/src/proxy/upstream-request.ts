import type { ForwardDecision, HeaderOpSet } from '@portico/core'
import type { HeaderRecord, Upstreamable } from '../types.js'
import type { HashInput } from './balancer.js'
import {
  appendForwardedFor,
  applyHeaderOps,
  endToEnd,
  ensureRequestId,
  type FormatVars,
  headerText,
  REQUEST_DROP,
} from './headers.js'

/** Bodies up to this size are buffered so that a retry or a mirror can replay them. */
export const REPLAY_LIMIT = 64 * 1024

/**
 * The headers of the upstream request: the client's end-to-end headers, `x-forwarded-for` and
 * `-proto`, a request id, `x-envoy-original-path` after a rewrite, the route's and destination's
 * operations, and the authority (a `host` an operation sets wins over the rewrite's). gRPC's
 * `te: trailers` passes to an HTTP/2 upstream.
 */
export function upstreamHeaders(
  req: Upstreamable,
  peer: string | undefined,
  scheme: 'http' | 'https',
  decision: ForwardDecision,
  ops: readonly HeaderOpSet[],
  vars: FormatVars,
  h2: boolean,
): HeaderRecord {
  const headers = endToEnd(req.headers, REQUEST_DROP)
  appendForwardedFor(headers, peer)
  headers['x-forwarded-proto'] = scheme
  ensureRequestId(headers)
  if (decision.upstreamPath !== decision.path) headers['x-envoy-original-path'] = decision.path
  let authority = decision.upstreamAuthority
  applyHeaderOps(headers, ops, vars)
  const hostOverride = headers.host ?? headers[':authority']
  if (hostOverride !== undefined) {
    authority = Array.isArray(hostOverride) ? (hostOverride[0] ?? authority) : hostOverride
    delete headers[':authority']
  }
  headers.host = authority
  // gRPC servers require `te: trailers`, the one TE value HTTP/2 allows.
  if (h2 && headerText(req.headers, 'te')?.toLowerCase() === 'trailers') headers.te = 'trailers'
  return headers
}

/** Whether a request body is small enough to buffer for a replay (a known length within the limit). */
export function fitsReplayBuffer(req: Upstreamable): boolean {
  const length = Number(headerText(req.headers, 'content-length') ?? Number.NaN)
  return Number.isFinite(length) && length <= REPLAY_LIMIT
}

/** Reads a small request body whole; `undefined` when the client went away mid-body. */
export function readBody(req: Upstreamable): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.once('end', () => resolve(Buffer.concat(chunks)))
    req.once('error', () => resolve(undefined))
    req.once('aborted', () => resolve(undefined))
    req.once('close', () => {
      if (!req.complete) resolve(undefined)
    })
  })
}

/** What consistent hashing (and a mirror's endpoint choice) reads of a request. */
export function hashInput(req: Upstreamable, path: string, peer: string | undefined): HashInput {
  return {
    sourceAddress: peer,
    header: (name) => headerText(req.headers, name),
    cookie: (name) => {
      const cookie = headerText(req.headers, 'cookie')
      if (cookie === undefined) return undefined
      for (const part of cookie.split(';')) {
        const eq = part.indexOf('=')
        if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
      }
      return undefined
    },
    queryParam: (name) => {
      const q = path.indexOf('?')
      return q < 0 ? undefined : (new URLSearchParams(path.slice(q + 1)).get(name) ?? undefined)
    },
  }
}
