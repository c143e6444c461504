import type { RequestFacts } from '../compile/types.js'
import type { PolicyRequest } from '../policy/types.js'

/** The connection facts authorization reads that routing does not. */
export interface PolicyConnection {
  /**
   * The client address after X-Forwarded-For and the gateway's trusted hops (`remote.ip`,
   * `remoteIpBlocks`); default the peer address, as with no trusted proxy.
   */
  readonly client?: string | undefined
  /** The local port the request arrived on (`destination.port`, `to.operation.ports`). */
  readonly localPort?: number | undefined
  /** The local address the request arrived on (`destination.ip`). */
  readonly localAddress?: string | undefined
}

/**
 * What authorization reads of a request: the facts the router sees, with the normalized `path`
 * (no query) and the `headers` as authentication left them, and the connection's `client`, local
 * port and address. The gateway and `routes --explain` both build it here, so that an explanation
 * judges a request as the gateway does.
 */
export function policyRequest(
  facts: RequestFacts,
  path: string,
  headers: PolicyRequest['headers'],
  connection: PolicyConnection,
): PolicyRequest {
  return {
    method: facts.method,
    authority: facts.authority,
    path,
    headers,
    sourceIp: facts.sourceAddress,
    remoteIp: connection.client ?? facts.sourceAddress,
    destinationPort: connection.localPort,
    destinationIp: connection.localAddress,
    sni: facts.sni,
  }
}
