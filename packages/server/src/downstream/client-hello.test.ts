import { createServer, type Socket } from 'node:net'
import { connect } from 'node:tls'
import { describe, expect, it } from 'vitest'
import { readClientHello } from './client-hello.js'
import { listenPortFor } from './port-map.js'

/** Captures the first bytes a real TLS client sends. */
async function captureHello(servername?: string): Promise<Buffer> {
  let chunks: Buffer[] = []
  const server = createServer((s: Socket) => {
    s.on('data', (d: Buffer) => {
      chunks.push(d)
      if (readClientHello(Buffer.concat(chunks)).kind !== 'incomplete') s.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => {
    const c = connect({
      host: '127.0.0.1',
      port,
      ...(servername ? { servername } : {}),
      rejectUnauthorized: false,
    })
    c.on('error', () => resolve())
    c.on('close', () => resolve())
  })
  server.close()
  const out = Buffer.concat(chunks)
  chunks = []
  return out
}

describe('readClientHello', () => {
  it('reads the SNI of a real ClientHello, lowercased', async () => {
    const hello = await captureHello('API.Example.COM')
    expect(readClientHello(hello)).toEqual({ kind: 'complete', sni: 'api.example.com' })
  })

  it('reports no SNI when the client sends none', async () => {
    expect(readClientHello(await captureHello())).toEqual({ kind: 'complete', sni: undefined })
  })

  it('asks for more bytes on every truncation of a ClientHello', async () => {
    const hello = await captureHello('a.example.com')
    for (let n = 0; n < hello.length; n += 7)
      expect(readClientHello(hello.subarray(0, n)).kind).toBe('incomplete')
  })

  it('reads a ClientHello split over two TLS records', async () => {
    const hello = await captureHello('split.example.com')
    const body = hello.subarray(5)
    const cut = 40
    const record = (part: Buffer) =>
      Buffer.concat([Buffer.from([0x16, 0x03, 0x01, part.length >> 8, part.length & 255]), part])
    const split = Buffer.concat([record(body.subarray(0, cut)), record(body.subarray(cut))])
    expect(readClientHello(split)).toEqual({ kind: 'complete', sni: 'split.example.com' })
  })

  it('rejects what is not TLS', () => {
    expect(readClientHello(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n')).kind).toBe('invalid')
    expect(readClientHello(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00])).kind).toBe('invalid')
  })
})

describe('listenPortFor', () => {
  it('maps privileged ports to p + 8000 unless mapped; 0 is ephemeral', () => {
    expect(listenPortFor(80)).toBe(8080)
    expect(listenPortFor(443)).toBe(8443)
    expect(listenPortFor(8443)).toBe(8443)
    expect(listenPortFor(80, { 80: 18080 })).toBe(18080)
    expect(listenPortFor(443, { 443: 0 })).toBe(0)
  })
})
