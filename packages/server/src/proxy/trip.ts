/**
 * A one-shot cancellation flag with plain listeners: the per-request "downstream gone", "route
 * timed out" and per-attempt states, without an AbortController and EventTarget each. undici
 * takes it as a request `signal` (an EventEmitter-like object with `aborted` and `reason`).
 */
export class Trip {
  aborted = false
  reason: unknown
  /**
   * The first listener in a field, further ones (rare) in an array: a trip mostly has one, and a
   * per-request array is what V8 may decide to allocate in the old generation, from where it
   * would keep the request's objects alive through young collections.
   */
  #first: (() => void) | undefined
  #more: (() => void)[] | undefined

  /** Fires the trip once: records `reason` and calls the listeners. */
  abort(reason?: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    const first = this.#first
    const more = this.#more
    this.#first = undefined
    this.#more = undefined
    first?.()
    if (more !== undefined) for (const listener of more) listener()
  }

  /** Adds a listener for the abort (none is added once the trip has fired). */
  on(_event: 'abort', listener: () => void): this {
    this.#add(listener)
    return this
  }

  /** As {@link Trip.on}: the trip fires at most once. */
  once(_event: 'abort', listener: () => void): this {
    this.#add(listener)
    return this
  }

  /** Removes a listener added with {@link Trip.on} or {@link Trip.once}. */
  removeListener(_event: 'abort', listener: () => void): this {
    this.#remove(listener)
    return this
  }

  #add(listener: () => void): void {
    if (this.aborted) return
    if (this.#first === undefined) this.#first = listener
    else if (this.#more === undefined) this.#more = [listener]
    else this.#more.push(listener)
  }

  #remove(listener: () => void): void {
    if (this.#first === listener) {
      this.#first = this.#more?.shift()
      return
    }
    const more = this.#more
    if (more === undefined) return
    const i = more.indexOf(listener)
    if (i >= 0) more.splice(i, 1)
  }
}

/** A route timer that never fires (no route timeout): keeps no listeners. */
class NeverTrip extends Trip {
  override on(): this {
    return this
  }

  override once(): this {
    return this
  }

  override removeListener(): this {
    return this
  }
}

/** The trip of a route without a timeout: it never fires. */
export const NEVER: Trip = new NeverTrip()

/** Waits `ms`, or less when either trip fires first. */
export function sleep(ms: number, trip: Trip, other?: Trip): Promise<void> {
  return new Promise((resolve) => {
    if (trip.aborted || other?.aborted === true) return resolve()
    const done = () => {
      clearTimeout(timer)
      trip.removeListener('abort', done)
      other?.removeListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    trip.once('abort', done)
    other?.once('abort', done)
  })
}
