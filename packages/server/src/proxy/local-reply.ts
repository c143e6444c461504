import type { HeaderOpSet } from '@portico/core'
import { observeFlag, observeResponse, observeUpstreamFailure } from '../events/request.js'
import type { Downstream, HeaderRecord } from '../types.js'
import { applyHeaderOps } from './headers.js'
import type { AttemptFailure } from './retry.js'

/** Envoy's local reply bodies, so clients and scripts see the same words. */
export const LOCAL_BODY = {
  noHealthyUpstream: 'no healthy upstream',
  timeout: 'upstream request timeout',
  faultAbort: 'fault filter abort',
  upgradeRequired: 'Upgrade Required',
  connectError: 'upstream connect error or disconnect/reset before headers. ',
  overloaded: 'envoy overloaded',
} as const

/** Envoy's header on a reply to a request a circuit breaker dropped. */
const OVERLOADED: HeaderRecord = { 'x-envoy-overloaded': 'true' }

/**
 * Answers a request from the gateway itself: status, optional body (`text/plain` unless the
 * route's response operations set a content type), `server`, `content-length`; `date` is added
 * by Node. Does nothing when the response has already started or the client went away.
 */
export function localReply(
  res: Downstream,
  status: number,
  serverHeader: string | false,
  body?: string | Uint8Array,
  ops?: readonly HeaderOpSet[],
  extra?: HeaderRecord,
): void {
  if (res.headersSent || res.destroyed || res.writableEnded) return
  const headers: HeaderRecord = extra === undefined ? {} : { ...extra }
  if (ops !== undefined && ops.length > 0) applyHeaderOps(headers, ops)
  const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body
  if (payload !== undefined && payload.byteLength > 0 && headers['content-type'] === undefined) {
    headers['content-type'] = 'text/plain'
  }
  if (serverHeader !== false) headers.server = serverHeader
  headers['content-length'] = String(status === 204 || status === 304 ? 0 : (payload?.byteLength ?? 0))
  const observation = observeResponse(res)
  if (observation !== undefined) observation.bytesSent += payload?.byteLength ?? 0
  try {
    res.writeHead(status, headers)
    if (payload !== undefined && payload.byteLength > 0) res.end(payload)
    else res.end()
  } catch {
    res.destroy()
  }
}

/**
 * Answers a request whose upstream attempts all failed, as Envoy does: 503 UO with
 * `x-envoy-overloaded` when a circuit breaker refused it, 504 UT after a route or per-try
 * timeout, 502 UPE after a protocol error, 503 (UF, UC) otherwise, with the reset reason in the
 * body; URX when every allowed attempt was made.
 */
export function replyUpstreamFailure(
  res: Downstream,
  server: string | false,
  failure: AttemptFailure | undefined,
  detail: string | undefined,
  hasRetried: boolean,
  maxAttempts: number,
): void {
  if (failure === 'overflow') {
    // A circuit breaker refused the request (Envoy's pool overflow): 503 UO, x-envoy-overloaded.
    observeFlag(res, 'UO')
    const prefix = hasRetried ? 'retried and the latest reset reason: ' : 'reset reason: '
    localReply(res, 503, server, `${LOCAL_BODY.connectError}${prefix}overflow`, undefined, OVERLOADED)
    return
  }
  observeUpstreamFailure(res, failure, maxAttempts)
  if (failure === 'route-timeout' || failure === 'per-try-timeout') {
    localReply(res, 504, server, LOCAL_BODY.timeout)
    return
  }
  const retried = maxAttempts > 1 ? 'retried and the latest reset reason: ' : 'reset reason: '
  const body = `${LOCAL_BODY.connectError}${retried}${detail ?? 'connection termination'}`
  localReply(res, failure === 'protocol' ? 502 : 503, server, body)
}
