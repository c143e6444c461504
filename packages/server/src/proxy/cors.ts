import type { CorsSpec } from '@portico/core'
import type { Downstream, HeaderRecord, Upstreamable } from '../types.js'
import { headerText } from './headers.js'
import { localReply } from './local-reply.js'

/** What {@link applyCors} returns when it answered a preflight itself. */
export const PREFLIGHT_ANSWERED = Symbol('preflight answered')

/**
 * The route's CORS policy for one request (Envoy's CORS filter): a preflight from an allowed
 * origin is answered here (200 with the allow headers), as is one from another origin under
 * `unmatchedPreflights: IGNORE`; an actual request from an allowed origin gets the headers its
 * response carries. `undefined` when there is nothing to add (no policy, no `origin`, an origin
 * not allowed, a preflight forwarded upstream).
 */
export function applyCors(
  cors: CorsSpec | undefined,
  req: Upstreamable,
  res: Downstream,
  server: string | false,
): HeaderRecord | undefined | typeof PREFLIGHT_ANSWERED {
  if (cors === undefined) return undefined
  const origin = headerText(req.headers, 'origin')
  if (origin === undefined || origin === '') return undefined
  const allowed = cors.allowsOrigin(origin) || cors.allowsOrigin('*')
  const requestMethod = headerText(req.headers, 'access-control-request-method')
  if (req.method === 'OPTIONS' && requestMethod !== undefined && requestMethod !== '') {
    if (allowed) {
      const h: HeaderRecord = { 'access-control-allow-origin': origin }
      if (cors.allowCredentials) h['access-control-allow-credentials'] = 'true'
      if (cors.allowMethods !== undefined) {
        h['access-control-allow-methods'] = cors.allowMethods === '*' ? requestMethod : cors.allowMethods
      }
      if (cors.allowHeaders !== undefined) {
        const asked = headerText(req.headers, 'access-control-request-headers')
        const value = cors.allowHeaders === '*' ? asked : cors.allowHeaders
        if (value !== undefined) h['access-control-allow-headers'] = value
      }
      if (cors.maxAgeSeconds !== undefined) h['access-control-max-age'] = String(cors.maxAgeSeconds)
      localReply(res, 200, server, undefined, undefined, h)
      return PREFLIGHT_ANSWERED
    }
    if (cors.unmatchedPreflights === 'IGNORE') {
      localReply(res, 200, server)
      return PREFLIGHT_ANSWERED
    }
    return undefined
  }
  if (!allowed) return undefined
  const headers: HeaderRecord = { 'access-control-allow-origin': origin }
  if (cors.allowCredentials) headers['access-control-allow-credentials'] = 'true'
  if (cors.exposeHeaders !== undefined) headers['access-control-expose-headers'] = cors.exposeHeaders
  return headers
}
