import type { RequestFacts } from '../compile/types.js'

/** What {@link requestFactsFor} answers: the facts, or why the input is not a request. */
export type RequestFactsResult =
  | { readonly ok: true; readonly facts: RequestFacts }
  | { readonly ok: false; readonly error: string }

/**
 * The facts of a request written as `METHOD URL` with `name: value` headers (what `portico routes
 * --explain` and the admin page's explain form take): the gateway port comes from `port`, else
 * the URL's port, else 80 / 443 by scheme; an https URL sets the SNI to its host; a `Host` header
 * overrides the URL's authority. The path is kept exactly as typed (the router normalizes it).
 */
export function requestFactsFor(
  method: string,
  url: string,
  headers: readonly string[] = [],
  port?: number,
): RequestFactsResult {
  if (!/^[A-Za-z]+$/.test(method)) return { ok: false, error: `"${method}" is not an HTTP method` }
  // Parsed by hand, not with URL: the path must reach the router exactly as typed (unnormalized).
  const m = /^(https?):\/\/([^/?#]+)([^#]*)$/i.exec(url)
  if (!m) return { ok: false, error: `an absolute http(s) URL is needed, not "${url}"` }
  const scheme = (m[1] as string).toLowerCase() === 'https' ? 'https' : 'http'
  const host = m[2] as string
  const rest = m[3] as string
  const path = rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest
  const portMatch = /:(\d+)$/.exec(host)
  const gatewayPort =
    port !== undefined ? port : portMatch ? Number(portMatch[1]) : scheme === 'https' ? 443 : 80
  if (!Number.isInteger(gatewayPort) || gatewayPort < 1 || gatewayPort > 65535)
    return { ok: false, error: `the port must be a port number, not "${port ?? portMatch?.[1]}"` }
  const headerMap: Record<string, string> = {}
  for (const h of headers) {
    const colon = h.indexOf(':')
    if (colon <= 0) return { ok: false, error: `a header is "name: value", not "${h}"` }
    headerMap[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim()
  }
  const authority = headerMap.host ?? host
  return {
    ok: true,
    facts: {
      port: gatewayPort,
      ...(scheme === 'https' ? { sni: host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '') } : {}),
      scheme,
      method: method.toUpperCase(),
      authority,
      path,
      headers: { ...headerMap, host: authority },
    },
  }
}
