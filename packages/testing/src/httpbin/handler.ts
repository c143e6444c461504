import { randomBytes, randomUUID } from 'node:crypto'
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import type { TLSSocket } from 'node:tls'
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import {
  ACCEPTED_MEDIA_TYPES,
  ANGRY,
  FORMS_POST_PAGE,
  IMAGES,
  LANDING_PAGE,
  MOBY_PAGE,
  ROBOTS,
  TEAPOT,
  UTF8_DEMO,
  XML_DOC,
} from './assets.js'
import { multipartBoundary, parseMultipart } from './multipart.js'
import { dumpsText, jsonifyText, type PyJson } from './pyjson.js'
import { PyRandom } from './random.js'
import {
  dumpCookie,
  environHeaders,
  errorPage,
  firstValues,
  hostForUrl,
  type MultiDict,
  parseCookies,
  percentDecodeBytes,
  reasonPhrase,
  redirectPage,
  requestUrl,
  semiflatten,
  urlDecode,
} from './werkzeug.js'

/** What the handler reads of a request (common to node:http and the node:http2 compat API). */
interface RequestView extends AsyncIterable<Buffer | string> {
  readonly method?: string | undefined
  readonly url?: string | undefined
  readonly rawHeaders: string[]
  readonly headers: Record<string, string | string[] | undefined>
  readonly httpVersionMajor: number
  readonly socket: { remoteAddress?: string | undefined; encrypted?: boolean } | TLSSocket | null
}

/** What the handler writes of a response (common to node:http and the node:http2 compat API). */
interface ResponseView {
  statusCode: number
  statusMessage: string
  setHeader(name: string, value: string | string[]): unknown
  write(chunk: Buffer, callback?: (err?: Error | null) => void): boolean
  end(chunk?: Buffer): unknown
  once(event: 'drain' | 'close', listener: () => void): unknown
  on(event: 'close', listener: () => void): unknown
  destroy(error?: Error): unknown
  readonly writableFinished: boolean
  readonly headersSent: boolean
}

type Headers = Array<[string, string]>

interface Reply {
  status: number
  headers: Headers
  /** A complete body (Content-Length is added, as Werkzeug does for sequence bodies). */
  body?: Buffer | string
  /** A streamed body; `emit` resolves when the chunk is flushed. */
  stream?: (emit: (chunk: Buffer) => Promise<void>, signal: AbortSignal) => Promise<void>
}

interface Ctx {
  readonly method: string
  readonly rawTarget: string
  readonly args: MultiDict
  readonly headers: Headers
  readonly body: Buffer
  readonly remoteAddress: string
  /** `wsgi.url_scheme`: https when the connection itself is TLS. */
  readonly scheme: 'http' | 'https'
  readonly host: string
  readonly signal: AbortSignal
}

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`)
  }
}

const HTML = 'text/html; charset=utf-8'
const MAX_BODY = 64 * 1024 * 1024

const ENV_HEADERS = new Set([
  'X-Varnish',
  'X-Request-Start',
  'X-Heroku-Queue-Depth',
  'X-Real-Ip',
  'X-Forwarded-Proto',
  'X-Forwarded-Protocol',
  'X-Forwarded-Ssl',
  'X-Heroku-Queue-Wait-Time',
  'X-Forwarded-For',
  'X-Heroku-Dynos-In-Use',
  'X-Forwarded-Port',
  'X-Request-Id',
  'Via',
  'Total-Route-Time',
  'Connect-Time',
])

const ENV_COOKIES = new Set([
  '_gauges_unique',
  '_gauges_unique_year',
  '_gauges_unique_month',
  '_gauges_unique_day',
  '_gauges_unique_hour',
  '__utmz',
  '__utma',
  '__utmb',
])

function header(ctx: Ctx, name: string): string | undefined {
  const lower = name.toLowerCase()
  for (const [k, v] of ctx.headers) if (k.toLowerCase() === lower) return v
  return undefined
}

/** `CaseInsensitiveDict(request.args.items())[name]`: the first pair whose key matches case-insensitively. */
function argCi(ctx: Ctx, name: string): string | undefined {
  const lower = name.toLowerCase()
  for (const [k, v] of firstValues(ctx.args)) if (k.toLowerCase() === lower) return v
  return undefined
}

function hasArg(ctx: Ctx, name: string): boolean {
  return ctx.args.some(([k]) => k === name)
}

/** Python's `int(text)`; throws like a ValueError (a 500) otherwise. */
function pyInt(text: string): number {
  const t = text.trim()
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) throw new Error(`invalid literal for int(): ${text}`)
  return Number(t.replace(/_/g, ''))
}

/** Python's `float(text)`; throws like a ValueError (a 500) otherwise. */
function pyFloat(text: string): number {
  const t = text.trim().toLowerCase()
  if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity
  if (/^[+-]?nan$/.test(t)) return Number.NaN
  if (!/^[+-]?((\d+(_\d+)*)(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)(e[+-]?\d+(_\d+)*)?$/.test(t)) {
    throw new Error(`could not convert string to float: ${text}`)
  }
  return Number(t.replace(/_/g, ''))
}

/** `time.sleep(seconds)`, cut short when the client goes away. */
function sleep(seconds: number, signal: AbortSignal): Promise<void> {
  if (!(seconds >= 0)) return Promise.reject(new Error('sleep length must be non-negative'))
  if (seconds === 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, seconds * 1000)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

function jsonReply(value: PyJson, status = 200): Reply {
  return { status, headers: [['Content-Type', 'application/json']], body: jsonifyText(value) }
}

function htmlReply(body: string | Buffer, status = 200): Reply {
  return { status, headers: [['Content-Type', HTML]], body }
}

function redirectReply(location: string, status = 302): Reply {
  return {
    status,
    headers: [
      ['Content-Type', HTML],
      ['Location', location],
    ],
    body: redirectPage(location),
  }
}

function externalUrl(ctx: Ctx, path: string): string {
  return `${ctx.scheme}://${hostForUrl(ctx.host, ctx.scheme)}${path}`
}

/** httpbin's `helpers.status_code`: the special responses replace all headers. */
function statusReply(code: number): Reply {
  const redirect: Reply = { status: code, headers: [['location', '/redirect/1']], body: '' }
  switch (code) {
    case 301:
    case 302:
    case 303:
    case 305:
    case 307:
      return redirect
    case 401:
      return { status: code, headers: [['WWW-Authenticate', 'Basic realm="Fake Realm"']], body: '' }
    case 402:
      return {
        status: code,
        headers: [['x-more-info', 'http://vimeo.com/22053820']],
        body: 'Fuck you, pay me!',
      }
    case 406:
      return {
        status: code,
        headers: [['Content-Type', 'application/json']],
        body: dumpsText({
          message: 'Client did not request a supported media type.',
          accept: ACCEPTED_MEDIA_TYPES,
        }),
      }
    case 407:
      return { status: code, headers: [['Proxy-Authenticate', 'Basic realm="Fake Realm"']], body: '' }
    case 418:
      return { status: code, headers: [['x-more-info', 'http://tools.ietf.org/html/rfc2324']], body: TEAPOT }
    default:
      return htmlReply('', code)
  }
}

/** httpbin's `json_safe`: UTF-8 text as is, anything else as a base64 data URL. */
function jsonSafe(data: Buffer, contentType = 'application/octet-stream'): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data)
  } catch {
    return `data:${contentType};base64,${data.toString('base64')}`
  }
}

function mimetype(ctx: Ctx): string {
  return (header(ctx, 'Content-Type') ?? '').split(';')[0]!.trim().toLowerCase()
}

interface Parsed {
  form: MultiDict
  files: Array<[string, string]>
  data: Buffer
}

/** Flask's form parsing: form bodies fill `form`/`files` and leave `data` empty. */
function parseBody(ctx: Ctx): Parsed {
  const type = mimetype(ctx)
  if (type === 'application/x-www-form-urlencoded') {
    return { form: urlDecode(ctx.body), files: [], data: Buffer.alloc(0) }
  }
  if (type === 'multipart/form-data') {
    const form: MultiDict = []
    const files: Array<[string, string]> = []
    const boundary = multipartBoundary(header(ctx, 'Content-Type'))
    const parts = boundary === undefined ? undefined : parseMultipart(ctx.body, boundary)
    for (const part of parts ?? []) {
      if (part.filename !== undefined) {
        files.push([part.name, jsonSafe(part.data, part.contentType ?? 'application/octet-stream')])
      } else form.push([part.name, part.data.toString('utf8')])
    }
    return { form, files, data: Buffer.alloc(0) }
  }
  return { form: [], files: [], data: ctx.body }
}

function headersDict(ctx: Ctx): Record<string, string> {
  const showEnv = hasArg(ctx, 'show_env')
  const out: Record<string, string> = {}
  for (const [k, v] of ctx.headers) if (showEnv || !ENV_HEADERS.has(k)) out[k] = v
  return out
}

type DictKey = 'url' | 'args' | 'form' | 'data' | 'origin' | 'headers' | 'files' | 'json' | 'method'

/** httpbin's `get_dict`: the request echo, keys in the order asked. */
function getDict(ctx: Ctx, keys: readonly DictKey[]): Record<string, PyJson> {
  const parsed = parseBody(ctx)
  const out: Record<string, PyJson> = {}
  for (const key of keys) {
    switch (key) {
      case 'url': {
        let scheme: string | undefined =
          header(ctx, 'X-Forwarded-Proto') || header(ctx, 'X-Forwarded-Protocol')
        if (!scheme && header(ctx, 'X-Forwarded-Ssl') === 'on') scheme = 'https'
        out.url = requestUrl(scheme || ctx.scheme, hostForUrl(ctx.host, ctx.scheme), ctx.rawTarget)
        break
      }
      case 'args':
        out.args = semiflatten(ctx.args)
        break
      case 'form':
        out.form = semiflatten(parsed.form)
        break
      case 'data':
        out.data = jsonSafe(parsed.data)
        break
      case 'origin':
        out.origin = header(ctx, 'X-Forwarded-For') ?? ctx.remoteAddress
        break
      case 'headers':
        out.headers = headersDict(ctx)
        break
      case 'files':
        out.files = semiflatten(parsed.files)
        break
      case 'json': {
        let value: PyJson = null
        try {
          value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(parsed.data)) as PyJson
        } catch {
          value = null
        }
        out.json = value
        break
      }
      case 'method':
        out.method = ctx.method
        break
    }
  }
  return out
}

const ECHO_KEYS: readonly DictKey[] = ['url', 'args', 'form', 'data', 'origin', 'headers', 'files', 'json']

function viewGet(ctx: Ctx): Reply {
  return jsonReply(getDict(ctx, ['url', 'args', 'headers', 'origin']))
}

function basicAuthOk(ctx: Ctx, user: string, passwd: string): boolean {
  const auth = header(ctx, 'Authorization')
  if (!auth) return false
  const space = auth.indexOf(' ')
  if (space < 0 || auth.slice(0, space).toLowerCase() !== 'basic') return false
  const info = auth.slice(space + 1).trim()
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(info) || info.length % 4 !== 0) return false
  const decoded = Buffer.from(info, 'base64').toString('latin1')
  const colon = decoded.indexOf(':')
  if (colon < 0) return false
  const toUtf8 = (s: string) => Buffer.from(s, 'latin1').toString('utf8')
  return toUtf8(decoded.slice(0, colon)) === user && toUtf8(decoded.slice(colon + 1)) === passwd
}

/** Python's non-strict `urlsafe_b64decode`: foreign characters dropped, padding required. */
function urlsafeB64Decode(value: string): Buffer | undefined {
  const cleaned = value
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .replace(/[^A-Za-z0-9+/=]/g, '')
  const firstPad = cleaned.indexOf('=')
  const data = firstPad < 0 ? cleaned : cleaned.slice(0, firstPad)
  const pads = firstPad < 0 ? 0 : cleaned.slice(firstPad).replace(/[^=]/g, '').length
  const rest = data.length % 4
  if (rest === 1) return undefined
  if (rest !== 0 && pads < 4 - rest) return undefined
  return Buffer.from(data, 'base64')
}

function parseMultiValueHeader(value: string | undefined): string[] {
  if (!value) return []
  return value.split(',').map((part) => /\s*(W\/)?"?([^"]*)"?\s*/.exec(part)?.[2] ?? '')
}

function parseRange(value: string | undefined): [number | undefined, number | undefined] {
  if (!value) return [undefined, undefined]
  const text = value.trim()
  if (!text.startsWith('bytes')) return [undefined, undefined]
  const eq = text.split('=')
  if (eq.length !== 2) return [undefined, undefined]
  const bounds = eq[1]!.split('-')
  const int = (s: string | undefined) => {
    if (s === undefined) return undefined
    try {
      return pyInt(s)
    } catch {
      return undefined
    }
  }
  return [int(bounds[0]), int(bounds[1])]
}

function randomSource(ctx: Ctx): () => number {
  const seed = argCi(ctx, 'seed')
  if (seed === undefined) {
    return () => randomBytes(1)[0]!
  }
  const rng = new PyRandom(BigInt(pyInt(seed)))
  return () => rng.byte()
}

/**
 * httpbin's `weighted_choice`: `bisect.bisect` of `random.uniform(0, total)` into the running sums. A draw
 * past the last sum (all weights zero, or negative) is Python's IndexError, a 500.
 */
function weightedChoice(choices: Array<[number, number]>): number {
  let total = 0
  const cumulative = choices.map(([, w]) => {
    total += w
    return total
  })
  const x = total * Math.random()
  let lo = 0
  let hi = cumulative.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (x < cumulative[mid]!) hi = mid
    else lo = mid + 1
  }
  if (lo >= choices.length) throw new Error('list index out of range')
  return choices[lo]![0]
}

function compress(reply: Reply, encoding: 'gzip' | 'deflate' | 'br'): Reply {
  const raw = Buffer.from(reply.body ?? '')
  const body =
    encoding === 'gzip'
      ? gzipSync(raw, { level: 4 })
      : encoding === 'deflate'
        ? deflateSync(raw)
        : brotliCompressSync(raw)
  return {
    ...reply,
    headers: [...reply.headers, ['Content-Encoding', encoding], ['Content-Length', String(body.length)]],
    body,
  }
}

function responseHeaders(ctx: Ctx): Reply {
  const extra = ctx.args
  let headers: Headers = [['Content-Type', 'application/json'], ['Content-Length', '0'], ...extra]
  let body = ''
  for (let i = 0; i < 10; i++) {
    const d: Record<string, PyJson> = {}
    for (const [key] of headers) {
      const all = headers.filter(([k]) => k.toLowerCase() === key.toLowerCase()).map(([, v]) => v)
      d[key] = all.length === 1 ? all[0]! : all
    }
    const next = jsonifyText(d)
    headers = [
      ['Content-Type', 'application/json'],
      ['Content-Length', String(Buffer.byteLength(next))],
      ...extra,
    ]
    if (next === body) break
    body = next
  }
  return { status: 200, headers, body }
}

function streamReply(headers: Headers, status: number, produce: Reply['stream']): Reply {
  return { status, headers, stream: produce! }
}

type Params = readonly string[]
interface Route {
  readonly re: RegExp
  readonly methods: readonly string[]
  readonly handle: (ctx: Ctx, p: Params) => Reply | Promise<Reply>
}

const ANY = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'TRACE'] as const
const SEG = '([^/]+)'
const INT = '(\\d+)'

function route(pattern: string, methods: readonly string[], handle: Route['handle']): Route {
  return { re: new RegExp(`^${pattern}$`), methods, handle }
}

const get = (pattern: string, handle: Route['handle']) => route(pattern, ['GET'], handle)

const ROUTES: readonly Route[] = [
  get('/', () => htmlReply(LANDING_PAGE)),
  get('/html', () => htmlReply(MOBY_PAGE)),
  get('/robots.txt', () => ({ status: 200, headers: [['Content-Type', 'text/plain']], body: ROBOTS })),
  get('/deny', () => ({ status: 200, headers: [['Content-Type', 'text/plain']], body: ANGRY })),
  get('/ip', (ctx) => jsonReply({ origin: header(ctx, 'X-Forwarded-For') ?? ctx.remoteAddress })),
  get('/uuid', () => jsonReply({ uuid: randomUUID() })),
  get('/headers', (ctx) => jsonReply(getDict(ctx, ['headers']))),
  get('/user-agent', (ctx) => jsonReply({ 'user-agent': header(ctx, 'User-Agent') ?? null })),
  get('/get', viewGet),
  route('/anything', ANY, (ctx) =>
    jsonReply(getDict(ctx, ['url', 'args', 'headers', 'origin', 'method', 'form', 'data', 'files', 'json'])),
  ),
  route('/anything/([^/].*)', ANY, (ctx) =>
    jsonReply(getDict(ctx, ['url', 'args', 'headers', 'origin', 'method', 'form', 'data', 'files', 'json'])),
  ),
  route('/post', ['POST'], (ctx) => jsonReply(getDict(ctx, ECHO_KEYS))),
  route('/put', ['PUT'], (ctx) => jsonReply(getDict(ctx, ECHO_KEYS))),
  route('/patch', ['PATCH'], (ctx) => jsonReply(getDict(ctx, ECHO_KEYS))),
  route('/delete', ['DELETE'], (ctx) => jsonReply(getDict(ctx, ECHO_KEYS))),
  get('/gzip', (ctx) =>
    compress(
      jsonReply({ ...getDict(ctx, ['origin', 'headers']), method: ctx.method, gzipped: true }),
      'gzip',
    ),
  ),
  get('/deflate', (ctx) =>
    compress(
      jsonReply({ ...getDict(ctx, ['origin', 'headers']), method: ctx.method, deflated: true }),
      'deflate',
    ),
  ),
  get('/brotli', (ctx) =>
    compress(jsonReply({ ...getDict(ctx, ['origin', 'headers']), method: ctx.method, brotli: true }), 'br'),
  ),
  get(`/redirect/${INT}`, (ctx, [n]) => {
    const count = pyInt(n!)
    if (count <= 0) throw new Error('n must be positive')
    const absolute = (firstValues(ctx.args).get('absolute') ?? 'false').toLowerCase() === 'true'
    if (count === 1) return redirectReply(absolute ? externalUrl(ctx, '/get') : '/get')
    return redirectReply(
      absolute ? externalUrl(ctx, `/absolute-redirect/${count - 1}`) : `/relative-redirect/${count - 1}`,
    )
  }),
  route('/redirect-to', ANY, (ctx) => {
    const url = argCi(ctx, 'url')
    if (url === undefined) throw new Error('url is required')
    let status = 302
    const code = argCi(ctx, 'status_code')
    if (code !== undefined) {
      const n = pyInt(code)
      if (n >= 300 && n < 400) status = n
    }
    return {
      status,
      headers: [
        ['Content-Type', HTML],
        ['Location', Buffer.from(url).toString('latin1')],
      ],
      body: '',
    }
  }),
  get(`/relative-redirect/${INT}`, (_ctx, [n]) => {
    const count = pyInt(n!)
    if (count <= 0) throw new Error('n must be positive')
    const location = count === 1 ? '/get' : `/relative-redirect/${count - 1}`
    return {
      status: 302,
      headers: [
        ['Content-Type', HTML],
        ['Location', location],
      ],
      body: '',
    }
  }),
  get(`/absolute-redirect/${INT}`, (ctx, [n]) => {
    const count = pyInt(n!)
    if (count <= 0) throw new Error('n must be positive')
    return redirectReply(externalUrl(ctx, count === 1 ? '/get' : `/absolute-redirect/${count - 1}`))
  }),
  get(`/stream/${INT}`, (ctx, [n]) => {
    const count = Math.min(pyInt(n!), 100)
    const base = getDict(ctx, ['url', 'args', 'headers', 'origin'])
    return streamReply([['Content-Type', 'application/json']], 200, async (emit) => {
      for (let i = 0; i < count; i++) await emit(Buffer.from(`${dumpsText({ ...base, id: i })}\n`))
    })
  }),
  route(`/status/${SEG}`, ANY, (_ctx, [codes]) => {
    const invalid = { status: 400, headers: [['Content-Type', HTML]], body: 'Invalid status code' } as Reply
    const spec = codes!
    if (!spec.includes(',')) {
      try {
        return statusReply(pyInt(spec))
      } catch {
        return invalid
      }
    }
    const choices: Array<[number, number]> = []
    for (const choice of spec.split(',')) {
      const parts = choice.split(':')
      if (parts.length > 2) throw new Error('too many values to unpack')
      try {
        choices.push([pyInt(parts[0]!), parts.length === 2 ? pyFloat(parts[1]!) : 1])
      } catch {
        return invalid
      }
    }
    return statusReply(weightedChoice(choices))
  }),
  route('/response-headers', ['GET', 'POST'], responseHeaders),
  get('/cookies', (ctx) => {
    const cookies: Record<string, string> = {}
    const showEnv = hasArg(ctx, 'show_env')
    for (const [k, v] of parseCookies(header(ctx, 'Cookie')))
      if (showEnv || !ENV_COOKIES.has(k)) cookies[k] = v
    return jsonReply({ cookies })
  }),
  get('/forms/post', () => htmlReply(FORMS_POST_PAGE)),
  get(`/cookies/set/${SEG}/${SEG}`, (ctx, [name, value]) => {
    const reply = redirectReply('/cookies')
    reply.headers.push(['Set-Cookie', dumpCookie(name!, value!, { secure: ctx.scheme === 'https' })])
    return reply
  }),
  get('/cookies/set', (ctx) => {
    const reply = redirectReply('/cookies')
    for (const [k, v] of firstValues(ctx.args)) {
      reply.headers.push(['Set-Cookie', dumpCookie(k, v, { secure: ctx.scheme === 'https' })])
    }
    return reply
  }),
  get('/cookies/delete', (ctx) => {
    const reply = redirectReply('/cookies')
    for (const [k] of firstValues(ctx.args))
      reply.headers.push(['Set-Cookie', dumpCookie(k, '', { expire: true })])
    return reply
  }),
  get(`/basic-auth/${SEG}/${SEG}`, (ctx, [user, passwd]) =>
    basicAuthOk(ctx, user!, passwd!) ? jsonReply({ authenticated: true, user: user! }) : statusReply(401),
  ),
  get(`/hidden-basic-auth/${SEG}/${SEG}`, (ctx, [user, passwd]) =>
    basicAuthOk(ctx, user!, passwd!) ? jsonReply({ authenticated: true, user: user! }) : statusReply(404),
  ),
  get('/bearer', (ctx) => {
    const auth = header(ctx, 'Authorization')
    if (!auth?.startsWith('Bearer ')) {
      return {
        status: 401,
        headers: [
          ['Content-Type', HTML],
          ['WWW-Authenticate', 'Bearer'],
        ],
        body: '',
      }
    }
    return jsonReply({ authenticated: true, token: auth.slice('Bearer '.length) })
  }),
  route(`/delay/${SEG}`, ANY, async (ctx, [delay]) => {
    await sleep(Math.min(pyFloat(delay!), 10), ctx.signal)
    return jsonReply(getDict(ctx, ['url', 'args', 'form', 'data', 'origin', 'headers', 'files']))
  }),
  get('/drip', async (ctx) => {
    const duration = pyFloat(argCi(ctx, 'duration') ?? '2')
    const numbytes = Math.min(pyInt(argCi(ctx, 'numbytes') ?? '10'), 10 * 1024 * 1024)
    const code = pyInt(argCi(ctx, 'code') ?? '200')
    if (numbytes <= 0) return htmlReply('number of bytes must be positive', 400)
    const delay = pyFloat(argCi(ctx, 'delay') ?? '0')
    if (delay > 0) await sleep(delay, ctx.signal)
    const pause = duration / numbytes
    const headers: Headers = [
      ['Content-Type', 'application/octet-stream'],
      ['Content-Length', String(numbytes)],
    ]
    return streamReply(headers, code, async (emit, signal) => {
      for (let i = 0; i < numbytes; i++) {
        await emit(Buffer.from('*'))
        await sleep(pause, signal)
      }
    })
  }),
  get(`/base64/${SEG}`, (_ctx, [value]) => {
    const decoded = urlsafeB64Decode(value!)
    if (decoded !== undefined) {
      try {
        return htmlReply(new TextDecoder('utf-8', { fatal: true }).decode(decoded))
      } catch {}
    }
    return htmlReply('Incorrect Base64 data try: SFRUUEJJTiBpcyBhd2Vzb21l')
  }),
  get('/cache', (ctx) => {
    if (header(ctx, 'If-Modified-Since') || header(ctx, 'If-None-Match')) return statusReply(304)
    const reply = viewGet(ctx)
    reply.headers.push(['Last-Modified', new Date().toUTCString()], ['ETag', randomUUID().replace(/-/g, '')])
    return reply
  }),
  get(`/etag/${SEG}`, (ctx, [etag]) => {
    const ifNoneMatch = parseMultiValueHeader(header(ctx, 'If-None-Match'))
    const ifMatch = parseMultiValueHeader(header(ctx, 'If-Match'))
    if (ifNoneMatch.length > 0) {
      if (ifNoneMatch.includes(etag!) || ifNoneMatch.includes('*')) {
        const reply = statusReply(304)
        reply.headers.push(['ETag', etag!])
        return reply
      }
    } else if (ifMatch.length > 0 && !ifMatch.includes(etag!) && !ifMatch.includes('*')) {
      return statusReply(412)
    }
    const reply = viewGet(ctx)
    reply.headers.push(['ETag', etag!])
    return reply
  }),
  get(`/cache/${INT}`, (ctx, [n]) => {
    const reply = viewGet(ctx)
    reply.headers.push(['Cache-Control', `public, max-age=${pyInt(n!)}`])
    return reply
  }),
  get('/encoding/utf8', () => htmlReply(UTF8_DEMO)),
  get(`/bytes/${INT}`, (ctx, [n]) => {
    const count = Math.min(pyInt(n!), 100 * 1024)
    const next = randomSource(ctx)
    const body = Buffer.alloc(count)
    for (let i = 0; i < count; i++) body[i] = next()
    return { status: 200, headers: [['Content-Type', 'application/octet-stream']], body }
  }),
  get(`/stream-bytes/${INT}`, (ctx, [n]) => {
    const count = Math.min(pyInt(n!), 100 * 1024)
    const next = randomSource(ctx)
    const sizeArg = argCi(ctx, 'chunk_size')
    const chunkSize = sizeArg === undefined ? 10 * 1024 : Math.max(1, pyInt(sizeArg))
    return streamReply([['Content-Type', 'application/octet-stream']], 200, async (emit) => {
      for (let done = 0; done < count; ) {
        const size = Math.min(chunkSize, count - done)
        const chunk = Buffer.alloc(size)
        for (let i = 0; i < size; i++) chunk[i] = next()
        done += size
        await emit(chunk)
      }
    })
  }),
  get(`/range/${INT}`, (ctx, [n]) => {
    const numbytes = pyInt(n!)
    const etag = `range${numbytes}`
    if (numbytes <= 0 || numbytes > 100 * 1024) {
      return {
        status: 404,
        headers: [
          ['Content-Type', HTML],
          ['ETag', etag],
          ['Accept-Ranges', 'bytes'],
        ],
        body: 'number of bytes must be in the range (0, 102400]',
      }
    }
    const sizeArg = argCi(ctx, 'chunk_size')
    const chunkSize = sizeArg === undefined ? 10 * 1024 : Math.max(1, pyInt(sizeArg))
    const pausePerByte = pyFloat(argCi(ctx, 'duration') ?? '0') / numbytes
    let [first, last] = parseRange(header(ctx, 'Range'))
    if (first === undefined && last === undefined) {
      first = 0
      last = numbytes - 1
    } else if (first === undefined) {
      first = Math.max(0, numbytes - last!)
      last = numbytes - 1
    } else if (last === undefined) last = numbytes - 1
    if (first > last! || first < 0 || first >= numbytes || last! < 0 || last! >= numbytes) {
      return {
        status: 416,
        headers: [
          ['Content-Type', HTML],
          ['ETag', etag],
          ['Accept-Ranges', 'bytes'],
          ['Content-Range', `bytes */${numbytes}`],
          ['Content-Length', '0'],
        ],
        body: '',
      }
    }
    const from = first
    const to = last!
    const headers: Headers = [
      ['Content-Type', 'application/octet-stream'],
      ['ETag', etag],
      ['Accept-Ranges', 'bytes'],
      ['Content-Length', String(to + 1 - from)],
      ['Content-Range', `bytes ${from}-${to}/${numbytes}`],
    ]
    const status = from === 0 && to === numbytes - 1 ? 200 : 206
    return streamReply(headers, status, async (emit, signal) => {
      let chunk: number[] = []
      for (let i = from; i <= to; i++) {
        chunk.push(0x61 + (i % 26))
        if (chunk.length === chunkSize) {
          await emit(Buffer.from(chunk))
          await sleep(pausePerByte * chunkSize, signal)
          chunk = []
        }
      }
      if (chunk.length > 0) {
        await sleep(pausePerByte * chunk.length, signal)
        await emit(Buffer.from(chunk))
      }
    })
  }),
  get(`/links/${INT}/${INT}`, (_ctx, [n, offset]) => {
    const count = Math.min(Math.max(1, pyInt(n!)), 200)
    const at = pyInt(offset!)
    let html = '<html><head><title>Links</title></head><body>'
    for (let i = 0; i < count; i++) html += i === at ? `${i} ` : `<a href='/links/${count}/${i}'>${i}</a> `
    return htmlReply(`${html}</body></html>`)
  }),
  get(`/links/${INT}`, (_ctx, [n]) => redirectReply(`/links/${pyInt(n!)}/0`)),
  get('/image', (ctx) => {
    const accept = header(ctx, 'Accept')
    if (accept === undefined) return imageReply('png')
    const a = accept.toLowerCase()
    if (a.includes('image/webp')) return imageReply('webp')
    if (a.includes('image/svg+xml')) return imageReply('svg')
    if (a.includes('image/jpeg')) return imageReply('jpeg')
    if (a.includes('image/png') || a.includes('image/*')) return imageReply('png')
    return statusReply(406)
  }),
  get('/image/png', () => imageReply('png')),
  get('/image/jpeg', () => imageReply('jpeg')),
  get('/image/webp', () => imageReply('webp')),
  get('/image/svg', () => imageReply('svg')),
  get('/xml', () => ({ status: 200, headers: [['Content-Type', 'application/xml']], body: XML_DOC })),
  get('/json', () =>
    jsonReply({
      slideshow: {
        title: 'Sample Slide Show',
        date: 'date of publication',
        author: 'Yours Truly',
        slides: [
          { type: 'all', title: 'Wake up to WonderWidgets!' },
          {
            type: 'all',
            title: 'Overview',
            items: ['Why <em>WonderWidgets</em> are great', 'Who <em>buys</em> WonderWidgets'],
          },
        ],
      },
    }),
  ),
]

function imageReply(kind: keyof typeof IMAGES): Reply {
  const type = kind === 'svg' ? 'image/svg+xml' : `image/${kind}`
  return { status: 200, headers: [['Content-Type', type]], body: IMAGES[kind] }
}

const NOT_FOUND = errorPage(
  404,
  'Not Found',
  'The requested URL was not found on the server.  If you entered the URL manually please check your spelling and try again.',
)
const METHOD_NOT_ALLOWED = errorPage(
  405,
  'Method Not Allowed',
  'The method is not allowed for the requested URL.',
)
const INTERNAL_ERROR = errorPage(
  500,
  'Internal Server Error',
  'The server encountered an internal error and was unable to complete your request.  Either the server is overloaded or there is an error in the application.',
)
const PAYLOAD_TOO_LARGE = errorPage(
  413,
  'Request Entity Too Large',
  'The data value transmitted exceeds the capacity limit.',
)

function allowedMethods(route: Route): string[] {
  const methods = new Set(route.methods)
  if (methods.has('GET')) methods.add('HEAD')
  methods.add('OPTIONS')
  return [...methods].sort()
}

/** Werkzeug's routing: the first rule whose path matches and allows the method; else 405 or 404. */
async function dispatch(ctx: Ctx, path: string): Promise<Reply> {
  const allowed = new Set<string>()
  const method = ctx.method === 'HEAD' ? 'GET' : ctx.method
  for (const r of ROUTES) {
    const m = r.re.exec(path)
    if (!m) continue
    const methods = allowedMethods(r)
    if (ctx.method === 'OPTIONS') {
      return {
        status: 200,
        headers: [
          ['Content-Type', HTML],
          ['Allow', methods.join(', ')],
        ],
        body: '',
      }
    }
    if (r.methods.includes(method)) return await r.handle(ctx, m.slice(1))
    for (const x of methods) allowed.add(x)
  }
  if (allowed.size > 0) {
    return {
      status: 405,
      headers: [
        ['Content-Type', 'text/html'],
        ['Allow', [...allowed].sort().join(', ')],
      ],
      body: METHOD_NOT_ALLOWED,
    }
  }
  return { status: 404, headers: [['Content-Type', 'text/html']], body: NOT_FOUND }
}

function corsHeaders(ctx: Ctx): Headers {
  const out: Headers = [
    ['Access-Control-Allow-Origin', header(ctx, 'Origin') ?? '*'],
    ['Access-Control-Allow-Credentials', 'true'],
  ]
  if (ctx.method === 'OPTIONS') {
    out.push(
      ['Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, PATCH, OPTIONS'],
      ['Access-Control-Max-Age', '3600'],
    )
    const requested = header(ctx, 'Access-Control-Request-Headers')
    if (requested !== undefined) out.push(['Access-Control-Allow-Headers', requested])
  }
  return out
}

function applyHeaders(res: ResponseView, headers: Headers): void {
  const grouped = new Map<string, [string, string[]]>()
  for (const [k, v] of headers) {
    const entry = grouped.get(k.toLowerCase())
    if (entry) entry[1].push(v)
    else grouped.set(k.toLowerCase(), [k, [v]])
  }
  for (const [name, values] of grouped.values())
    res.setHeader(name, values.length === 1 ? values[0]! : values)
}

const ENTITY_HEADERS = new Set([
  'allow',
  'content-encoding',
  'content-language',
  'content-length',
  'content-md5',
  'content-range',
  'content-type',
  'last-modified',
])

function noBodyStatus(status: number): boolean {
  return status === 204 || status === 304 || (status >= 100 && status < 200)
}

async function send(req: RequestView, res: ResponseView, ctx: Ctx, reply: Reply): Promise<void> {
  let headers: Headers = [['Server', 'gunicorn/19.9.0'], ...reply.headers, ...corsHeaders(ctx)]
  // Werkzeug's get_wsgi_headers: 304 drops entity headers; 1xx and 204 say Content-Length: 0.
  if (reply.status === 304) headers = headers.filter(([k]) => !ENTITY_HEADERS.has(k.toLowerCase()))
  else if (reply.status === 204 || (reply.status >= 100 && reply.status < 200)) {
    headers = [...headers.filter(([k]) => k.toLowerCase() !== 'content-length'), ['Content-Length', '0']]
  }
  const body = reply.body === undefined ? undefined : Buffer.from(reply.body)
  if (
    body !== undefined &&
    !noBodyStatus(reply.status) &&
    !headers.some(([k]) => k.toLowerCase() === 'content-length')
  ) {
    headers.push(['Content-Length', String(body.length)])
  }
  res.statusCode = reply.status
  if (req.httpVersionMajor === 1) res.statusMessage = reasonPhrase(reply.status, STATUS_CODES)
  applyHeaders(res, headers)
  const head = ctx.method === 'HEAD' || noBodyStatus(reply.status)
  if (reply.stream === undefined) {
    res.end(head || body === undefined ? undefined : body)
    return
  }
  if (head) {
    res.end()
    return
  }
  const emit = (chunk: Buffer) =>
    new Promise<void>((resolve, reject) => {
      if (ctx.signal.aborted) return reject(ctx.signal.reason)
      if (res.write(chunk)) resolve()
      else res.once('drain', resolve)
    })
  await reply.stream(emit, ctx.signal)
  res.end()
}

function statusOf(req: RequestView): { remoteAddress: string; tls: boolean } {
  const socket = req.socket as { remoteAddress?: string; encrypted?: boolean } | null
  return { remoteAddress: socket?.remoteAddress ?? '', tls: socket?.encrypted === true }
}

async function readBody(req: RequestView): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    size += buf.length
    if (size > MAX_BODY) throw new HttpError(413)
    chunks.push(buf)
  }
  return Buffer.concat(chunks)
}

function targetOf(url: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i.exec(url)
  const rest = m ? url.slice(m[0].length) : url
  return rest.startsWith('/') ? rest : `/${rest}`
}

/**
 * httpbin 0.9 (the image Istio's sample runs) as a Node request listener: usable with
 * `http.createServer(httpbinHandler)` or `http2.createSecureServer({ allowHTTP1: true }, httpbinHandler)`.
 * Responses carry httpbin's status codes, content types, CORS headers and JSON shapes; a body-reading
 * or handler failure answers 500 with Flask's page, and work stops when the client goes away.
 */
export function httpbinHandler(request: IncomingMessage, response: ServerResponse): void
/** The same listener for a `node:http2` server's compatibility API. */
export function httpbinHandler(request: Http2ServerRequest, response: Http2ServerResponse): void
export function httpbinHandler(
  request: IncomingMessage | Http2ServerRequest,
  response: ServerResponse | Http2ServerResponse,
): void {
  const req = request as unknown as RequestView
  const res = response as unknown as ResponseView
  const controller = new AbortController()
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new Error('client went away'))
  })
  void handle(req, res, controller.signal).catch(() => {
    res.destroy()
  })
}

async function handle(req: RequestView, res: ResponseView, signal: AbortSignal): Promise<void> {
  const rawTarget = targetOf(req.url ?? '/')
  const q = rawTarget.indexOf('?')
  const rawPath = q < 0 ? rawTarget : rawTarget.slice(0, q)
  const authority = typeof req.headers[':authority'] === 'string' ? req.headers[':authority'] : undefined
  const headers = environHeaders(req.rawHeaders, authority)
  const { remoteAddress, tls } = statusOf(req)
  const host = headers.find(([k]) => k === 'Host')?.[1] ?? ''
  const base = {
    method: (req.method ?? 'GET').toUpperCase(),
    rawTarget,
    args: urlDecode(q < 0 ? '' : rawTarget.slice(q + 1)),
    headers,
    remoteAddress,
    scheme: tls ? ('https' as const) : ('http' as const),
    host,
    signal,
  }
  let ctx: Ctx = { ...base, body: Buffer.alloc(0) }
  let reply: Reply
  try {
    ctx = { ...base, body: await readBody(req) }
    reply = await dispatch(ctx, percentDecodeBytes(rawPath, false).toString('utf8'))
  } catch (err) {
    if (signal.aborted) return
    reply =
      err instanceof HttpError && err.status === 413
        ? { status: 413, headers: [['Content-Type', 'text/html']], body: PAYLOAD_TOO_LARGE }
        : { status: 500, headers: [['Content-Type', 'text/html']], body: INTERNAL_ERROR }
  }
  if (signal.aborted) return
  try {
    await send(req, res, ctx, reply)
  } catch (err) {
    if (signal.aborted || res.headersSent) throw err
    await send(req, res, ctx, { status: 500, headers: [['Content-Type', 'text/html']], body: INTERNAL_ERROR })
  }
}
