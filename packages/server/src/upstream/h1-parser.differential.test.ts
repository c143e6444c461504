import { request as httpRequest } from 'node:http'
import { createRequire } from 'node:module'
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HeaderRecord } from '../types.js'
import { ResponseParser } from './h1-parser.js'

/*
 * Differential test of Portico's upstream response parser against llhttp, the parser Node's own
 * HTTP client uses. Each generated (and mutated) response is sent over a loopback socket and read
 * by llhttp exactly as node:http's client drives it (strict mode, interim 1xx heads and HEAD/304
 * bodies skipped), and fed to ResponseParser whole, byte by byte and split at every boundary.
 *
 * The law: Portico may refuse what llhttp accepts, never the reverse; where both accept, they
 * agree on the status, the fields, the body bytes, the trailers and where the message ends.
 *
 * Reproduce a failure with PORTICO_FUZZ_SEED=<seed> (fast-check prints the seed and the path);
 * PORTICO_FUZZ_RUNS raises the number of cases.
 */

const SEED = Number(process.env.PORTICO_FUZZ_SEED ?? 0x13_b0_07)
const RUNS = Number(process.env.PORTICO_FUZZ_RUNS ?? 2000)
/** Responses up to this many bytes are split at every boundary. */
const MAX_SPLITS = Number(process.env.PORTICO_FUZZ_SPLITS ?? 256)

/** The part of Node's internal parser binding node:http's client uses. */
interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void
  execute(data: Buffer): number | Error
  finish(): undefined | Error
  close(): void
  [key: number]: unknown
}
interface LlhttpParserClass {
  new (): LlhttpParser
  readonly RESPONSE: number
  readonly kOnHeaders: number
  readonly kOnHeadersComplete: number
  readonly kOnBody: number
  readonly kOnMessageComplete: number
  readonly kLenientNone: number
}
const { HTTPParser } = createRequire(import.meta.url)('_http_common') as { HTTPParser: LlhttpParserClass }

/** What a parser made of one response. */
interface Verdict {
  /** The final response completed (its end is known). */
  readonly complete: boolean
  /** llhttp saw a 101 (node:http hands the socket over as an upgrade). */
  readonly upgrade?: boolean
  readonly status?: number
  readonly headers?: HeaderRecord
  readonly keepAlive?: boolean
  readonly body: Buffer
  readonly trailers?: HeaderRecord
  /** Offset just after the final response. */
  readonly end?: number
  readonly error?: string
}

function record(pairs: readonly string[]): HeaderRecord {
  const out: HeaderRecord = {}
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const key = pairs[i]!.toLowerCase()
    const value = pairs[i + 1]!
    const current = out[key]
    if (current === undefined) out[key] = value
    else if (Array.isArray(current)) current.push(value)
    else out[key] = [current, value]
  }
  return out
}

/**
 * llhttp as node:http's client runs it: strict (no lenient flags), the default header size
 * limit, interim 1xx heads skipped with their bodies (return 1), HEAD and 304 bodies skipped,
 * an upgrade handed over (return 2). Chunks are fed one byte at a time so that the message's end is exact; the connection
 * end calls finish(), which completes a close-delimited body.
 */
function llhttp(chunks: readonly Buffer[], method: string): Verdict {
  const parser = new HTTPParser()
  parser.initialize(HTTPParser.RESPONSE, {}, 0, HTTPParser.kLenientNone)
  let pending: string[] = []
  let status: number | undefined
  let headers: HeaderRecord | undefined
  let keepAlive: boolean | undefined
  let upgrade = false
  let final = false
  let done = false
  let trailers: HeaderRecord | undefined
  const body: Buffer[] = []
  parser[HTTPParser.kOnHeaders] = (fields: string[]) => {
    pending.push(...fields)
  }
  parser[HTTPParser.kOnHeadersComplete] = (
    _major: number,
    _minor: number,
    fields: string[] | undefined,
    _method: unknown,
    _url: unknown,
    code: number,
    _message: string,
    isUpgrade: boolean,
    shouldKeepAlive: boolean,
  ) => {
    const all = fields === undefined ? pending : [...pending, ...fields]
    pending = []
    if (isUpgrade) {
      upgrade = true
      return 2
    }
    // node:http's client: 1xx other than 101 is interim; a 101 without an upgrade is final.
    if (code >= 100 && code < 200 && code !== 101) return 1
    final = true
    status = code
    headers = record(all)
    keepAlive = shouldKeepAlive
    return method === 'HEAD' || code === 304 ? 1 : 0
  }
  parser[HTTPParser.kOnBody] = (chunk: Buffer) => {
    body.push(Buffer.from(chunk))
  }
  parser[HTTPParser.kOnMessageComplete] = () => {
    if (!final) return
    done = true
    if (pending.length > 0) trailers = record(pending)
    pending = []
  }
  let offset = 0
  let error: string | undefined
  try {
    outer: for (const chunk of chunks) {
      for (let i = 0; i < chunk.length; i++) {
        const result = parser.execute(chunk.subarray(i, i + 1))
        offset++
        if (result instanceof Error) {
          error = (result as Error & { code?: string }).code ?? result.message
          break outer
        }
        if (done || upgrade) break outer
      }
    }
    if (error === undefined && !done && !upgrade) {
      const result = parser.finish()
      if (result instanceof Error) error = (result as Error & { code?: string }).code ?? result.message
    }
  } finally {
    parser.close()
  }
  const complete = done && !upgrade
  return {
    complete,
    upgrade,
    ...(status === undefined ? {} : { status, headers, keepAlive }),
    body: Buffer.concat(body),
    ...(trailers === undefined ? {} : { trailers }),
    ...(complete ? { end: offset } : {}),
    ...(error === undefined ? {} : { error }),
  }
}

/**
 * ResponseParser as H1Pool drives it: bytes in the given pieces, then the connection's end
 * (`finish()`) unless the response completed first.
 */
function portico(bytes: Buffer, method: string, cuts: readonly number[]): Verdict {
  const parser = new ResponseParser()
  let status: number | undefined
  let headers: HeaderRecord | undefined
  let keepAlive: boolean | undefined
  let trailers: HeaderRecord | undefined
  let done = false
  let end = 0
  const body: Buffer[] = []
  parser.expect(method, {
    onHead: (head) => {
      status = head.status
      headers = head.headers
      keepAlive = head.keepAlive
    },
    onData: (chunk) => {
      body.push(Buffer.from(chunk))
    },
    onEnd: (t) => {
      done = true
      trailers = t
    },
  })
  let error: string | undefined
  try {
    let from = 0
    for (const to of [...cuts, bytes.length]) {
      const piece = bytes.subarray(from, to)
      const used = parser.execute(piece)
      end = from + used
      from = to
      if (done) break
    }
    if (!done) {
      parser.finish()
      end = bytes.length
    }
  } catch (e) {
    error = (e as Error).message
  }
  const complete = done && error === undefined
  return {
    complete,
    ...(status === undefined ? {} : { status, headers, keepAlive }),
    body: Buffer.concat(body),
    ...(trailers === undefined ? {} : { trailers }),
    ...(complete ? { end } : {}),
    ...(error === undefined ? {} : { error }),
  }
}

/** Portico's verdict minus what only describes its own progress, for split-invariance. */
function comparable(v: Verdict): unknown {
  return {
    complete: v.complete,
    status: v.status,
    headers: v.headers,
    keepAlive: v.keepAlive,
    body: v.body.toString('hex'),
    trailers: v.trailers,
    end: v.end,
  }
}

// ---------------------------------------------------------------------------------------------
// Generated responses: a well-formed skeleton with hostile choices at every framing decision,
// then byte-level mutations.

const CRLF = '\r\n'

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,8}$/)
const plainValue = fc.stringMatching(/^[!-~]([ !-~]{0,12}[!-~])?$/)

const oddName = fc.constantFrom('X A', 'X-A ', ' X-A', '', 'X\u0000A', 'X\u00e9', 'X"A', 'X:A', 'X\tA', '@')
const oddValue = fc.constantFrom(
  ' padded ',
  '\tтаб',
  'a\u0000b',
  'a\rb',
  'a\u007fb',
  '\u00ff\u0080',
  '',
  ' ',
  'v\t',
  'quoted "x"',
  'a,b, c',
)

const field = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(token, plainValue) },
  { weight: 1, arbitrary: fc.tuple(oddName, plainValue) },
  { weight: 1, arbitrary: fc.tuple(token, oddValue) },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom('Connection', 'connection', 'Keep-Alive', 'Proxy-Connection'),
      fc.constantFrom('close', 'keep-alive', 'Keep-Alive', 'upgrade', 'close, keep-alive', 'timeout=5', 'x'),
    ),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('Set-Cookie', 'Upgrade', 'Trailer', 'Date'), plainValue) },
)

/** Mostly `usual`, sometimes one of the hostile alternatives. */
function mostly<T>(usual: T, ...hostile: T[]): fc.Arbitrary<T> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(usual) },
    { weight: 1, arbitrary: fc.constantFrom(...hostile) },
  )
}

function contentLengthValue(length: number): fc.Arbitrary<string> {
  return mostly(
    `${length}`,
    `${length}, ${length}`,
    `${length},${length}`,
    `${length}, ${length + 1}`,
    `+${length}`,
    `0${length}`,
    ` ${length} `,
    `${length}\t`,
    `${length} ${length}`,
    `-${length}`,
    '',
    `0x${length.toString(16)}`,
    '99999999999999999999999',
    '18446744073709551615',
    `${length}.0`,
    `${length};`,
  )
}

const transferEncoding = mostly(
  'chunked',
  'Chunked',
  'CHUNKED',
  'gzip, chunked',
  'gzip,chunked',
  'chunked, gzip',
  'identity',
  'identity, chunked',
  'chunked, chunked',
  ' chunked',
  'chunked ',
  'chunked\t',
  'xchunked',
  'chunkedx',
  'chunked;q=1',
  'gzip',
  '',
  'chunked, ',
  ', chunked',
)

const chunkExtension = mostly(
  '',
  ';a',
  ';a=b',
  '; a=b',
  ';a = b',
  ';a="q"',
  ';a="x;y"',
  ';a="\\""',
  ';a="unterminated',
  ';',
  ';a=b;c',
  ';a\tb',
  ';=b',
  ';a=',
  ' ;a',
  '\t;a',
  ' ',
  ';a=b\u0000',
  ';a=b\r',
  ';\u00e9',
  ';a=b ',
)

const chunkSizeStyle = mostly('lower', 'upper', 'zeros', 'space', 'plus', 'prefix', 'huge')

function chunkSize(n: number, style: string): string {
  const hex = n.toString(16)
  switch (style) {
    case 'upper':
      return hex.toUpperCase()
    case 'zeros':
      return `000${hex}`
    case 'space':
      return ` ${hex}`
    case 'plus':
      return `+${hex}`
    case 'prefix':
      return `0x${hex}`
    case 'huge':
      return `ffffffffffffffff${hex}`
    default:
      return hex
  }
}

const chunkEnd = mostly(CRLF, '\n', '', 'X\r\n', '\r', '\r\r\n')

const statusLine = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        fc.constantFrom('1.1', '1.1', '1.1', '1.0'),
        fc.constantFrom(200, 200, 201, 204, 206, 301, 304, 400, 404, 500, 503),
        fc.constantFrom(' OK', ' Whatever', '', ' ', ' Ñ', '  two spaces'),
      )
      .map(([v, s, r]) => ({ line: `HTTP/${v} ${s}${r}`, status: s })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        'HTTP/1.2 200 OK',
        'HTTP/2.0 200 OK',
        'HTTP/0.9 200 OK',
        'http/1.1 200 OK',
        'HTTP/1.1  200 OK',
        'HTTP/1.1 200OK',
        'HTTP/1.1 20 OK',
        'HTTP/1.1 2000 OK',
        'HTTP/1.1 099 OK',
        'HTTP/1.1 600 Custom',
        'HTTP/1.1 999 Custom',
        'HTTP/1.1 200\tOK',
        'HTTP/1.1 200 O\u0000K',
        'HTTP/1.1 200 O\rK',
        ' HTTP/1.1 200 OK',
        'HTTP/1.1 -200 OK',
        'HTTP/11 200 OK',
      )
      .map((line) => ({ line, status: 200 })),
  },
)

const interim = fc.array(
  fc
    .tuple(
      mostly(100, 102, 103, 199, 101),
      fc.array(fc.tuple(token, plainValue), { maxLength: 2 }),
      mostly('', 'Content-Length: 0\r\n', 'Content-Length: 3\r\n', 'Transfer-Encoding: chunked\r\n'),
    )
    .map(
      ([code, fields, framing]) =>
        `HTTP/1.1 ${code} Info\r\n${fields.map(([n, v]) => `${n}: ${v}\r\n`).join('')}${framing}\r\n`,
    ),
  { maxLength: 2 },
)

const bodyText = fc.string({ unit: 'binary-ascii', maxLength: 40 })

const framing = fc.oneof(
  {
    weight: 4,
    arbitrary: bodyText.chain((body) =>
      fc
        .tuple(
          fc.array(contentLengthValue(body.length), { minLength: 1, maxLength: 2 }),
          fc.constantFrom('Content-Length', 'content-length', 'CONTENT-LENGTH'),
        )
        .map(([values, name]) => ({
          head: values.map((v) => `${name}: ${v}\r\n`).join(''),
          body,
        })),
    ),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.array(fc.tuple(bodyText, chunkExtension, chunkSizeStyle, chunkEnd), { maxLength: 4 }),
        fc.array(transferEncoding, { minLength: 1, maxLength: 2 }),
        mostly('0', '00', '000', '0;ext', '0 ', '0\t', ' 0'),
        fc.array(
          fc.oneof(
            { weight: 4, arbitrary: fc.tuple(token, plainValue) },
            { weight: 1, arbitrary: fc.tuple(oddName, oddValue) },
          ),
          { maxLength: 2 },
        ),
        mostly(CRLF, '\n', ''),
        fc.option(contentLengthValue(7), { nil: undefined, freq: 8 }),
      )
      .map(([chunks, te, last, trailers, finalEnd, cl]) => ({
        head: `${te.map((v) => `Transfer-Encoding: ${v}\r\n`).join('')}${cl === undefined ? '' : `Content-Length: ${cl}\r\n`}`,
        body: `${chunks
          .filter(([text]) => text.length > 0)
          .map(([text, ext, style, end]) => `${chunkSize(text.length, style)}${ext}\r\n${text}${end}`)
          .join('')}${last}\r\n${trailers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}${finalEnd}`,
      })),
  },
  { weight: 1, arbitrary: bodyText.map((body) => ({ head: '', body })) },
)

/** Bytes that follow the response on the connection: nothing, a second response, or garbage. */
const leftover = mostly(
  '',
  'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi',
  'HTTP/1.1 204 No Content\r\n\r\n',
  'garbage',
  '\r\n',
  '0\r\n\r\n',
)

type Mutation =
  | { readonly kind: 'crlf'; readonly at: number; readonly to: string }
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'fold'; readonly at: number; readonly text: string }
  | { readonly kind: 'duplicate'; readonly at: number }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('crlf' as const),
    at: fc.nat(),
    to: fc.constantFrom('\n', '\r', '\r\r\n', '\n\r', ' \r\n'),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom(
      '\u0000',
      '\r',
      '\n',
      ' ',
      '\t',
      ':',
      ';',
      ',',
      '0',
      'a',
      '\u007f',
      '\u0080',
      '\u00ff',
      '"',
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('fold' as const),
    at: fc.nat(),
    text: fc.constantFrom(' folded', '\tfolded', ' '),
  }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
)

/** Applies a mutation; line-based ones pick the n-th CRLF. */
function mutate(wire: string, m: Mutation): string {
  if (wire.length === 0) return wire
  const lineEnds: number[] = []
  for (let i = wire.indexOf(CRLF); i >= 0; i = wire.indexOf(CRLF, i + 2)) lineEnds.push(i)
  switch (m.kind) {
    case 'insert': {
      const at = m.at % (wire.length + 1)
      return wire.slice(0, at) + m.text + wire.slice(at)
    }
    case 'delete': {
      const at = m.at % wire.length
      return wire.slice(0, at) + wire.slice(at + 1)
    }
    default: {
      if (lineEnds.length === 0) return wire
      const at = lineEnds[m.at % lineEnds.length]!
      if (m.kind === 'crlf') return wire.slice(0, at) + m.to + wire.slice(at + 2)
      if (m.kind === 'fold') return `${wire.slice(0, at + 2)}${m.text}\r\n${wire.slice(at + 2)}`
      // duplicate: repeat the line that ends here
      const start = wire.lastIndexOf(CRLF, at - 1)
      const line = wire.slice(start < 0 ? 0 : start + 2, at + 2)
      return wire.slice(0, at + 2) + line + wire.slice(at + 2)
    }
  }
}

interface Case {
  readonly method: string
  readonly wire: Buffer
}

const response: fc.Arbitrary<Case> = fc
  .record({
    method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'HEAD'),
    interim,
    status: statusLine,
    fields: fc.array(field, { maxLength: 3 }),
    framing,
    framingFirst: fc.boolean(),
    leftover,
    mutations: fc.oneof(
      { weight: 3, arbitrary: fc.constant([] as Mutation[]) },
      { weight: 2, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) },
    ),
  })
  .map((r) => {
    const fields = r.fields.map(([n, v]) => `${n}: ${v}\r\n`).join('')
    const head = r.framingFirst ? r.framing.head + fields : fields + r.framing.head
    let wire = `${r.interim.join('')}${r.status.line}\r\n${head}\r\n${r.framing.body}${r.leftover}`
    for (const m of r.mutations) wire = mutate(wire, m)
    return { method: r.method, wire: Buffer.from(wire, 'latin1') }
  })

// ---------------------------------------------------------------------------------------------

/** A loopback server that answers each connection with the bytes queued for it, then closes. */
class Wire {
  readonly #server: Server
  readonly #queue: Buffer[] = []
  readonly #sockets = new Set<Socket>()

  constructor() {
    this.#server = createServer((socket) => {
      socket.on('error', () => {})
      this.#sockets.add(socket)
      socket.once('close', () => this.#sockets.delete(socket))
      socket.end(this.#queue.shift() ?? Buffer.alloc(0))
    })
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port
  }

  /** Queues the bytes the next connection gets. */
  queue(bytes: Buffer): void {
    this.#queue.push(bytes)
  }

  /** Sends a request, returns the chunks the client socket read until the server's end. */
  exchange(method: string, bytes: Buffer): Promise<Buffer[]> {
    this.#queue.push(bytes)
    const { port } = this.#server.address() as AddressInfo
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`${method} / HTTP/1.1\r\nhost: upstream\r\n\r\n`)
      })
      socket.on('data', (chunk: Buffer) => chunks.push(chunk))
      socket.on('end', () => {
        socket.destroy()
        resolve(chunks)
      })
      socket.on('error', (error) => {
        socket.destroy()
        reject(error)
      })
    })
  }

  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy()
    return new Promise((resolve) => this.#server.close(() => resolve()))
  }
}

interface Tally {
  bothAccept: number
  bothReject: number
  porticoStricter: number
}

/** Checks the law for one case; returns how it was classified. */
function judge(oracle: Verdict, ours: Verdict): 'bothAccept' | 'bothReject' | 'porticoStricter' {
  if (ours.status !== undefined) {
    // A head Portico reported (and a proxy would forward) is one llhttp reads the same way.
    expect(oracle.upgrade, 'llhttp saw an upgrade where Portico reported a head').toBe(false)
    expect({ status: oracle.status, headers: oracle.headers }).toEqual({
      status: ours.status,
      headers: ours.headers,
    })
    // Body bytes Portico passed on are bytes llhttp passed on too, in order.
    expect(oracle.body.subarray(0, ours.body.length).toString('latin1')).toBe(ours.body.toString('latin1'))
  }
  if (ours.complete) {
    expect(oracle.complete, `llhttp refused (${oracle.error}) what Portico accepted`).toBe(true)
    expect(comparable(ours)).toEqual({
      ...(comparable(oracle) as object),
      // Portico may close a connection llhttp would keep; never the reverse.
      keepAlive: ours.keepAlive === true ? oracle.keepAlive : false,
    })
    return 'bothAccept'
  }
  return oracle.complete ? 'porticoStricter' : 'bothReject'
}

describe('ResponseParser against llhttp (node:http client parser)', () => {
  const wire = new Wire()
  const tally: Tally = { bothAccept: 0, bothReject: 0, porticoStricter: 0 }
  beforeAll(() => wire.start())
  afterAll(() => wire.close())

  it(`${RUNS} generated and mutated responses: never looser than llhttp, the same message where both accept`, async () => {
    await fc.assert(
      fc.asyncProperty(response, async ({ method, wire: bytes }) => {
        const chunks = await wire.exchange(method, bytes)
        expect(Buffer.concat(chunks).equals(bytes)).toBe(true)
        const oracle = llhttp(chunks, method)
        const whole = portico(bytes, method, [])
        tally[judge(oracle, whole)]++
        // The same verdict however the bytes arrive: one byte at a time, and split at every boundary.
        const expected = comparable(whole)
        const text = JSON.stringify(expected)
        const ones = Array.from({ length: Math.max(0, bytes.length - 1) }, (_, i) => i + 1)
        // Every boundary of responses up to MAX_SPLITS bytes; evenly spread ones beyond.
        const stride = Math.ceil(ones.length / MAX_SPLITS)
        const twos = ones.filter((cut) => cut % stride === 0).map((cut) => [cut])
        for (const cuts of [ones, ...twos]) {
          // Refusals throw; their stack traces are not read, and would dominate the run time.
          const limit = Error.stackTraceLimit
          Error.stackTraceLimit = 0
          const split = comparable(portico(bytes, method, cuts))
          Error.stackTraceLimit = limit
          if (JSON.stringify(split) !== text)
            expect({ cuts, ...(split as object) }).toEqual({ cuts, ...(expected as object) })
        }
      }),
      { seed: SEED, numRuns: RUNS },
    )
    // The generator reaches every outcome, so the law is exercised both ways.
    console.log(`llhttp differential (seed ${SEED}): ${JSON.stringify(tally)}`)
    expect(tally.bothAccept).toBeGreaterThan(RUNS / 10)
    expect(tally.bothReject).toBeGreaterThan(RUNS / 10)
  }, 180_000)

  it('the llhttp harness reads responses as node:http.request itself does', async () => {
    // The oracle above drives Node's parser the way node:http's client does; this checks that
    // claim against the client itself on a sample of the same cases.
    let complete = 0
    await fc.assert(
      fc.asyncProperty(response, async ({ method, wire: bytes }) => {
        const oracle = llhttp([bytes], method)
        wire.queue(bytes)
        const client = await new Promise<Verdict>((resolve) => {
          const req = httpRequest({ host: '127.0.0.1', port: wire.port, method, path: '/', agent: false })
          let answered = false
          // An error after the response (bytes after its end) leaves the response as it was.
          req.on('error', () => {
            if (!answered) resolve({ complete: false, body: Buffer.alloc(0) })
          })
          req.on('response', (res) => {
            answered = true
            const body: Buffer[] = []
            res.on('data', (chunk: Buffer) => body.push(chunk))
            res.on('error', () => {})
            res.on('close', () =>
              resolve({
                complete: res.complete,
                status: res.statusCode ?? 0,
                headers: record(res.rawHeaders),
                body: Buffer.concat(body),
                ...(res.rawTrailers.length > 0 ? { trailers: record(res.rawTrailers) } : {}),
              }),
            )
          })
          req.end()
        })
        expect(client.complete).toBe(oracle.complete)
        if (!oracle.complete) return
        complete++
        expect({ ...client, body: client.body.toString('hex') }).toEqual({
          complete: true,
          status: oracle.status,
          headers: oracle.headers,
          body: oracle.body.toString('hex'),
          ...(oracle.trailers === undefined ? {} : { trailers: oracle.trailers }),
        })
      }),
      { seed: SEED, numRuns: 300 },
    )
    expect(complete).toBeGreaterThan(30)
  }, 180_000)
})
