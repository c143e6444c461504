import type { Endpoint } from '@portico/core'

/** `address:port` of a socket or an endpoint: IPv6 in brackets, IPv4-mapped IPv6 (`::ffff:…`) as IPv4. */
export function hostPort(address: string, port: number): string {
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address
  return plain.includes(':') ? `[${plain}]:${port}` : `${plain}:${port}`
}

/** {@link hostPort} of each endpoint object, built once: per request it would be a new string to hash. */
const endpointTexts = new WeakMap<Endpoint, string>()

/** {@link hostPort} of an endpoint, the same string every time. */
export function endpointHostPort(endpoint: Endpoint): string {
  let text = endpointTexts.get(endpoint)
  if (text === undefined) {
    text = hostPort(endpoint.address, endpoint.port)
    endpointTexts.set(endpoint, text)
  }
  return text
}

/** Local addresses seen (a process listens on few), by port, then address, with their text. */
const localTexts = new Map<number, Map<string, string>>()
const MAX_LOCAL_TEXTS = 1024
let localCount = 0

/**
 * {@link hostPort} of the address a request arrived on: the same string for every request on one
 * listener, so that maps keyed by it do not hash a fresh string per request.
 */
export function localHostPort(address: string, port: number): string {
  let byAddress = localTexts.get(port)
  let text = byAddress?.get(address)
  if (text !== undefined) return text
  text = hostPort(address, port)
  if (localCount < MAX_LOCAL_TEXTS) {
    if (byAddress === undefined) {
      byAddress = new Map()
      localTexts.set(port, byAddress)
    }
    byAddress.set(address, text)
    localCount++
  }
  return text
}
