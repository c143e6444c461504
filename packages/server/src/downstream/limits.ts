/** Downstream connection and request limits (Node's defaults when unset). */
export interface ConnectionLimits {
  /** Time to receive a request's headers (Node default 60 s). */
  readonly headersTimeoutMs?: number
  /** Time to receive a whole request (Node default 300 s; 0 = none). */
  readonly requestTimeoutMs?: number
  /** Idle time before an HTTP/1.1 keep-alive connection is closed (Node default 5 s). */
  readonly keepAliveTimeoutMs?: number
  /** Largest request head in bytes (Node default 16 KiB; larger ones get 431). */
  readonly maxHeaderSize?: number
  /** Time an HTTP/2 connection may have no open stream before GOAWAY and close (default 60 s). */
  readonly http2IdleTimeoutMs?: number
  /**
   * Time an HTTP/2 connection that went quiet has to answer a PING before it is closed (default
   * 5 s); this is how connections that nghttp2 ended after a connection error get closed.
   */
  readonly http2PingTimeoutMs?: number
  /** Most concurrent connections per gateway port; further ones are closed at once. */
  readonly maxConnections?: number
  /** Most request header fields (Envoy's `max_headers_count`, default 100); more get 431. */
  readonly maxHeadersCount?: number
  /** Longest request target in bytes; longer ones get 414 (default: only the head limit, 431). */
  readonly maxUriLength?: number
}

/** Envoy's `max_headers_count` default: more request header fields get 431. */
export const DEFAULT_MAX_HEADERS_COUNT = 100
