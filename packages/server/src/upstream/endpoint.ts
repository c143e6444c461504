import type { Endpoint } from '@portico/core'

/** One key string per endpoint object: its hash is computed once, not on every map access. */
const keys = new WeakMap<Endpoint, string>()

/** `address:port`, bracketing IPv6 addresses. */
export function endpointKey(endpoint: Endpoint): string {
  let key = keys.get(endpoint)
  if (key === undefined) {
    const host = endpoint.address.includes(':') ? `[${endpoint.address}]` : endpoint.address
    key = `${host}:${endpoint.port}`
    keys.set(endpoint, key)
  }
  return key
}
