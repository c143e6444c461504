import { compile, createSnapshot, parseResources, validate } from '@portico/core'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '../gateway.js'
import {
  eventually,
  hostileGateway,
  hostileYaml,
  type Recorder,
  raw,
  startRecorder,
  stillServes,
} from '../test/hostile.js'

/** Paths the config forwards; anything else reaching the upstream is a bypass. */
const FORWARDED = /^\/(public|timeout|retry|ops)\//
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/

/** Pieces a request target or header is built from: the characters attacks are made of. */
const piece = fc.constantFrom(
  '/',
  '..',
  '.',
  '%2e',
  '%2E',
  '%2f',
  '%5c',
  '\\',
  '%00',
  '%',
  '%zz',
  ';',
  '#',
  '?',
  'public',
  'admin',
  'a',
  '//',
  '%252e',
  '%c0%ae',
  ':',
  '@',
  '~',
)
const target = fc
  .array(piece, { maxLength: 12 })
  .map((parts) => parts.join(''))
  .map((t) => (t.startsWith('/') ? t : `/${t}`))
const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/)
const headerName = fc.oneof(
  token,
  fc.constantFrom(
    'Host',
    'Content-Length',
    'Transfer-Encoding',
    'Connection',
    'Upgrade',
    'TE',
    'Expect',
    'X-Forwarded-For',
    'Keep-Alive',
    'Proxy-Connection',
    ' Host',
    'Host ',
    'X\x00Y',
  ),
)
const headerValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    'chunked',
    '0',
    '-1',
    '5, 6',
    'close',
    'h2c',
    '100-continue',
    'a\r\nb',
    'a\rb',
    '\x00',
    'public.example.com',
  ),
)
const headers = fc.array(fc.tuple(headerName, headerValue), { maxLength: 10 })
const method = fc.constantFrom(
  'GET',
  'POST',
  'HEAD',
  'OPTIONS',
  'DELETE',
  'PUT',
  'CONNECT',
  'TRACE',
  'PRI',
  'G E T',
  '',
)
const version = fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 ', 'HTTP/9.9', '')

/**
 * The time-limited properties stop generating after 10–15 s; the timeout leaves room for the last
 * case, the final check and a machine busy with other work.
 */
const PROPERTY_TIMEOUT = 60_000

describe('fuzzing the listeners and the loader', { timeout: PROPERTY_TIMEOUT }, () => {
  let recorder: Recorder
  let gw: Gateway
  let port: number
  beforeAll(async () => {
    recorder = await startRecorder()
    gw = await hostileGateway(recorder.port, hostileYaml(), {
      gateway: { limits: { headersTimeoutMs: 500, requestTimeoutMs: 1000 } },
    })
    port = gw.addresses[80]!.port
  })
  afterAll(async () => {
    await gw?.close()
    await recorder?.close()
  })

  /** Whatever was sent: an answer below 500 or a closed connection; the upstream saw only allowed paths. */
  function check(status: number): void {
    expect(status === 0 || (status >= 200 && status < 500)).toBe(true)
    for (const r of recorder.received) {
      const path = r.url.split('?')[0]!
      expect(path).toMatch(FORWARDED)
      expect(path).not.toMatch(DOT_SEGMENT)
      expect(JSON.stringify(r.rawHeaders)).not.toMatch(/\\r|\\n|\\u0000/)
    }
  }

  it('arbitrary bytes: answered below 500 or closed; nothing outside /public/ forwarded', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
          fc
            .tuple(method, target, version, fc.uint8Array({ maxLength: 64 }))
            .map(([m, t, v, tail]) =>
              Buffer.concat([
                Buffer.from(`${m} ${t} ${v}\r\nHost: public.example.com\r\n`),
                Buffer.from(tail),
                Buffer.from('\r\n\r\n'),
              ]),
            ),
        ),
        async (bytes) => {
          const answer = await raw(port, bytes, 1500, true)
          check(answer.status)
        },
      ),
      { numRuns: 300, interruptAfterTimeLimit: 15_000 },
    )
    await stillServes(gw, recorder)
  })

  it('arbitrary header sets and targets: answered below 500 or closed; no header injection upstream', async () => {
    await fc.assert(
      fc.asyncProperty(method, target, headers, async (m, t, hs) => {
        const lines = hs.map(([n, v]) => `${n}: ${v}\r\n`).join('')
        const answer = await raw(
          port,
          `${m} ${t} HTTP/1.1\r\nHost: public.example.com\r\n${lines}\r\n`,
          1500,
          true,
        )
        check(answer.status)
      }),
      { numRuns: 300, interruptAfterTimeLimit: 15_000 },
    )
    await stillServes(gw, recorder)
  })

  it('arbitrary text at the loader: parse, validate and compile never throw', () => {
    const yamlish = fc
      .array(
        fc.constantFrom(
          'apiVersion: networking.istio.io/v1\n',
          'kind: Gateway\n',
          'kind: VirtualService\n',
          'metadata: { name: x }\n',
          'spec:\n',
          '  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]\n',
          '  hosts: ["*"]\n',
          '  http: [{ route: [{ destination: { host: a } }] }]\n',
          '  gateways: [x]\n',
          '---\n',
          '  - : :\n',
          '&a [*a, *a]\n',
          '!!binary x\n',
          '\t\x00\r',
          '{',
          '"',
        ),
        { maxLength: 12 },
      )
      .map((parts) => parts.join(''))
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), yamlish), (text) => {
        const { resources } = parseResources(text, 'fuzz.yaml')
        validate(resources)
        compile(createSnapshot(resources))
      }),
      { numRuns: 1000, interruptAfterTimeLimit: 10_000 },
    )
  })

  it('10,000 bad requests leave handles and memory where they were', async () => {
    const bad = [
      `GET /public/%00 HTTP/1.1\r\nHost: public.example.com\r\n\r\n`,
      `GET /public/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n`,
      `POST /public/x HTTP/1.1\r\nHost: public.example.com\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n`,
      `GET /public/x HTTP/1.1\r\nHost: evil@x\r\n\r\n`,
      `\x16\x03\x01\x00\x05hello`,
      `GET /public/x HTTP/1.1\r\nX: a\rb\r\n\r\n`,
      `GET ${'/a'.repeat(10_000)} HTTP/1.1\r\nHost: public.example.com\r\n\r\n`,
      `GET /admin/../public/%zz HTTP/1.1\r\nHost: public.example.com\r\n\r\n`,
    ]
    const before = recorder.received.length
    const run = async (count: number) => {
      let next = 0
      const worker = async () => {
        while (next < count) {
          const i = next++
          const answer = await raw(port, bad[i % bad.length]!, 2000, true)
          expect(answer.status === 0 || (answer.status >= 400 && answer.status < 500)).toBe(true)
        }
      }
      await Promise.all(Array.from({ length: 32 }, worker))
    }
    const sample = () => ({
      handles: process.getActiveResourcesInfo().length,
      rss: process.memoryUsage().rss,
    })
    // A run's connections are closed when its last answer is in; their handles go as the close
    // events are processed, which a loaded machine delays: wait for that, not a fixed time.
    const quiet = async () => {
      let last = sample().handles
      for (let i = 0; i < 100; i++) {
        await new Promise((r) => setTimeout(r, 100))
        const now = sample().handles
        if (now === last) return
        last = now
      }
    }
    await run(2_000)
    await quiet()
    const warm = sample()
    await run(8_000)
    await eventually(() => sample().handles <= warm.handles + 8, 10_000)
    const after = sample()
    expect(after.handles).toBeLessThanOrEqual(warm.handles + 8)
    expect(after.rss - warm.rss).toBeLessThan(64 * 1024 * 1024)
    expect(recorder.received.length).toBe(before)
    await stillServes(gw, recorder)
  }, 240_000)
})
