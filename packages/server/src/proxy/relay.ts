import { ServerResponse } from 'node:http'
import type { HeaderOpSet } from '@portico/core'
import { observeResponse, type ResponseObservation } from '../events/request.js'
import type { Downstream, HeaderRecord, Logger, Upstreamable } from '../types.js'
import type { ResponseSink, UpstreamBody, UpstreamResponse } from '../upstream/h1-client.js'
import { applyHeaderOps, endToEnd, type FormatVars } from './headers.js'
import { LOCAL_BODY, localReply } from './local-reply.js'
import type { Trip } from './trip.js'

/**
 * The downstream went away before its response was complete. The HTTP/2 compatibility response
 * reports `writableFinished` after a stream reset too, so there the request's `aborted` decides.
 */
export function cutShort(req: Upstreamable, res: Downstream): boolean {
  return !res.writableFinished || (req as { readonly aborted?: boolean }).aborted === true
}

/** What {@link relay} needs beyond the response. */
export interface RelayOptions {
  readonly serverHeader: string | false
  readonly logger: Logger
  readonly req: Upstreamable
  readonly started: number
  readonly responseOps: readonly HeaderOpSet[]
  readonly vars: FormatVars
  readonly corsHeaders: HeaderRecord | undefined
  readonly setCookie: string | undefined
  readonly signal: Trip
}

/** Writes the upstream response downstream, streaming the body with backpressure. */
export function relay(res: Downstream, response: UpstreamResponse, options: RelayOptions): Promise<void> {
  const upstreamBody = response.body
  const headers = endToEnd(response.headers)
  applyHeaderOps(headers, options.responseOps, options.vars)
  if (options.corsHeaders !== undefined) Object.assign(headers, options.corsHeaders)
  if (options.setCookie !== undefined) {
    const current = headers['set-cookie']
    headers['set-cookie'] =
      current === undefined
        ? options.setCookie
        : Array.isArray(current)
          ? [...current, options.setCookie]
          : [current, options.setCookie]
  }
  if (options.serverHeader !== false) headers.server = options.serverHeader
  const serviceTime = Math.round(performance.now() - options.started)
  headers['x-envoy-upstream-service-time'] = String(serviceTime)
  try {
    res.writeHead(response.statusCode, headers)
  } catch (error) {
    options.logger.warn({ err: error }, 'upstream response headers rejected')
    upstreamBody.destroy()
    localReply(res, 502, options.serverHeader, `${LOCAL_BODY.connectError}reset reason: protocol error`)
    return Promise.resolve()
  }
  return new Promise((resolve) => {
    const observation = observeResponse(res)
    if (observation !== undefined) observation.upstreamServiceTime = serviceTime
    const sink = new RelaySink(res, upstreamBody, options.req, resolve, observation)
    if (!options.signal.aborted) return upstreamBody.start(sink)
    // Cancelled between the head and now (route timeout): the response cannot complete.
    upstreamBody.destroy()
    sink.error()
  })
}

/** The largest last body chunk an HTTP/1.1 response passes to node:http as text, joined to its head. */
const ONE_WRITE_BYTES = 128

/** Streams one upstream body into a downstream response, with backpressure both ways. */
class RelaySink implements ResponseSink {
  settled = false
  readonly #res: Downstream
  readonly #body: UpstreamBody
  readonly #req: Upstreamable
  readonly #resolve: () => void
  readonly #onDrain: () => void
  readonly #onClose: () => void
  readonly #observation: ResponseObservation | undefined

  constructor(
    res: Downstream,
    body: UpstreamBody,
    req: Upstreamable,
    resolve: () => void,
    observation: ResponseObservation | undefined,
  ) {
    this.#res = res
    this.#observation = observation
    this.#body = body
    this.#req = req
    this.#resolve = resolve
    this.#onDrain = () => body.resume()
    this.#onClose = () => {
      if (cutShort(this.#req, this.#res)) this.#body.destroy()
      this.finish()
    }
    res.on('drain', this.#onDrain)
    res.on('close', this.#onClose)
  }

  data(chunk: Buffer): void {
    if (this.#observation !== undefined) this.#observation.bytesSent += chunk.length
    if (!this.#res.write(chunk)) this.#body.pause()
  }

  end(trailers: HeaderRecord | undefined, last?: Buffer): void {
    const res = this.#res
    if (last !== undefined) {
      if (this.#observation !== undefined) this.#observation.bytesSent += last.length
      if (trailers === undefined) {
        // A small body goes to node:http as latin1 text (the same bytes): it joins the head and
        // the body into one string, where a Buffer is queued as a chunk of its own.
        if (last.length <= ONE_WRITE_BYTES && res instanceof ServerResponse)
          res.end(last.toString('latin1'), 'latin1')
        else res.end(last)
        return void this.finish()
      }
      res.write(last)
    }
    if (trailers !== undefined && res.addTrailers !== undefined) {
      try {
        res.addTrailers(endToEnd(trailers))
      } catch {
        // Trailers a downstream cannot carry are dropped.
      }
    }
    res.end()
    this.finish()
  }

  error(): void {
    // Upstream died (or the route timed out) after headers: never end the response as complete.
    this.#res.destroy()
    this.finish()
  }

  finish(): void {
    if (this.settled) return
    this.settled = true
    this.#res.removeListener('drain', this.#onDrain)
    this.#res.removeListener('close', this.#onClose)
    this.#resolve()
  }
}
