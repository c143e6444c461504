import type { Endpoint } from '@portico/core'

/** `::ffff:127.0.0.1` → `127.0.0.1`. */
export function plainAddress(address: string | undefined): string | undefined {
  if (address?.startsWith('::ffff:') && address.includes('.')) return address.slice(7)
  return address
}

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

/** What a request reads of its connection's socket: the same for every request on a connection. */
export interface ConnectionAddresses {
  /** The peer's address as the socket gives it (`::ffff:`-prefixed for IPv4 on a dual-stack listener). */
  readonly remoteAddress: string | undefined
  /** The peer's address with an IPv4-mapped prefix removed. */
  readonly peer: string | undefined
  readonly localAddress: string | undefined
  readonly localPort: number | undefined
  /** The TLS server name the client asked for, if any. */
  readonly servername: string | undefined
}

interface AddressedSocket {
  readonly remoteAddress?: string | undefined
  readonly localAddress?: string | undefined
  readonly localPort?: number | undefined
  readonly servername?: string | false | null | undefined
  [ADDRESSES]?: ConnectionAddresses
}

const ADDRESSES = Symbol('portico.addresses')

/**
 * The addresses of an HTTP/1.1 connection's socket, read once per connection and kept on the
 * socket: each of Node's address getters asks the socket handle (or its cache) through a few
 * calls, and a keep-alive connection carries many requests. Read at the first request, when the
 * socket is connected (and, with TLS, its handshake done).
 */
export function connectionAddresses(socket: object): ConnectionAddresses {
  const s = socket as AddressedSocket
  let addresses = s[ADDRESSES]
  if (addresses === undefined) {
    const remoteAddress = s.remoteAddress
    addresses = {
      remoteAddress,
      peer: plainAddress(remoteAddress),
      localAddress: s.localAddress,
      localPort: s.localPort,
      servername: typeof s.servername === 'string' ? s.servername : undefined,
    }
    // A connection's addresses are known once it is connected; an unconnected one is not kept.
    if (remoteAddress !== undefined) s[ADDRESSES] = addresses
  }
  return addresses
}
