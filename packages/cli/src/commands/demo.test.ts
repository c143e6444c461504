import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { request } from '@portico/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../cli.js'

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portico-demo-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Starts `portico demo` in-process on ephemeral ports and resolves once it prints its curl hints. */
async function startDemo(certs: string, files: readonly string[] = []) {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stderr.on('data', (c: Buffer) => {
    err += c.toString()
  })
  const ready = new Promise<void>((resolve, reject) => {
    stdout.on('data', (c: Buffer) => {
      out += c.toString()
      if (out.includes('Ctrl-C stops.')) resolve()
    })
    setTimeout(() => reject(new Error(`demo did not start: ${out}${err}`)), 15_000).unref()
  })
  const controller = new AbortController()
  const exited = main(
    ['demo', ...files, '--port', '80=0', '--port', '443=0', '--certs', certs, '--admin', 'off'],
    { stdout, stderr, stdin: Readable.from(['']), cwd: repoRoot, signal: controller.signal },
  )
  await Promise.race([ready, exited.then((code) => Promise.reject(new Error(`demo exited ${code}: ${err}`)))])
  const port = (gw: number) => {
    const m = new RegExp(`gateway port ${gw} \\((?:HTTPS?)\\) listening on 127\\.0\\.0\\.1:(\\d+)`).exec(out)
    if (!m) throw new Error(`no address for port ${gw} in: ${out}`)
    return Number(m[1])
  }
  return { out: () => out, port, stop: () => controller.abort(), exited }
}

describe('portico demo', () => {
  it('serves the ingress task: /status/200 over HTTP and HTTP/2, /headers 404, unknown SNI refused', async () => {
    // The example's Gateway and VirtualService without its ServiceEntry: httpbin then listens on an
    // ephemeral port, registered programmatically, so the test needs no fixed port.
    const config = join(dir, 'config')
    await mkdir(config)
    for (const f of ['gateway.yaml', 'virtualservice.yaml'])
      await copyFile(join(repoRoot, 'examples/httpbin', f), join(config, f))
    const certs = join(dir, 'certs')
    const demo = await startDemo(certs, ['-f', config])
    try {
      expect(demo.out()).toContain(`generated a certificate for httpbin.example.com in ${certs}`)
      expect(demo.out()).toMatch(
        /curl --resolve httpbin\.example\.com:\d+:127\.0\.0\.1 -I http:\/\/httpbin\.example\.com:\d+\/status\/200/,
      )
      const http = demo.port(80)
      const https = demo.port(443)

      const ok = await request(http, { method: 'HEAD', url: `http://httpbin.example.com:${http}/status/200` })
      expect(ok.status).toBe(200)
      expect(ok.headers.server).toBe('portico')
      expect(ok.headers['x-envoy-upstream-service-time']).toBeDefined()

      const hidden = await request(http, { url: `http://httpbin.example.com:${http}/headers` })
      expect(hidden.status).toBe(404)
      expect(hidden.headers['content-length']).toBe('0')

      const secure = await request(https, {
        url: `https://httpbin.example.com:${https}/status/200`,
        http2: true,
        insecure: true,
      })
      expect(secure.status).toBe(200)
      expect(secure.protocol).toBe('h2')

      await expect(
        request(https, {
          url: `https://other.example.com:${https}/status/200`,
          insecure: true,
          timeoutMs: 5000,
        }),
      ).rejects.toThrow()
    } finally {
      demo.stop()
      expect(await demo.exited).toBe(0)
    }
  })

  it('serves examples/httpbin as the README starts it, and reuses the certificate of the first run', async () => {
    const certs = join(dir, 'again')
    const first = await startDemo(certs)
    expect(first.out()).toContain('httpbin listening on http://127.0.0.1:18001')
    const http = first.port(80)
    expect((await request(http, { url: `http://httpbin.example.com:${http}/status/418` })).status).toBe(418)
    first.stop()
    await first.exited
    const second = await startDemo(certs)
    try {
      expect(second.out()).not.toContain('generated a certificate')
    } finally {
      second.stop()
      await second.exited
    }
  })
})
