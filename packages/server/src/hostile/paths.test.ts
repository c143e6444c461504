import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Gateway } from '../gateway.js'
import {
  get,
  hostileGateway,
  hostileYaml,
  type Recorder,
  raw,
  startRecorder,
  stillServes,
} from '../test/hostile.js'

/**
 * Path attacks over raw sockets against the real router (Istio YAML → core compile). The exposed
 * area is `/public/`; `/admin` is denied with a 403 at the gateway. Whatever the encoding, a
 * request must either be denied/refused without reaching the upstream, or reach it with a path
 * that stays under `/public/` and is exactly the normalized path that was matched.
 */
describe('hostile paths (default BASE normalization)', () => {
  let recorder: Recorder
  let gw: Gateway
  let port: number
  beforeAll(async () => {
    recorder = await startRecorder()
    gw = await hostileGateway(recorder.port, hostileYaml())
    port = gw.addresses[80]!.port
  })
  afterAll(async () => {
    await gw?.close()
    await recorder?.close()
  })
  beforeEach(() => recorder.reset())

  /** Sends the target; expects `status` and that nothing reached the upstream. */
  async function blocked(target: string, status: number): Promise<void> {
    recorder.reset()
    const answer = await raw(port, get(target))
    expect(answer.status, target).toBe(status)
    expect(recorder.received, target).toEqual([])
  }

  /** Sends the target; expects 200 and that the upstream received exactly `upstream`. */
  async function forwardedAs(target: string, upstream: string): Promise<void> {
    recorder.reset()
    const answer = await raw(port, get(target))
    expect(answer.status, target).toBe(200)
    expect(recorder.received.map((r) => r.url)).toEqual([upstream])
  }

  const traversals: readonly (readonly [string, string])[] = [
    ['CVE-2019-9901: plain dot-dot', '/public/../admin'],
    ['CVE-2019-9901: dot-dot deeper than the root', '/public/a/../../../../admin'],
    ['CVE-2019-9901: lowercase encoded dots %2e%2e', '/public/%2e%2e/admin'],
    ['CVE-2019-9901: mixed encoded dots %2E.', '/public/%2E./admin'],
    ['CVE-2019-9901: encoded dots .%2E', '/public/.%2E/admin'],
    ['CVE-2019-9901: backslashes', '/public\\..\\admin'],
    ['CVE-2019-9901: dot-dot then backslash', '/public/..\\admin'],
    ['CVE-2019-9901: servlet path parameter on the dot segment ..;x', '/public/..;x=y/admin'],
    ['CVE-2019-9901: dot segment ./ then ../', '/public/./../admin/x'],
    ['CVE-2019-9901: trailing dot-dot into /admin', '/public/../admin/'],
  ]
  for (const [name, target] of traversals) {
    it(`${name}: ${JSON.stringify(target)} is denied by the /admin rule, never forwarded`, async () => {
      await blocked(target, 403)
    })
  }

  it('CVE-2019-9901: a dot segment inside /public/ is resolved before forwarding', async () => {
    await forwardedAs('/public/a/./b/../c', '/public/a/c')
  })

  it('the query is kept as sent and never normalized', async () => {
    await forwardedAs('/public/a/../b?next=/../admin&x=%2e%2e', '/public/b?next=/../admin&x=%2e%2e')
  })

  it('unreserved characters are decoded once, never twice (%252e stays %252e)', async () => {
    await forwardedAs('/public/%7Euser/%41', '/public/~user/A')
    await forwardedAs('/public/%252e%252e/admin', '/public/%252e%252e/admin')
  })

  it('CVE-2021-31920: %2F and %5C are kept escaped (KEEP_UNCHANGED) and stay under /public/', async () => {
    await forwardedAs('/public/..%2Fadmin', '/public/..%2Fadmin')
    await forwardedAs('/public/..%5cadmin', '/public/..%5cadmin')
  })

  it('CVE-2021-31920: //admin is not merged by BASE, so neither rule matches: 404', async () => {
    await blocked('//admin', 404)
    await blocked('//public/x', 404)
  })

  it('CVE-2021-39156: a fragment is stripped before routing and never forwarded', async () => {
    await forwardedAs('/public/x#/../../admin', '/public/x')
    await forwardedAs('/public/y?q=1#frag', '/public/y?q=1')
    await blocked('/admin#/public/', 403)
  })

  it('CVE-2019-9900: a percent-encoded NUL is refused with 400', async () => {
    await blocked('/public/%00', 400)
    await blocked('/public/.%00./admin', 400)
  })

  it('CVE-2019-9900: raw NUL and control bytes in the target are refused by the parser', async () => {
    for (const bad of ['/public/\x00', '/public/\x01x', '/public/\x7f', '/public/a\tb', '/public/\x1b[31m']) {
      const answer = await raw(port, get(bad))
      expect(answer.status, JSON.stringify(bad)).toBe(400)
      expect(answer.closed).toBe(true)
    }
    expect(recorder.received).toEqual([])
  })

  it('invalid percent-encodings are refused with 400', async () => {
    for (const bad of ['/public/%', '/public/%4', '/public/%zz', '/public/%g0', '/public/%%32%65']) {
      await blocked(bad, 400)
    }
  })

  it('overlong UTF-8 dots (%c0%ae) are not dots: forwarded verbatim under /public/', async () => {
    await forwardedAs('/public/%c0%ae%c0%ae/admin', '/public/%c0%ae%c0%ae/admin')
  })

  it('path matching is case-sensitive: /PUBLIC and /ADMIN match nothing (404)', async () => {
    await blocked('/PUBLIC/x', 404)
    await blocked('/Admin', 404)
  })

  it('a target without a leading slash, or asterisk-form, is refused with 400', async () => {
    await blocked('*', 400)
    await blocked('public/x', 400)
  })

  it('absolute-form: routed by the target authority, normalized, forwarded origin-form', async () => {
    const ok = await raw(port, get('http://public.example.com/public/a/../b', 'other.example.com'))
    expect(ok.status).toBe(200)
    expect(recorder.received.map((r) => [r.url, r.headers.host])).toEqual([
      ['/public/b', 'public.example.com'],
    ])
    recorder.reset()
    await blocked('http://public.example.com/public/../admin', 403)
    // The target's authority wins over Host: a foreign authority matches no virtual host.
    const foreign = await raw(port, get('http://evil.example.com/public/x', 'public.example.com'))
    expect(foreign.status).toBe(404)
    expect(recorder.received).toEqual([])
  })

  it('CONNECT is not proxied: the connection closes and nothing reaches the upstream', async () => {
    const answer = await raw(
      port,
      'CONNECT public.example.com:80 HTTP/1.1\r\nHost: public.example.com:80\r\n\r\n',
    )
    expect(answer.status === 0 || answer.status >= 400).toBe(true)
    expect(recorder.received).toEqual([])
  })

  it('the gateway still serves after every path attack', async () => {
    await stillServes(gw, recorder)
  })
})

describe('Istio pathNormalization options and the escaped-slash policy', () => {
  let recorder: Recorder
  beforeAll(async () => {
    recorder = await startRecorder()
  })
  afterAll(async () => {
    await recorder?.close()
  })
  beforeEach(() => recorder.reset())

  async function withPolicy(
    pathPolicy: Parameters<typeof hostileGateway>[2] extends infer O
      ? O extends { pathPolicy?: infer P }
        ? P
        : never
      : never,
    fn: (port: number) => Promise<void>,
  ): Promise<void> {
    const gw = await hostileGateway(recorder.port, hostileYaml(), { pathPolicy })
    try {
      await fn(gw.addresses[80]!.port)
      await stillServes(gw, recorder)
    } finally {
      await gw.close()
    }
  }

  it('NONE forwards as received: /public/../admin reaches the upstream verbatim (why BASE is the default)', async () => {
    await withPolicy({ normalization: 'NONE' }, async (port) => {
      const answer = await raw(port, get('/public/../admin'))
      expect(answer.status).toBe(200)
      expect(recorder.received.map((r) => r.url)).toEqual(['/public/../admin'])
    })
  })

  it('CVE-2021-31920: MERGE_SLASHES merges //, so //admin is denied and //public/x is forwarded as /public/x', async () => {
    await withPolicy({ normalization: 'MERGE_SLASHES' }, async (port) => {
      expect((await raw(port, get('//admin'))).status).toBe(403)
      expect(recorder.received).toEqual([])
      // Dot segments first (the `..` removes the empty segment), then merging: stays under /public/.
      expect((await raw(port, get('/public//..//admin'))).status).toBe(200)
      expect((await raw(port, get('//public///x'))).status).toBe(200)
      expect(recorder.received.map((r) => r.url)).toEqual(['/public/admin', '/public/x'])
    })
  })

  it('CVE-2021-31920: DECODE_AND_MERGE_SLASHES decodes %2F/%5C before resolving dot segments', async () => {
    await withPolicy({ normalization: 'DECODE_AND_MERGE_SLASHES' }, async (port) => {
      for (const t of [
        '/public/..%2Fadmin',
        '/public/..%2fadmin',
        '/public/..%5Cadmin',
        '/public%2F..%2F..%2Fadmin',
      ]) {
        expect((await raw(port, get(t))).status, t).toBe(403)
      }
      expect(recorder.received).toEqual([])
      expect((await raw(port, get('/public%2Fa%2Fb'))).status).toBe(200)
      expect(recorder.received.map((r) => r.url)).toEqual(['/public/a/b'])
    })
  })

  it('CVE-2021-29492: escapedSlashes REJECT_REQUEST answers 400 to any %2F or %5C', async () => {
    await withPolicy({ escapedSlashes: 'REJECT_REQUEST' }, async (port) => {
      for (const t of ['/public/a%2Fb', '/public/a%5cb', '/public/..%2Fadmin']) {
        expect((await raw(port, get(t))).status, t).toBe(400)
      }
      expect(recorder.received).toEqual([])
    })
  })

  it('CVE-2021-29492: escapedSlashes UNESCAPE_AND_REDIRECT sends the client to the unescaped path', async () => {
    await withPolicy({ escapedSlashes: 'UNESCAPE_AND_REDIRECT' }, async (port) => {
      const answer = await raw(port, get('/public/a%2Fb?x=1'))
      expect(answer.status).toBe(307)
      expect(answer.text).toMatch(/\r\nlocation: \/public\/a\/b\?x=1\r\n/i)
      expect(recorder.received).toEqual([])
    })
  })

  it('CVE-2021-39156: fragment reject answers 400 (Envoy default) instead of stripping', async () => {
    await withPolicy({ fragment: 'reject' }, async (port) => {
      expect((await raw(port, get('/public/x#y'))).status).toBe(400)
      expect(recorder.received).toEqual([])
    })
  })
})
