import type { Http2Session, ServerHttp2Stream } from 'node:http2'

/** Default {@link Http2Upkeep.idleTimeoutMs}. */
export const DEFAULT_HTTP2_IDLE_TIMEOUT_MS = 60_000
/** Default {@link Http2Upkeep.pingTimeoutMs}. */
export const DEFAULT_HTTP2_PING_TIMEOUT_MS = 5_000

/** How long HTTP/2 connections are kept. */
export interface Http2Upkeep {
  /** A connection without open streams for this long gets GOAWAY (NO_ERROR) and is closed. */
  readonly idleTimeoutMs: number
  /**
   * A connection that went quiet after receiving bytes is sent one PING; without an answer (and
   * without any other bytes from the peer) for this long it is closed.
   */
  readonly pingTimeoutMs: number
}

interface Probe {
  since: number
  read: number
}

/**
 * What a stream's request reads of its connection (addresses, SNI), read once when the session
 * starts: the session's `socket` is a Proxy whose trap looks the socket up on every read.
 */
export interface SessionConnection {
  readonly remoteAddress: string | undefined
  readonly localAddress: string | undefined
  readonly localPort: number | undefined
  readonly servername: string | false | null | undefined
}

interface Watched {
  /** Node's socket proxy of the session, read for `bytesRead` only. */
  readonly socket: { readonly bytesRead: number }
  readonly connection: SessionConnection | undefined
  open: number
  idleSince: number
  /** `bytesRead` at the previous sweep. */
  lastRead: number
  /** `bytesRead` when the peer last answered a PING. */
  verified: number
  probe: Probe | undefined
  /** When GOAWAY was sent for idleness (0: not yet). */
  closingSince: number
}

/**
 * The HTTP/2 sessions of one gateway port, kept by one sweep (at most once a second, running only
 * while there are sessions):
 * - idle timeout: no open streams for `idleTimeoutMs` → GOAWAY and close (Envoy's `idle_timeout`);
 * - liveness: nghttp2 answers a connection error (RFC 9113 §5.4.1: DATA on stream 0, a bad frame
 *   size, a header compression error …) with GOAWAY and then stops reading, but Node neither closes
 *   the socket nor tells JavaScript, so the connection would stay open (in CLOSE_WAIT once the peer
 *   closes its side) until the port goes away. Bytes that arrive are visible only as the socket's
 *   `bytesRead`; once they stop, the peer is sent one PING, which an ended session never sends.
 *   No answer and no other byte within `pingTimeoutMs` → the connection is destroyed.
 */
export class Http2Sessions implements Iterable<Http2Session> {
  readonly #upkeep: Http2Upkeep
  readonly #watched = new Map<Http2Session, Watched>()
  readonly #sweepMs: number
  #timer: NodeJS.Timeout | undefined

  constructor(upkeep: Http2Upkeep) {
    this.#upkeep = upkeep
    this.#sweepMs = Math.max(20, Math.min(1_000, upkeep.pingTimeoutMs / 2, upkeep.idleTimeoutMs / 4))
  }

  /** Sessions currently open. */
  get size(): number {
    return this.#watched.size
  }

  [Symbol.iterator](): Iterator<Http2Session> {
    return this.#watched.keys()
  }

  /** Starts keeping a new session. */
  add(session: Http2Session): void {
    const state: Watched = {
      socket: session.socket,
      connection: connectionOf(session),
      open: 0,
      idleSince: Date.now(),
      lastRead: 0,
      verified: -1,
      probe: undefined,
      closingSince: 0,
    }
    this.#watched.set(session, state)
    session.once('close', () => {
      this.#watched.delete(session)
      if (this.#watched.size === 0) this.#stop()
    })
    session.on('stream', (stream: ServerHttp2Stream) => {
      state.open++
      stream.once('close', () => {
        if (--state.open === 0) state.idleSince = Date.now()
      })
    })
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#sweep(), this.#sweepMs)
      this.#timer.unref()
    }
  }

  /** The addresses of a session's connection (undefined for a session not kept here). */
  connection(session: Http2Session | undefined): SessionConnection | undefined {
    return session === undefined ? undefined : this.#watched.get(session)?.connection
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  #sweep(): void {
    const now = Date.now()
    const { idleTimeoutMs, pingTimeoutMs } = this.#upkeep
    for (const [session, state] of this.#watched) {
      if (session.destroyed) continue
      const read = state.socket.bytesRead
      const probe = state.probe
      if (probe !== undefined) {
        if (read !== probe.read) {
          // The peer is still sending; its answer comes after those bytes.
          probe.read = read
          probe.since = now
        } else if (now - probe.since >= pingTimeoutMs) {
          session.destroy()
          continue
        }
      } else if (read === state.lastRead && read !== state.verified) {
        this.#ping(session, state, read, now)
      }
      state.lastRead = read
      if (state.closingSince !== 0) {
        if (now - state.closingSince >= pingTimeoutMs) session.destroy()
      } else if (state.open === 0 && now - state.idleSince >= idleTimeoutMs) {
        state.closingSince = now
        try {
          session.close()
        } catch {
          session.destroy()
        }
      }
    }
  }

  #ping(session: Http2Session, state: Watched, read: number, now: number): void {
    const probe: Probe = { since: now, read }
    state.probe = probe
    try {
      session.ping((error) => {
        if (state.probe === probe) state.probe = undefined
        if (error === null) state.verified = state.socket.bytesRead
      })
    } catch {
      // A closing session takes no PING; the idle rule or its own close ends it.
      state.probe = undefined
      state.verified = read
    }
  }

  /** Sends GOAWAY to every session (they close once their streams finish). */
  closeAll(): void {
    for (const session of this.#watched.keys()) {
      try {
        session.close()
      } catch {
        session.destroy()
      }
    }
  }

  /** Destroys every session now. */
  destroyAll(): void {
    for (const session of this.#watched.keys()) session.destroy()
    this.#stop()
  }
}

function connectionOf(session: Http2Session): SessionConnection | undefined {
  try {
    const socket = session.socket as {
      remoteAddress?: string
      localAddress?: string
      localPort?: number
      servername?: string | false | null
    }
    return {
      remoteAddress: socket.remoteAddress,
      localAddress: socket.localAddress,
      localPort: socket.localPort,
      servername: socket.servername,
    }
  } catch {
    // A session that already lost its socket serves no stream.
    return undefined
  }
}
