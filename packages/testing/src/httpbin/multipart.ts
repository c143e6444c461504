/** A small `multipart/form-data` reader (RFC 7578), enough for httpbin's `form` and `files`. */

/** One part of a multipart body. */
export interface MultipartPart {
  /** The `name` of its Content-Disposition. */
  readonly name: string
  /** The `filename`, when the part is a file. */
  readonly filename: string | undefined
  /** Its Content-Type header, if any. */
  readonly contentType: string | undefined
  /** The raw content. */
  readonly data: Buffer
}

/** The `boundary` parameter of a multipart Content-Type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/form-data\s*;/i.test(contentType)) return undefined
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType)
  return m ? (m[1] ?? m[2]) : undefined
}

function dispositionParam(header: string, param: string): string | undefined {
  const re = new RegExp(`;\\s*${param}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i')
  const m = re.exec(header)
  if (!m) return undefined
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]
}

/**
 * Splits a multipart body into parts. Returns undefined when the body is not a well-formed
 * multipart document for this boundary (no opening delimiter, a part without a blank line).
 */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`)
  let pos = body.indexOf(delimiter)
  if (pos < 0) return undefined
  const parts: MultipartPart[] = []
  const crlfDelimiter = Buffer.from(`\r\n--${boundary}`)
  pos += delimiter.length
  for (;;) {
    if (body.subarray(pos, pos + 2).toString('latin1') === '--') return parts
    const lineEnd = body.indexOf('\r\n', pos)
    if (lineEnd < 0) return parts.length > 0 ? parts : undefined
    const headerEnd = body.indexOf('\r\n\r\n', lineEnd)
    if (headerEnd < 0) return undefined
    const headerText = body.subarray(lineEnd + 2, headerEnd).toString('latin1')
    const next = body.indexOf(crlfDelimiter, headerEnd + 4)
    const dataEnd = next < 0 ? body.length : next
    const headers = new Map<string, string>()
    for (const line of headerText.split('\r\n')) {
      const colon = line.indexOf(':')
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
    }
    const disposition = headers.get('content-disposition') ?? ''
    const name = dispositionParam(disposition, 'name')
    if (name !== undefined) {
      const filename = dispositionParam(disposition, 'filename')
      parts.push({
        name: Buffer.from(name, 'latin1').toString('utf8'),
        filename: filename === undefined ? undefined : Buffer.from(filename, 'latin1').toString('utf8'),
        contentType: headers.get('content-type'),
        data: body.subarray(headerEnd + 4, dataEnd),
      })
    }
    if (next < 0) return parts
    pos = next + crlfDelimiter.length
  }
}
