/** Result of reading the start of a TLS connection. */
export type ClientHelloResult =
  | { readonly kind: 'complete'; readonly sni: string | undefined }
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'invalid' }

/** Largest ClientHello accepted while peeking (larger ones are refused). */
export const MAX_CLIENT_HELLO = 64 * 1024

/**
 * Reads the SNI from the TLS ClientHello at the start of `data` without consuming it. The
 * handshake message may span several TLS records; `incomplete` asks for more bytes.
 */
export function readClientHello(data: Uint8Array): ClientHelloResult {
  const handshake: number[] = []
  let offset = 0
  let needed = -1
  const body = () => Uint8Array.from(handshake)
  while (true) {
    if (data.length < offset + 5) return { kind: 'incomplete' }
    if (data[offset] !== 0x16 || data[offset + 1] !== 0x03) return { kind: 'invalid' }
    const length = ((data[offset + 3] ?? 0) << 8) | (data[offset + 4] ?? 0)
    if (length === 0 || length > 16384 + 2048) return { kind: 'invalid' }
    if (data.length < offset + 5 + length) {
      // Parse what is there: an SNI may already be readable, but we need the whole message.
      return { kind: 'incomplete' }
    }
    for (let i = offset + 5; i < offset + 5 + length; i++) handshake.push(data[i] ?? 0)
    offset += 5 + length
    if (needed < 0 && handshake.length >= 4) {
      if (handshake[0] !== 0x01) return { kind: 'invalid' }
      needed = 4 + (((handshake[1] ?? 0) << 16) | ((handshake[2] ?? 0) << 8) | (handshake[3] ?? 0))
      if (needed > MAX_CLIENT_HELLO) return { kind: 'invalid' }
    }
    if (needed >= 0 && handshake.length >= needed) return parseClientHello(body(), needed)
  }
}

function parseClientHello(h: Uint8Array, end: number): ClientHelloResult {
  const u8 = (i: number) => h[i] ?? 0
  const u16 = (i: number) => (u8(i) << 8) | u8(i + 1)
  let p = 4 + 2 + 32 // header, legacy_version, random
  if (p + 1 > end) return { kind: 'invalid' }
  p += 1 + u8(p) // session id
  if (p + 2 > end) return { kind: 'invalid' }
  p += 2 + u16(p) // cipher suites
  if (p + 1 > end) return { kind: 'invalid' }
  p += 1 + u8(p) // compression methods
  if (p === end) return { kind: 'complete', sni: undefined }
  if (p + 2 > end) return { kind: 'invalid' }
  const extensionsEnd = p + 2 + u16(p)
  if (extensionsEnd > end) return { kind: 'invalid' }
  p += 2
  while (p + 4 <= extensionsEnd) {
    const type = u16(p)
    const length = u16(p + 2)
    const start = p + 4
    if (start + length > extensionsEnd) return { kind: 'invalid' }
    if (type === 0) {
      let q = start + 2
      const listEnd = Math.min(start + 2 + u16(start), start + length)
      while (q + 3 <= listEnd) {
        const nameType = u8(q)
        const nameLength = u16(q + 1)
        if (q + 3 + nameLength > listEnd) return { kind: 'invalid' }
        if (nameType === 0) {
          const name = Buffer.from(h.subarray(q + 3, q + 3 + nameLength)).toString('latin1')
          return { kind: 'complete', sni: name.toLowerCase() }
        }
        q += 3 + nameLength
      }
      return { kind: 'invalid' }
    }
    p = start + length
  }
  return { kind: 'complete', sni: undefined }
}
