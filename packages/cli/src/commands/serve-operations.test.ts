import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { type RunningHttpbin, request, startHttpbin } from '@portico/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../cli.js'
import { type CliIo, UsageError } from '../io.js'
import { gatewayOperationOptions, parseAllowedHosts, parseSize } from './serve-operations.js'
import { configYaml as config } from './test-fixtures.js'

async function until<T>(read: () => T | undefined | false): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = read()
    if (value !== undefined && value !== false) return value
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('timed out')
}

let dir: string
let httpbin: RunningHttpbin
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portico-serve-'))
  httpbin = await startHttpbin()
})
afterAll(async () => {
  await httpbin.close()
  await rm(dir, { recursive: true, force: true })
})

describe('portico serve --watch --access-log stdout', () => {
  it('re-applies an edited file, reports a broken edit with file:line:col and keeps serving, and logs each request', async () => {
    const file = join(dir, 'httpbin.yaml')
    await writeFile(file, config(httpbin.port, ['/status']))
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    let out = ''
    let err = ''
    stdout.on('data', (c: Buffer) => {
      out += c.toString()
    })
    stderr.on('data', (c: Buffer) => {
      err += c.toString()
    })
    const stop = new AbortController()
    const serving = main(
      [
        'serve',
        '-f',
        'httpbin.yaml',
        '--port',
        '80=0',
        '--admin',
        'off',
        '--watch',
        '--access-log',
        'stdout',
      ],
      { stdout, stderr, stdin: Readable.from(['']), cwd: dir, signal: stop.signal },
    )
    const port = Number(await until(() => /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]))
    expect(out).toContain(`portico: watching httpbin.yaml`)
    expect(out).not.toContain('admin listening')
    const get = (path: string) => request(port, { url: `http://httpbin.example.com${path}` })
    expect((await get('/headers')).status).toBe(404)

    await writeFile(file, config(httpbin.port, ['/status', '/headers']))
    await until(() => out.includes('portico: applied'))
    expect((await get('/headers')).status).toBe(200)

    await writeFile(file, `${config(httpbin.port, ['/status', '/headers'])}  tcp: [\n`)
    await until(() => err.includes('portico: refused'))
    expect(err).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+`))
    expect((await get('/headers')).status).toBe(200)

    await until(() =>
      /"GET \/headers HTTP\/1\.1" 200 - 0 \d+ \d+ \d+ "-" "-" "[^"]+" "httpbin\.example\.com" "127\.0\.0\.1:\d+"\n/.test(
        out,
      ),
    )
    expect(out).toMatch(/"GET \/headers HTTP\/1\.1" 404 NR 0 0 \d+ - /)
    stop.abort()
    expect(await serving).toBe(0)
  })
})

describe('portico serve --admin-allowed-hosts', () => {
  it('answers the admin endpoint under the names given, and refuses other names with 403', async () => {
    await writeFile(join(dir, 'allowed.yaml'), config(httpbin.port, ['/status']))
    const stdout = new PassThrough()
    let out = ''
    stdout.on('data', (c: Buffer) => {
      out += c.toString()
    })
    const stop = new AbortController()
    const serving = main(
      [
        'serve',
        '-f',
        'allowed.yaml',
        '--port',
        '80=0',
        '--admin',
        '127.0.0.1:0',
        '--admin-allowed-hosts',
        'gw1.example.com,.corp.example',
      ],
      { stdout, stderr: new PassThrough(), stdin: Readable.from(['']), cwd: dir, signal: stop.signal },
    )
    const admin = Number(await until(() => /admin listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]))
    const ready = (host: string) => request(admin, { url: `http://${host}/ready` })
    expect((await ready(`gw1.example.com:${admin}`)).status).toBe(200)
    expect((await ready('a.corp.example')).status).toBe(200)
    expect((await ready(`localhost:${admin}`)).status).toBe(200)
    const refused = await ready('gw2.example.com')
    expect(refused.status).toBe(403)
    expect(refused.text()).toContain('does not answer for host \\"gw2.example.com\\"')
    stop.abort()
    expect(await serving).toBe(0)
  })

  it('reads repeated and comma-separated names, * for all, and refuses what is not a name', () => {
    expect(parseAllowedHosts(undefined)).toBeUndefined()
    expect(parseAllowedHosts(['a.example,.B.example', 'c'])).toEqual(['a.example', '.b.example', 'c'])
    expect(parseAllowedHosts(['a.example', '*'])).toBe('all')
    expect(() => parseAllowedHosts(['http://a.example'])).toThrow(UsageError)
    expect(() => parseAllowedHosts(['a.example:15000'])).toThrow(/--admin-allowed-hosts/)
    expect(() => parseAllowedHosts([''])).toThrow(UsageError)
  })
})

describe('portico serve --overload-max-heap / --overload-max-event-loop-delay', () => {
  const io = { stdout: new PassThrough(), stderr: new PassThrough(), cwd: '.' } as unknown as CliIo

  it('become the gateway overload option', () => {
    expect(
      gatewayOperationOptions({ 'overload-max-heap': '512MiB', 'overload-max-event-loop-delay': '250ms' }, io)
        .overload,
    ).toEqual({ maxHeapBytes: 512 * 1024 * 1024, maxEventLoopDelayMs: 250 })
    expect(gatewayOperationOptions({ 'overload-max-heap': '2GB' }, io).overload).toEqual({
      maxHeapBytes: 2e9,
    })
    expect(gatewayOperationOptions({}, io).overload).toBeUndefined()
    expect(parseSize('1048576')).toBe(1048576)
  })

  it('refuses malformed sizes and durations with a usage error', () => {
    expect(() => gatewayOperationOptions({ 'overload-max-heap': 'lots' }, io)).toThrow(UsageError)
    expect(() => gatewayOperationOptions({ 'overload-max-heap': '0' }, io)).toThrow(/1GiB/)
    expect(() => gatewayOperationOptions({ 'overload-max-event-loop-delay': '-1s' }, io)).toThrow(/250ms/)
  })
})
