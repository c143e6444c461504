import type { HeaderOpSet } from '@portico/core'
import { observeResponse } from '../events/request.js'
import type { Downstream, HeaderRecord } from '../types.js'
import { applyHeaderOps } from './headers.js'

/** Envoy's local reply bodies, so clients and scripts see the same words. */
export const LOCAL_BODY = {
  noHealthyUpstream: 'no healthy upstream',
  timeout: 'upstream request timeout',
  faultAbort: 'fault filter abort',
  upgradeRequired: 'Upgrade Required',
  connectError: 'upstream connect error or disconnect/reset before headers. ',
  overloaded: 'envoy overloaded',
} as const

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
