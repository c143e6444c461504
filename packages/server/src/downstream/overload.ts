import { monitorEventLoopDelay } from 'node:perf_hooks'
import { observeFlag } from '../events/request.js'
import { LOCAL_BODY, localReply } from '../proxy/local-reply.js'
import type { Downstream, Upstreamable } from '../types.js'

/**
 * The overload guard's thresholds (Envoy's overload manager with the `stop_accepting_requests`
 * action): past either one, new requests are answered 503 at once instead of being served late.
 */
export interface OverloadOptions {
  /**
   * Memory in bytes (V8 heap in use plus memory held outside it, such as buffers) past which new
   * requests are shed, like Envoy's `fixed_heap` monitor with `max_heap_size_bytes`.
   */
  readonly maxHeapBytes?: number
  /** Event-loop delay in milliseconds (99th percentile over the last interval) past which new requests are shed. */
  readonly maxEventLoopDelayMs?: number
  /** How often the pressure is measured, in milliseconds (default 250). */
  readonly intervalMs?: number
}

/** What the overload guard saw last and did so far. */
export interface OverloadState {
  /** New requests are being shed. */
  readonly active: boolean
  /** Requests shed since the gateway started. */
  readonly shed: number
  /** How many times shedding started. */
  readonly episodes: number
  /** Memory measured last (heap in use plus external), in bytes. */
  readonly memoryBytes: number
  /** Event-loop delay measured last (99th percentile of the interval), in milliseconds. */
  readonly eventLoopDelayMs: number
}

const DEFAULT_INTERVAL_MS = 250

/**
 * Measures the process's pressure every interval and says whether new requests are to be shed.
 * Shedding answers 503 `envoy overloaded` with `Connection: close` (HTTP/2: GOAWAY after the
 * answer), flag `OM`, before routing: a shed request costs almost nothing, so the requests already
 * admitted and the admin endpoint keep the event loop.
 */
export class OverloadGuard implements OverloadState {
  active = false
  shed = 0
  episodes = 0
  memoryBytes = 0
  eventLoopDelayMs = 0
  readonly #options: OverloadOptions
  readonly #delay: ReturnType<typeof monitorEventLoopDelay> | undefined
  readonly #timer: NodeJS.Timeout
  readonly #intervalMs: number
  #last = performance.now()

  constructor(options: OverloadOptions) {
    this.#options = options
    if (options.maxEventLoopDelayMs !== undefined) {
      this.#delay = monitorEventLoopDelay({ resolution: 10 })
      this.#delay.enable()
    }
    this.#intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS
    this.#timer = setInterval(() => this.sample(), this.#intervalMs)
    this.#timer.unref()
  }

  /** Takes one measurement and decides (called by the interval timer). */
  sample(): void {
    // This timer's own lateness is a delay sample too: when the loop is blocked for longer than
    // the interval, the histogram may have recorded nothing yet when this runs.
    const now = performance.now()
    const late = Math.max(0, now - this.#last - this.#intervalMs)
    this.#last = now
    const { maxHeapBytes, maxEventLoopDelayMs } = this.#options
    let over = false
    if (maxHeapBytes !== undefined) {
      const usage = process.memoryUsage()
      this.memoryBytes = usage.heapUsed + usage.external
      if (this.memoryBytes > maxHeapBytes) over = true
    }
    const delay = this.#delay
    if (delay !== undefined && maxEventLoopDelayMs !== undefined) {
      this.eventLoopDelayMs = Math.max(late, delay.count === 0 ? 0 : delay.percentile(99) / 1e6)
      delay.reset()
      if (this.eventLoopDelayMs > maxEventLoopDelayMs) over = true
    }
    if (over && !this.active) this.episodes++
    this.active = over
  }

  /**
   * Sheds a request when the process is overloaded: answers it and returns `true`; `false` lets
   * it through.
   */
  admit(req: Upstreamable, res: Downstream, serverHeader: string | false): boolean {
    if (!this.active) return true
    this.shed++
    observeFlag(res, 'OM')
    if (req.httpVersionMajor === 2) {
      localReply(res, 503, serverHeader, LOCAL_BODY.overloaded)
      // HTTP/2 has no Connection field: the session is told to go away once its streams finish.
      const own = req as unknown as { stream?: SessionHolder; session?: SessionHolder['session'] }
      const session = own.stream?.session ?? own.session
      try {
        session?.close()
      } catch {
        // Already closing.
      }
    } else {
      localReply(res, 503, serverHeader, LOCAL_BODY.overloaded, undefined, { connection: 'close' })
    }
    return false
  }

  /** Stops measuring. */
  close(): void {
    clearInterval(this.#timer)
    this.#delay?.disable()
  }
}

interface SessionHolder {
  readonly session?: { close(): void } | undefined
}
