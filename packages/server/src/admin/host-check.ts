import { isIP } from 'node:net'

/**
 * The host names the admin endpoint answers for, besides those it always answers for (`localhost`,
 * names under `.localhost`, IP addresses, and the address it is bound to). A name starting with
 * `.` also allows every name under it (`.example.com`: `example.com`, `gw1.example.com`); `'all'`
 * turns the check off.
 */
export type AdminAllowedHosts = readonly string[] | 'all'

/** Why the admin endpoint refused a request that a browser page could have sent. */
export interface HostRefusal {
  readonly status: 403
  readonly message: string
}

/** Judges one request's `Host` and `Origin` header; `undefined` when it may be answered. */
export type AdminHostCheck = (
  method: string,
  host: string | undefined,
  origin: string | undefined,
) => HostRefusal | undefined

/** The host name of a `Host` header (or of an origin's authority): port and brackets removed, lowercased, one trailing dot removed. */
export function hostName(authority: string): string {
  let name = authority.trim().toLowerCase()
  if (name.startsWith('[')) {
    const end = name.indexOf(']')
    name = end < 0 ? name.slice(1) : name.slice(1, end)
  } else {
    const colon = name.indexOf(':')
    // More than one colon without brackets is an IPv6 address sent bare; keep it whole.
    if (colon >= 0 && name.indexOf(':', colon + 1) < 0) name = name.slice(0, colon)
  }
  return name.endsWith('.') ? name.slice(0, -1) : name
}

/**
 * True when a browser page could not have made its own DNS name point at this host name: an IP
 * address (a rebinding page's requests carry the page's own name), `localhost` and the names under
 * `.localhost` (which browsers resolve to loopback themselves, RFC 6761), or `bound`.
 */
function alwaysAllowed(name: string, bound: string): boolean {
  return (
    isIP(name) !== 0 ||
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    (bound !== '' && name === bound)
  )
}

function listed(name: string, allowed: readonly string[]): boolean {
  for (const entry of allowed) {
    if (entry.startsWith('.')) {
      if (name === entry.slice(1) || name.endsWith(entry)) return true
    } else if (name === entry) return true
  }
  return false
}

/**
 * The admin endpoint's defence against web pages in the operator's browser, as webpack-dev-server's
 * `allowedHosts` and Vite's `server.allowedHosts` are for theirs:
 * - DNS rebinding: a page whose name the attacker re-points at the admin address sends its own
 *   name as `Host`, so a request is answered only when its `Host` names the endpoint (see
 *   {@link AdminAllowedHosts}; the port is not compared, so tunnels and port mappings keep working).
 *   A request without `Host` (HTTP/1.0) comes from no browser and is answered.
 * - Cross-site writes: a page may send a simple `POST` to any address without reading the answer.
 *   A request that may change something (any method but GET and HEAD) carrying an `Origin` is
 *   answered only when that origin is the endpoint itself (`Origin`'s authority equals `Host`).
 *   Command-line clients send no `Origin`. This holds with `'all'` too.
 */
export function createAdminHostCheck(bound: string, allowed: AdminAllowedHosts | undefined): AdminHostCheck {
  const own = hostName(bound)
  const names = allowed === 'all' ? 'all' : (allowed ?? []).map(hostName)
  return (method, host, origin) => {
    if (names !== 'all' && host !== undefined) {
      const name = hostName(host)
      if (!alwaysAllowed(name, own) && !listed(name, names)) {
        return {
          status: 403,
          message:
            `the admin endpoint does not answer for host "${name}" (a page that re-points its own name at the ` +
            'admin address must not reach it); open it by IP address or as localhost, or allow the name ' +
            `(portico serve --admin-allowed-hosts ${name}, or the allowedHosts option)`,
        }
      }
    }
    if (origin !== undefined && method !== 'GET' && method !== 'HEAD') {
      const scheme = origin.indexOf('://')
      const authority = scheme < 0 ? undefined : origin.slice(scheme + 3).toLowerCase()
      if (authority === undefined || host === undefined || authority !== host.trim().toLowerCase()) {
        return {
          status: 403,
          message: `the admin endpoint takes no ${method} from a web page of another origin (${origin}); use the portico command or an HTTP client`,
        }
      }
    }
    return undefined
  }
}
