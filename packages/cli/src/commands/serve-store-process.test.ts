import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseResources, type Resource } from '@portico/core'
import { connectStore, type EtcdStore, writeStore } from '@portico/etcd'
import { type RunningHttpbin, request, startHttpbin } from '@portico/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEtcd, type TestEtcd } from '../../../etcd/src/test/etcd-server.js'
import { configYaml } from './test-fixtures.js'

// Gateways of a fleet are processes: these run the built command (`pnpm build` first, as .ci/run does).
const cli = fileURLToPath(new URL('../../bin/portico.js', import.meta.url))

let etcd: TestEtcd
let httpbin: RunningHttpbin
let store: EtcdStore
const children = new Set<ChildProcess>()

beforeAll(async () => {
  ;[etcd, httpbin] = await Promise.all([startEtcd(), startHttpbin()])
  store = connectStore({ url: etcd.url('processes') })
})
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  await store?.close()
  await Promise.all([etcd?.close(), httpbin?.close()])
})

interface Gateway {
  readonly child: ChildProcess
  readonly exited: Promise<number | null>
  out: string
  err: string
  port(): Promise<number>
}

function serve(): Gateway {
  const child = spawn(
    process.execPath,
    [
      cli,
      'serve',
      '--store',
      etcd.url('processes'),
      '--port',
      '80=0',
      '--admin',
      'off',
      '--drain-timeout',
      '1s',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  children.add(child)
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child)
      resolve(code)
    }),
  )
  const g: Gateway = {
    child,
    exited,
    out: '',
    err: '',
    async port() {
      for (let i = 0; i < 1500; i++) {
        const m = /port 80 \(HTTP\) listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(g.out)
        if (m) return Number(m[1])
        if (child.exitCode !== null) break
        await new Promise((r) => setTimeout(r, 10))
      }
      throw new Error(`no port 80:\n${g.out}\n${g.err}`)
    },
  }
  child.stdout?.on('data', (c: Buffer) => {
    g.out += c.toString()
  })
  child.stderr?.on('data', (c: Buffer) => {
    g.err += c.toString()
  })
  return g
}

function config(prefixes: readonly string[]): Resource[] {
  return parseResources(configYaml(httpbin.port, prefixes), 'config.yaml').resources
}

const status = async (port: number, path: string) =>
  (await request(port, { url: `http://httpbin.example.com${path}`, timeoutMs: 15_000 })).status

describe('portico serve --store processes', () => {
  it('a killed gateway restarts on the current configuration; SIGTERM drains within the drain timeout', async () => {
    expect(
      (await writeStore(store, { operation: 'apply', resources: config(['/status', '/delay']) })).ok,
    ).toBe(true)
    const a = serve()
    const b = serve()
    const [portA, portB] = await Promise.all([a.port(), b.port()])
    expect(await status(portA, '/status/200')).toBe(200)
    expect(await status(portB, '/headers')).toBe(404)

    a.child.kill('SIGKILL')
    await a.exited
    // Changed while it is down: its replacement serves the change, not what it last saw.
    const change = await writeStore(store, {
      operation: 'apply',
      resources: config(['/status', '/delay', '/headers']),
    })
    expect(change.ok).toBe(true)
    const again = serve()
    const portAgain = await again.port()
    expect(again.out).toContain(`serving revision ${change.revision} of ${etcd.url('processes')}`)
    expect(await status(portAgain, '/headers')).toBe(200)

    // SIGTERM: a request that ends within the drain timeout (1 s) finishes; one that would not is cut.
    const short = status(portAgain, '/delay/0.5')
    const long = status(portAgain, '/delay/8').catch((error: Error) => error.message)
    await new Promise((r) => setTimeout(r, 200))
    again.child.kill('SIGTERM')
    expect(await short).toBe(200)
    expect(await again.exited).toBe(0)
    expect(await long).not.toBe(200)
    expect(again.out).toContain('portico: stopping')

    b.child.kill('SIGTERM')
    expect(await b.exited).toBe(0)
  }, 60_000)
})
