import { copyFileSync, mkdtempSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadResources } from '@portico/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createManagedGateway, type ManagedGateway } from '../admin/managed.js'
import {
  fingerprintOf,
  gatewayYaml,
  lineOf,
  servedFingerprint,
  serviceEntryYaml,
  virtualServiceYaml,
} from '../test/admin.js'
import { http1, selfSigned, startUpstream, type Upstream } from '../test/config.js'
import { type ConfigWatcher, type WatchReport, watchConfig } from './watch.js'

let upstream: Upstream
let gw: ManagedGateway | undefined
let watcher: ConfigWatcher | undefined
let dir: string
const reports: WatchReport[] = []

beforeEach(async () => {
  reports.length = 0
  upstream = await startUpstream('httpbin')
  dir = mkdtempSync(join(tmpdir(), 'portico-watch-'))
})
afterEach(async () => {
  watcher?.close()
  await gw?.close()
  await upstream.close()
})

async function serve(files: Record<string, string>): Promise<ManagedGateway> {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  const loaded = await loadResources([dir])
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
  gw = await createManagedGateway({ resources: loaded.resources, ports: { 80: 0, 443: 0 } })
  watcher = watchConfig({
    gateway: gw,
    paths: [dir],
    intervalMs: 50,
    debounceMs: 50,
    onReport: (r) => reports.push(r),
  })
  await watcher.ready
  return gw
}

/** Polls `check` until it holds (or fails after 5 s). */
async function eventually(check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 5000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached within 5 s')
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe('watchConfig', () => {
  it('applies a file edit, refuses a broken one with file:line:col and keeps serving, and prunes removed documents', async () => {
    const g = await serve({
      'gateway.yaml': gatewayYaml(['http']),
      'vs.yaml': virtualServiceYaml(),
      'se.yaml': serviceEntryYaml(upstream.port),
    })
    const port = g.addresses[80]!.port
    expect((await http1(port, '/anything')).status).toBe(404)

    writeFileSync(join(dir, 'vs.yaml'), virtualServiceYaml(['/status', '/delay', '/anything']))
    await eventually(async () => (await http1(port, '/anything')).status === 200)
    expect(reports.at(-1)).toMatchObject({ trigger: 'config', ok: true })

    const version = g.version
    writeFileSync(join(dir, 'vs.yaml'), `${virtualServiceYaml()}  tcp: [\n`)
    await eventually(() => reports.some((r) => !r.ok))
    const refused = reports.find((r) => !r.ok)!
    expect(refused.diagnostics[0]?.source).toMatchObject({
      file: join(dir, 'vs.yaml'),
      line: expect.any(Number),
    })
    expect(refused.diagnostics[0]?.source?.column).toBeGreaterThan(0)
    expect(g.version).toBe(version)
    expect((await http1(port, '/anything')).status).toBe(200)
    expect((await http1(port, '/status/200')).status).toBe(200)

    const parsedButInvalid = virtualServiceYaml().replace('prefix: /delay', 'regex: "("')
    writeFileSync(join(dir, 'vs.yaml'), parsedButInvalid)
    await eventually(() => reports.some((r) => !r.ok && r.diagnostics.some((d) => d.code === 'PTC2332')))
    const invalid = reports.find((r) => r.diagnostics.some((d) => d.code === 'PTC2332'))!
    expect(invalid.diagnostics.find((d) => d.code === 'PTC2332')?.source).toMatchObject({
      file: join(dir, 'vs.yaml'),
      line: lineOf(parsedButInvalid, 'regex: "("'),
    })
    expect(g.version).toBe(version)
    expect((await http1(port, '/anything')).status).toBe(200)

    writeFileSync(join(dir, 'vs.yaml'), virtualServiceYaml())
    unlinkSync(join(dir, 'se.yaml'))
    await eventually(async () => (await http1(port, '/status/200')).status === 503)
    expect(g.snapshot.list('ServiceEntry')).toEqual([])
    expect((await http1(port, '/anything')).status).toBe(404)
  })

  it('serves a certificate rotated on disk to the next handshake, without closing the listener', async () => {
    const live = selfSigned(['httpbin.example.com'])
    const next = selfSigned(['httpbin.example.com'])
    const g = await serve({
      'gateway.yaml': gatewayYaml(['https'], live),
      'vs.yaml': virtualServiceYaml(),
      'se.yaml': serviceEntryYaml(upstream.port),
    })
    const port = g.addresses[443]!.port
    expect(await servedFingerprint(port, 'httpbin.example.com')).toBe(fingerprintOf(live.cert))
    copyFileSync(next.keyFile, live.keyFile)
    copyFileSync(next.certFile, live.certFile)
    await eventually(
      async () => (await servedFingerprint(port, 'httpbin.example.com')) === fingerprintOf(next.cert),
    )
    // The report follows the swap (the watcher re-reads what to watch in between).
    await eventually(() => reports.some((r) => r.trigger === 'certificates' && r.ok))
    expect(g.addresses[443]!.port).toBe(port)
  })
})
