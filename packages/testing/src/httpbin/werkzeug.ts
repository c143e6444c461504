/**
 * The pieces of Werkzeug 0.14 / Gunicorn 19.9 behaviour that shape httpbin's answers: query
 * decoding, header-name title-casing, `request.url` reconstruction, cookies, error pages.
 */

/** Ordered multi-valued mapping, as Werkzeug's MultiDict. */
export type MultiDict = Array<[string, string]>

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x41 && c <= 0x46) return c - 0x37
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  return -1
}

/** Percent-decodes bytes (and `+` as space when asked); malformed escapes stay literal. */
export function percentDecodeBytes(input: Buffer | string, plus: boolean): Buffer {
  const src = typeof input === 'string' ? Buffer.from(input, 'latin1') : input
  const out = Buffer.allocUnsafe(src.length)
  let n = 0
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!
    if (c === 0x25 && i + 2 < src.length) {
      const hi = hexValue(src[i + 1]!)
      const lo = hexValue(src[i + 2]!)
      if (hi >= 0 && lo >= 0) {
        out[n++] = hi * 16 + lo
        i += 2
        continue
      }
    }
    out[n++] = plus && c === 0x2b ? 0x20 : c
  }
  return out.subarray(0, n)
}

/** `url_decode(..., errors='replace')`: `&`-separated pairs, `+` is a space, invalid UTF-8 becomes U+FFFD. */
export function urlDecode(input: Buffer | string): MultiDict {
  const text = typeof input === 'string' ? input : input.toString('latin1')
  const out: MultiDict = []
  for (const pair of text.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const key = eq < 0 ? pair : pair.slice(0, eq)
    const value = eq < 0 ? '' : pair.slice(eq + 1)
    out.push([
      percentDecodeBytes(key, true).toString('utf8'),
      percentDecodeBytes(value, true).toString('utf8'),
    ])
  }
  return out
}

/** MultiDict → plain object with httpbin's `semiflatten`: one value stays a string, several become a list. */
export function semiflatten(multi: MultiDict): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of multi) {
    const prev = out[k]
    if (prev === undefined) out[k] = v
    else if (Array.isArray(prev)) prev.push(v)
    else out[k] = [prev, v]
  }
  return out
}

/** First value per key, as `dict(multidict.items())` gives. */
export function firstValues(multi: MultiDict): Map<string, string> {
  const out = new Map<string, string>()
  for (const [k, v] of multi) if (!out.has(k)) out.set(k, v)
  return out
}

/** Python's `str.title()` on an ASCII header name: a letter after a non-letter is upper-cased, others lowered. */
export function titleCase(name: string): string {
  let out = ''
  let prevLetter = false
  for (const ch of name) {
    const isLetter = /[A-Za-z]/.test(ch)
    out += isLetter ? (prevLetter ? ch.toLowerCase() : ch.toUpperCase()) : ch
    prevLetter = isLetter
  }
  return out
}

/**
 * Request headers as httpbin sees them through Gunicorn's WSGI environ: names title-cased with
 * `_` read as `-`, repeated headers joined with `,` (no space), first occurrence keeps its place.
 */
export function environHeaders(
  raw: readonly string[],
  authority: string | undefined,
): Array<[string, string]> {
  const order: string[] = []
  const values = new Map<string, string>()
  const add = (name: string, value: string) => {
    const key = titleCase(name.replace(/_/g, '-'))
    const prev = values.get(key)
    if (prev === undefined) {
      order.push(key)
      values.set(key, value)
    } else values.set(key, `${prev},${value}`)
  }
  if (authority !== undefined && !raw.some((v, i) => i % 2 === 0 && v.toLowerCase() === 'host')) {
    add('host', authority)
  }
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    if (name.startsWith(':')) continue
    add(name, raw[i + 1]!)
  }
  return order.map((k) => [k, values.get(k)!])
}

const ALWAYS_SAFE = /[A-Za-z0-9\-._~]/

function quoteBytes(bytes: Buffer, safe: string): string {
  let out = ''
  for (const b of bytes) {
    const ch = String.fromCharCode(b)
    out +=
      b < 0x80 && (ALWAYS_SAFE.test(ch) || safe.includes(ch))
        ? ch
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** `url_unquote(text, unsafe=...)`: decode every escape except those that decode to an `unsafe` character. */
function unquoteExcept(text: string, unsafe: string): string {
  const bytes: number[] = []
  const flush = (parts: string[]) => {
    if (bytes.length === 0) return
    const buf = Buffer.from(bytes)
    const decoded = buf.toString('utf8')
    // Invalid UTF-8 is re-quoted, as werkzeug's 'werkzeug.url_quote' error handler does.
    parts.push(
      decoded.includes('\ufffd') && !buf.includes(Buffer.from('\ufffd')) ? quoteBytes(buf, '') : decoded,
    )
    bytes.length = 0
  }
  const parts: string[] = []
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (ch === '%' && i + 2 < text.length && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      const b = Number.parseInt(text.slice(i + 1, i + 3), 16)
      if (b < 0x80 && unsafe.includes(String.fromCharCode(b))) {
        flush(parts)
        parts.push(text.slice(i, i + 3))
      } else bytes.push(b)
      i += 2
      continue
    }
    flush(parts)
    parts.push(ch)
  }
  flush(parts)
  return parts.join('')
}

/**
 * Werkzeug 0.14's `request.url`: the decoded path re-quoted (`/` and `:` kept) and the raw query
 * re-quoted, then turned back into an IRI (escapes decoded except the reserved ones).
 */
export function requestUrl(scheme: string, host: string, rawTarget: string): string {
  const q = rawTarget.indexOf('?')
  const rawPath = q < 0 ? rawTarget : rawTarget.slice(0, q)
  const rawQuery = q < 0 ? '' : rawTarget.slice(q + 1)
  const path = quoteBytes(percentDecodeBytes(rawPath, false), '/:').replace(/^\/+/, '')
  let url = `${scheme}://${host}/${unquoteExcept(path, '%/;?')}`
  if (rawQuery !== '') {
    const quoted = quoteBytes(Buffer.from(rawQuery, 'latin1'), ":&%=+$!*'(),")
    url += `?${unquoteExcept(quoted, '%;/?:@&=+,$#')}`
  }
  return url
}

/** `werkzeug.get_host`: the Host header with the scheme's default port removed. */
export function hostForUrl(host: string, scheme: string): string {
  if (scheme === 'http' && host.endsWith(':80')) return host.slice(0, -3)
  if (scheme === 'https' && host.endsWith(':443')) return host.slice(0, -4)
  return host
}

/** Cookies of a `Cookie` header, first value per name, quotes removed. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>()
  if (!header) return out
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const name = part.slice(0, eq).trim()
    let value = part.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value
        .slice(1, -1)
        .replace(/\\(\d{3}|.)/g, (_m, e: string) =>
          e.length === 3 ? String.fromCharCode(Number.parseInt(e, 8)) : e,
        )
    }
    if (name !== '' && !out.has(name)) out.set(name, value)
  }
  return out
}

const LEGAL_COOKIE = /^[A-Za-z0-9!#$%&'*+\-.^_`|~:]*$/

/** Werkzeug 0.14's `dump_cookie` for the attributes httpbin uses. */
export function dumpCookie(
  name: string,
  value: string,
  opts: { secure?: boolean; expire?: boolean } = {},
): string {
  let quoted = value
  if (!LEGAL_COOKIE.test(value)) {
    quoted = '"'
    for (const b of Buffer.from(value, 'utf8')) {
      const ch = String.fromCharCode(b)
      if (ch === '"' || ch === '\\') quoted += `\\${ch}`
      else if (b < 0x20 || b > 0x7e || ch === ',' || ch === ';')
        quoted += `\\${b.toString(8).padStart(3, '0')}`
      else quoted += ch
    }
    quoted += '"'
  }
  let out = `${name}=${quoted}`
  if (opts.expire) out += '; Expires=Thu, 01-Jan-1970 00:00:00 GMT; Max-Age=0'
  if (opts.secure) out += '; Secure'
  return `${out}; Path=/`
}

/** Werkzeug's `escape` (quotes included). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** Werkzeug 0.14's HTTPException page. */
export function errorPage(code: number, name: string, description: string): string {
  return (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n' +
    `<title>${code} ${name}</title>\n` +
    `<h1>${name}</h1>\n` +
    `<p>${description}</p>\n`
  )
}

/** Werkzeug 0.14's `redirect()` body. */
export function redirectPage(location: string): string {
  const loc = escapeHtml(location)
  return (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n' +
    '<title>Redirecting...</title>\n' +
    '<h1>Redirecting...</h1>\n' +
    `<p>You should be redirected automatically to target URL: <a href="${loc}">${loc}</a>.  If not click the link.`
  )
}

/** Werkzeug's `HTTP_STATUS_CODES` names where they differ from Node's. */
const WERKZEUG_REASONS: Record<number, string> = {
  413: 'Request Entity Too Large',
  414: 'Request URI Too Long',
  416: 'Requested Range Not Satisfiable',
  418: "I'm a teapot",
  422: 'Unprocessable Entity',
}

/** The reason phrase Werkzeug 0.14 sends: its name for the code, upper-cased, `UNKNOWN` otherwise. */
export function reasonPhrase(code: number, nodeNames: Record<number, string | undefined>): string {
  return (WERKZEUG_REASONS[code] ?? nodeNames[code] ?? 'Unknown').toUpperCase()
}
