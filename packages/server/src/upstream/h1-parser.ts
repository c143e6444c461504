import type { HeaderRecord } from '../types.js'

/** Largest response head (status line and fields), and largest trailer section, accepted. */
export const MAX_HEAD_BYTES = 16 * 1024

/** A response an upstream framed wrongly: the exchange fails with 502 and the connection closes. */
export class ResponseParseError extends Error {
  override readonly name = 'ResponseParseError'
}

/** What the parser reports of one response, in order: head, data…, end. */
export interface ResponseEvents {
  /** The final (non-1xx) response head. */
  onHead(head: ResponseHead): void
  /** A slice of the body, already de-chunked; valid only during the call unless copied or kept. */
  onData(chunk: Buffer): void
  /** The response is complete; `trailers` from a chunked body's trailer section, if any. */
  onEnd(trailers: HeaderRecord | undefined): void
}

/** A parsed response head. */
export interface ResponseHead {
  readonly status: number
  /** Lower-case names; repeated fields become arrays in arrival order. */
  readonly headers: HeaderRecord
  /** Whether the connection may carry another request after this response. */
  readonly keepAlive: boolean
  /** The upstream's `Keep-Alive: timeout=N`, in milliseconds. */
  readonly keepAliveTimeoutMs: number | undefined
}

enum State {
  Idle,
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** Control characters a field line may not carry (HTAB allowed; CR/LF only as line ends). */
const CTL = /[\x00-\x08\x0a-\x1f\x7f]/

/**
 * Whether a section whose lines end in CRLF carries a control character (HTAB allowed): any CR
 * or LF outside a CRLF pair counts. One pass over the character codes.
 */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 32) {
      if (c === 127) return true
      continue
    }
    if (c === 9) continue
    if (c === 13 && text.charCodeAt(i + 1) === 10) {
      i++
      continue
    }
    return true
  }
  return false
}
/**
 * A chunk size and its extensions: `;name`, `;name=token` or `;name="quoted"`, no whitespace
 * anywhere (llhttp in strict mode refuses it, and so do we: a proxy must not read a chunk line
 * more loosely than the parser it replaces).
 */
const CHUNK_SIZE =
  /^([0-9A-Fa-f]{1,12})(?:;[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:=(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+|"(?:[\t !#-[\]-~]|\\[\t -~])*"))?)*$/
const CRLF_CRLF = Buffer.from('\r\n\r\n')
const CRLF = Buffer.from('\r\n')

/**
 * A strict HTTP/1.1 response parser for upstream connections (RFC 9112): CRLF line ends only,
 * no obs-fold, token field names, no control characters in values, one Content-Length field of
 * digits, chunked only as the final transfer coding and never beside Content-Length, chunk
 * extensions without whitespace, framing fields checked on every head (interim and bodiless ones
 * too), 1xx interim responses skipped, no body for HEAD, 204 and 304. Anything else throws
 * {@link ResponseParseError}: a proxy must not guess where a response ends. It is never looser
 * than llhttp (the parser of Node's own client), which a differential test checks.
 */
export class ResponseParser {
  #state = State.Idle
  #events: ResponseEvents | undefined
  #head = false
  #pending: Buffer | undefined
  #remaining = 0
  #trailers: HeaderRecord | undefined

  /** Expects the response to a request with `method`, reporting to `events`. */
  expect(method: string, events: ResponseEvents): void {
    this.#state = State.Head
    this.#events = events
    this.#head = method === 'HEAD'
    this.#pending = undefined
    this.#trailers = undefined
  }

  /** Whether a response is expected or in progress. */
  get busy(): boolean {
    return this.#state !== State.Idle
  }

  /** Whether the body runs until the connection closes (no length, no chunking). */
  get untilClose(): boolean {
    return this.#state === State.UntilClose
  }

  /** Whether the head has been reported for the current response. */
  get headDone(): boolean {
    return this.#state !== State.Idle && this.#state !== State.Head
  }

  /**
   * Consumes bytes; returns how many belong to the current response (the rest, if any, arrived
   * after its end). Throws {@link ResponseParseError} on a malformed response.
   */
  execute(data: Buffer): number {
    let at = 0
    while (at < data.length) {
      switch (this.#state) {
        case State.Idle:
          return at
        case State.Head:
          at = this.#readHead(data, at)
          break
        case State.Length:
        case State.ChunkData: {
          // Body bytes, framed by Content-Length or by the current chunk's size.
          const n = Math.min(this.#remaining, data.length - at)
          this.#remaining -= n
          const chunk = data.subarray(at, at + n)
          at += n
          const whole = this.#state === State.Length
          if (this.#remaining === 0) this.#state = whole ? State.Idle : State.ChunkEnd
          this.#events!.onData(chunk)
          if (whole && this.#remaining === 0) this.#end()
          break
        }
        case State.ChunkSize:
          at = this.#readChunkSize(data, at)
          break
        case State.ChunkEnd:
          at = this.#readChunkEnd(data, at)
          break
        case State.Trailers:
          at = this.#readTrailers(data, at)
          break
        case State.UntilClose: {
          const chunk = data.subarray(at)
          at = data.length
          this.#events!.onData(chunk)
          break
        }
      }
    }
    return at
  }

  /** The connection closed: completes a close-delimited body; throws if a response was cut short. */
  finish(): void {
    if (this.#state === State.UntilClose) return void this.#end()
    if (this.#state !== State.Idle)
      throw new ResponseParseError('connection closed before the response was complete')
  }

  #end(): void {
    this.#state = State.Idle
    const events = this.#events!
    const trailers = this.#trailers
    this.#events = undefined
    this.#trailers = undefined
    events.onEnd(trailers)
  }

  /** Gathers bytes until a line that ends with CRLF CRLF; returns the offset after it. */
  #section(data: Buffer, at: number, limit: number, what: string): { text: string; next: number } | number {
    const pending = this.#pending
    if (pending === undefined) {
      // The usual case, a section that starts in this read: searched and read where it lies.
      const end = data.indexOf(CRLF_CRLF, at)
      if (end < 0) {
        if (data.length - at > limit) throw new ResponseParseError(`${what} larger than ${limit} bytes`)
        this.#pending = data.subarray(at)
        return data.length
      }
      if (end - at + 4 > limit) throw new ResponseParseError(`${what} larger than ${limit} bytes`)
      return { text: data.toString('latin1', at, end), next: end + 4 }
    }
    const buffer = Buffer.concat([pending, data.subarray(at)])
    const from = Math.max(0, pending.length - 3)
    const end = buffer.indexOf(CRLF_CRLF, from)
    if (end < 0) {
      if (buffer.length > limit) throw new ResponseParseError(`${what} larger than ${limit} bytes`)
      this.#pending = buffer
      return data.length
    }
    if (end + 4 > limit) throw new ResponseParseError(`${what} larger than ${limit} bytes`)
    this.#pending = undefined
    const consumed = end + 4 - pending.length
    return { text: buffer.toString('latin1', 0, end), next: at + consumed }
  }

  #readHead(data: Buffer, at: number): number {
    const section = this.#section(data, at, MAX_HEAD_BYTES, 'response head')
    if (typeof section === 'number') return section
    if (hasControl(section.text)) throw new ResponseParseError('control character in the response head')
    const text = section.text
    const eol = text.indexOf('\r\n')
    const code = statusCode(text, eol < 0 ? text.length : eol)
    if (code < 0) throw new ResponseParseError('malformed status line')
    const minor = text.charCodeAt(7) === 49 /* 1 */ ? '1' : '0'
    const headers = eol < 0 ? {} : fields(text, eol + 2)
    // The framing fields are checked on every head, interim and bodiless ones included, as llhttp
    // checks them: a malformed one says the upstream cannot be trusted on this connection.
    const framing = framingOf(headers)
    if (code < 200) {
      if (code === 101) throw new ResponseParseError('unexpected 101 Switching Protocols')
      return section.next // interim response: the final one follows
    }
    const connectionField = headers.connection
    // The common answers skip tokenising: no Connection field, or exactly `keep-alive`.
    const connection =
      connectionField === undefined
        ? []
        : connectionField === 'keep-alive'
          ? KEEP_ALIVE
          : tokens(connectionField)
    let keepAlive = minor === '1' ? !connection.includes('close') : connection.includes('keep-alive')
    // llhttp reads the legacy Proxy-Connection as Connection: its `close` is honoured too.
    const proxyConnection = headers['proxy-connection']
    if (proxyConnection !== undefined && tokens(proxyConnection).includes('close')) keepAlive = false
    const noBody = this.#head || code === 204 || code === 304
    let next: State = State.Idle
    if (noBody) {
      // No body, whatever the framing fields say. A HEAD response that gives no length is not
      // trusted with another request (node:http's client closes it too): a body sent anyway would
      // be read as the next response.
      if (this.#head && framing === UNTIL_CLOSE) keepAlive = false
    } else if (framing === CHUNKED) next = State.ChunkSize
    else if (framing === UNTIL_CLOSE) {
      next = State.UntilClose
      keepAlive = false
    } else if (framing > 0) {
      this.#remaining = framing
      next = State.Length
    }
    this.#state = next
    this.#events!.onHead({
      status: code,
      headers,
      keepAlive,
      keepAliveTimeoutMs: keepAliveTimeout(headers['keep-alive']),
    })
    if (next === State.Idle) this.#end()
    return section.next
  }

  #readChunkSize(data: Buffer, at: number): number {
    const pending = this.#pending
    const buffer = pending === undefined ? data.subarray(at) : Buffer.concat([pending, data.subarray(at)])
    const end = buffer.indexOf(CRLF)
    if (end < 0) {
      if (buffer.length > 4096) throw new ResponseParseError('chunk size line too long')
      this.#pending = buffer
      return data.length
    }
    this.#pending = undefined
    const line = buffer.toString('latin1', 0, end)
    const size = CHUNK_SIZE.exec(line)
    if (size === null || CTL.test(line)) throw new ResponseParseError('malformed chunk size')
    this.#remaining = Number.parseInt(size[1]!, 16)
    if (this.#remaining === 0) {
      this.#state = State.Trailers
      this.#pending = CRLF
    } else this.#state = State.ChunkData
    return at + end + 2 - (pending?.length ?? 0)
  }

  #readChunkEnd(data: Buffer, at: number): number {
    // The CRLF after chunk data, possibly split across reads.
    const pending = this.#pending
    const have = pending === undefined ? 0 : pending.length
    const need = 2 - have
    const part = data.subarray(at, at + need)
    const bytes = pending === undefined ? part : Buffer.concat([pending, part])
    if (bytes.length < 2) {
      if (bytes[0] !== 13) throw new ResponseParseError('chunk data not followed by CRLF')
      this.#pending = bytes
      return data.length
    }
    this.#pending = undefined
    if (bytes[0] !== 13 || bytes[1] !== 10) throw new ResponseParseError('chunk data not followed by CRLF')
    this.#state = State.ChunkSize
    return at + part.length
  }

  #readTrailers(data: Buffer, at: number): number {
    // The section search is primed with the CRLF that ended the last chunk's size line, so that
    // "no trailers" (a bare CRLF) and "field lines then CRLF" both end in CRLF CRLF.
    const section = this.#section(data, at, MAX_HEAD_BYTES, 'trailer section')
    if (typeof section === 'number') return section
    const text = section.text.slice(2)
    if (hasControl(text)) throw new ResponseParseError('control character in the trailer section')
    if (text !== '') this.#trailers = fields(text, 0)
    this.#state = State.Idle
    this.#end()
    return section.next
  }
}

/**
 * The status code of the status line `text[0, end)` (`HTTP/1.x NNN`, then a space and any reason
 * phrase, or nothing), or -1 when it is malformed.
 */
function statusCode(text: string, end: number): number {
  if (end < 12 || !text.startsWith('HTTP/1.')) return -1
  const minor = text.charCodeAt(7)
  if ((minor !== 48 && minor !== 49) || text.charCodeAt(8) !== 32) return -1
  if (end > 12 && text.charCodeAt(12) !== 32) return -1
  const a = text.charCodeAt(9) - 48
  const b = text.charCodeAt(10) - 48
  const c = text.charCodeAt(11) - 48
  if (a < 1 || a > 9 || b < 0 || b > 9 || c < 0 || c > 9) return -1
  return a * 100 + b * 10 + c
}

/**
 * Field names seen before, by their spelling on the wire, each with its lower-case form: a name is
 * checked to be a token and lower-cased once, not on every response.
 */
const fieldNames = new Map<string, string>()
/** Bound on {@link fieldNames} (an upstream can send any names): it starts over when full. */
const MAX_FIELD_NAMES = 512

/** The lower-case form of a field name; throws when it is not a token. */
function fieldName(name: string): string {
  let key = fieldNames.get(name)
  if (key !== undefined) return key
  if (!TOKEN.test(name)) throw new ResponseParseError('malformed header field name')
  key = name.toLowerCase()
  if (fieldNames.size >= MAX_FIELD_NAMES) fieldNames.clear()
  fieldNames.set(name, key)
  return key
}

/**
 * The field lines of `text` from offset `at` (lines end in CRLF, the last one at the end of the
 * text; already checked for control characters) as a header record.
 */
function fields(text: string, at: number): HeaderRecord {
  const headers: HeaderRecord = {}
  const length = text.length
  while (at < length) {
    let end = text.indexOf('\r\n', at)
    if (end < 0) end = length
    const colon = text.indexOf(':', at)
    if (colon <= at || colon >= end) throw new ResponseParseError('malformed header field')
    const key = fieldName(text.slice(at, colon))
    const value = trimOws(text, colon + 1, end)
    // llhttp refuses whitespace after a Content-Length's digits, and does not read `chunked ` as
    // chunked: a framing field with trailing whitespace is refused rather than read either way.
    if ((key === 'content-length' || key === 'transfer-encoding') && isOws(text.charCodeAt(end - 1))) {
      throw new ResponseParseError(`malformed ${text.slice(at, colon)}`)
    }
    const current = headers[key]
    if (current === undefined) headers[key] = value
    else if (Array.isArray(current)) current.push(value)
    else headers[key] = [current, value]
    at = end + 2
  }
  return headers
}

function isOws(c: number): boolean {
  return c === 32 || c === 9
}

/** `line[from, to)` without leading and trailing SP / HTAB (RFC 9110 OWS). */
function trimOws(line: string, from: number, to: number): string {
  let start = from
  let end = to
  while (start < end && (line.charCodeAt(start) === 32 || line.charCodeAt(start) === 9)) start++
  while (end > start && (line.charCodeAt(end - 1) === 32 || line.charCodeAt(end - 1) === 9)) end--
  return line.slice(start, end)
}

function tokens(value: string | string[] | undefined): string[] {
  if (value === undefined) return []
  const text = Array.isArray(value) ? value.join(',') : value
  const out: string[] = []
  for (const part of text.split(',')) {
    const token = part.trim().toLowerCase()
    if (token !== '') out.push(token)
  }
  return out
}

/** {@link framingOf}: a chunked body. */
const CHUNKED = -1
/** {@link framingOf}: a body that runs until the connection closes. */
const UNTIL_CLOSE = -2

/**
 * How a response's body is framed: its length, {@link CHUNKED} or {@link UNTIL_CLOSE}. Throws on
 * framing llhttp refuses or a proxy cannot trust: both fields, a Content-Length that is not one
 * field of digits (repeated fields and lists are refused even when their values agree, as llhttp
 * does), chunked other than last.
 */
function framingOf(headers: HeaderRecord): number {
  const te = headers['transfer-encoding']
  const cl = headers['content-length']
  if (te !== undefined) {
    if (cl !== undefined) throw new ResponseParseError('both Transfer-Encoding and Content-Length')
    const codings = tokens(te)
    const chunked = codings.indexOf('chunked')
    if (chunked >= 0 && chunked !== codings.length - 1) {
      throw new ResponseParseError('chunked is not the final transfer coding')
    }
    return chunked >= 0 ? CHUNKED : UNTIL_CLOSE
  }
  if (cl === undefined) return UNTIL_CLOSE
  if (typeof cl !== 'string') throw new ResponseParseError('repeated Content-Length')
  return contentLength(cl)
}

function contentLength(value: string): number {
  if (value.length === 0 || value.length > 15) {
    throw new ResponseParseError(value.length === 0 ? 'empty Content-Length' : 'Content-Length too large')
  }
  let n = 0
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 48
    if (d < 0 || d > 9) throw new ResponseParseError('malformed Content-Length')
    n = n * 10 + d
  }
  return n
}

const KEEP_ALIVE: readonly string[] = ['keep-alive']
/** The last `Keep-Alive` value seen and its timeout: an upstream sends the same one every time. */
let lastKeepAlive: { value: string; ms: number | undefined } | undefined

function keepAliveTimeout(value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined
  const text = Array.isArray(value) ? value.join(',') : value
  if (lastKeepAlive?.value === text) return lastKeepAlive.ms
  const match = /(?:^|[\s,])timeout=(\d+)/i.exec(text)
  const ms = match === null ? undefined : Number(match[1]) * 1000
  lastKeepAlive = { value: text, ms }
  return ms
}
