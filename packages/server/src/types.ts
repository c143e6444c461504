import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import type { CompiledConfig, RequestFacts, RouteDecision } from '@portico/core'

/** Header values as Node and undici carry them. */
export type HeaderValue = string | string[]
/** A mutable header record with lowercase names. */
export type HeaderRecord = Record<string, HeaderValue>

/** The router: a pure function from the current config and a request's facts to a decision. */
export type RouteFunction = (config: CompiledConfig, facts: RequestFacts) => RouteDecision

/** A pino-compatible logger (only the levels the server uses). */
export interface Logger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

/** The logger used when none is given: says nothing. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
}

/** What the handler needs of a downstream request (HTTP/1.1 or the HTTP/2 compatibility API). */
export interface Upstreamable extends Readable {
  readonly headers: IncomingHttpHeaders
  readonly rawHeaders: string[]
  readonly method?: string | undefined
  readonly url?: string | undefined
  readonly httpVersion: string
  readonly httpVersionMajor: number
  readonly complete: boolean
}

/** What the handler needs of a downstream response. */
export interface Downstream {
  readonly headersSent: boolean
  readonly writableEnded: boolean
  readonly writableFinished: boolean
  readonly destroyed: boolean
  writeHead(status: number, headers?: OutgoingHttpHeaders): unknown
  /** Trailers sent after the body (HTTP/2; HTTP/1.1 chunked only when announced). */
  addTrailers?(headers: OutgoingHttpHeaders): void
  write(chunk: Uint8Array): boolean
  end(): unknown
  end(chunk: Uint8Array): unknown
  destroy(error?: Error): unknown
  on(event: 'close' | 'drain' | 'finish' | 'error', listener: (...args: unknown[]) => void): unknown
  once(event: 'close' | 'drain' | 'finish' | 'error', listener: (...args: unknown[]) => void): unknown
  removeListener(
    event: 'close' | 'drain' | 'finish' | 'error',
    listener: (...args: unknown[]) => void,
  ): unknown
}
