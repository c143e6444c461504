import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { type AddressInfo, connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { createManagedGateway, startAdmin } from '@portico/server'
import { type RunningHttpbin, request, seedYaml, seedYamlDocuments, startHttpbin } from '@portico/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../cli.js'
import { parseAdminAddress } from './apply.js'

const [gatewayYaml, vsYaml] = seedYamlDocuments(1)
const seYaml = (httpbinPort: number) => seedYamlDocuments(1, { httpbinPort })[2]

interface Captured {
  readonly stream: PassThrough
  text(): string
}
function capture(): Captured {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (c: Buffer) => {
    text += c.toString()
  })
  return { stream, text: () => text }
}

async function run(argv: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = capture()
  const err = capture()
  const code = await main(argv, {
    stdout: out.stream,
    stderr: err.stream,
    stdin: Readable.from([stdin]),
    cwd: dir,
  })
  await new Promise((r) => setImmediate(r))
  return { code, stdout: out.text(), stderr: err.text() }
}

async function until<T>(read: () => T | undefined): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = read()
    if (value !== undefined) return value
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('timed out')
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port })
    s.once('connect', () => {
      s.destroy()
      resolve(false)
    })
    s.once('error', () => resolve(true))
  })
}

let dir: string
let httpbin: RunningHttpbin
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portico-apply-'))
  httpbin = await startHttpbin()
})
afterAll(async () => {
  await httpbin.close()
  await rm(dir, { recursive: true, force: true })
})

describe('parseAdminAddress', () => {
  it('reads a port, host:port and [v6]:port, and refuses the rest', () => {
    expect(parseAdminAddress(undefined)).toEqual({ host: '127.0.0.1', port: 15000 })
    expect(parseAdminAddress('15001')).toEqual({ host: '127.0.0.1', port: 15001 })
    expect(parseAdminAddress('localhost:9901')).toEqual({ host: 'localhost', port: 9901 })
    expect(parseAdminAddress('[::1]:15000')).toEqual({ host: '::1', port: 15000 })
    expect(() => parseAdminAddress('host:')).toThrow(/--admin/)
    expect(() => parseAdminAddress('::1:15000')).toThrow(/--admin/)
    expect(() => parseAdminAddress('99999')).toThrow(/--admin/)
  })
})

describe('portico serve --admin, then create / replace / apply / delete against it, then SIGTERM', () => {
  it("runs the seed's istioctl steps on a live gateway and drains on SIGTERM", async () => {
    await writeFile(join(dir, 'gateway.yaml'), gatewayYaml)
    await writeFile(join(dir, 'se.yaml'), seYaml(httpbin.port))
    const out = capture()
    const err = capture()
    const serving = main(
      [
        'serve',
        '-f',
        'gateway.yaml',
        '-f',
        'se.yaml',
        '--port',
        '80=0',
        '--admin',
        '127.0.0.1:0',
        '--drain-timeout',
        '5s',
      ],
      { stdout: out.stream, stderr: err.stream, stdin: Readable.from(['']), cwd: dir },
    )
    const port = Number(
      await until(
        () => /gateway port 80 \(HTTP\) listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out.text())?.[1],
      ),
    )
    const adminPort = await until(
      () => /admin listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out.text())?.[1],
    )
    const admin = ['--admin', `127.0.0.1:${adminPort}`]
    const get = (path: string) => request(port, { url: `http://httpbin.example.com${path}` })

    expect((await get('/status/200')).status).toBe(404)
    const created = await run(['create', '-f', '-', ...admin], vsYaml)
    expect(created.stderr).toBe('')
    expect(created.code).toBe(0)
    expect(created.stdout).toMatch(/^Created config virtualservice\/default\/httpbin at version \d+$/m)
    expect((await get('/status/200')).status).toBe(200)

    const again = await run(['create', '-f', '-', ...admin], vsYaml)
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('PTC4200')
    expect(again.stderr).toContain('refused: nothing changed')

    await writeFile(join(dir, 'vs.yaml'), vsYaml.replace('prefix: /delay', 'prefix: /headers'))
    const replaced = await run(['replace', '-f', 'vs.yaml', ...admin])
    expect(replaced.code).toBe(0)
    expect(replaced.stdout).toMatch(/^Updated config virtualservice\/default\/httpbin/m)
    expect((await get('/headers')).status).toBe(200)

    const invalidText = `${gatewayYaml}---\n${vsYaml.replace('prefix: /delay', 'regex: "("')}`
    await writeFile(join(dir, 'invalid.yaml'), invalidText)
    const invalid = await run(['apply', '-f', 'invalid.yaml', ...admin])
    expect(invalid.code).toBe(1)
    // The gateway's finding points into the local file: the regex's line, in the second document.
    const regexLine = invalidText.slice(0, invalidText.indexOf('regex: "("')).split('\n').length
    expect(regexLine).toBeGreaterThan(gatewayYaml.split('\n').length)
    expect(invalid.stderr).toContain(`${join(dir, 'invalid.yaml')}:${regexLine}:`)
    expect(invalid.stderr).toContain('PTC2332')
    await writeFile(
      join(dir, 'broken.yaml'),
      'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: x\n',
    )
    const broken = await run(['apply', '-f', 'broken.yaml', ...admin])
    expect(broken.code).toBe(1)
    expect(broken.stderr).toContain(join(dir, 'broken.yaml'))
    expect(broken.stderr).toContain('nothing sent to the gateway')

    const applied = await run(['apply', '-f', '-', ...admin, '--output', 'json'], vsYaml)
    expect(applied.code).toBe(0)
    expect(JSON.parse(applied.stdout)).toMatchObject({ ok: true, changes: [{ action: 'replaced' }] })

    const deleted = await run(['delete', 'gateway', 'httpbin-gateway', ...admin])
    expect(deleted.code).toBe(0)
    expect(deleted.stdout).toMatch(/^Deleted config gateway\/default\/httpbin-gateway/m)
    expect(await refused(port)).toBe(true)
    const missing = await run(['delete', 'gw', 'httpbin-gateway', '-n', 'default', ...admin])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('PTC4202')
    expect((await run(['delete', 'vs', ...admin])).code).toBe(2)

    const back = await run(['create', '-f', 'gateway.yaml', ...admin])
    expect(back.code).toBe(0)
    const dump = (await request(Number(adminPort), { url: 'http://127.0.0.1/config_dump' })).json<{
      listeners: { port: number; listenPort: number }[]
    }>()
    const port2 = dump.listeners.find((l) => l.port === 80)!.listenPort
    const get2 = (path: string) => request(port2, { url: `http://httpbin.example.com${path}` })
    expect((await get2('/status/200')).status).toBe(200)

    // A slow request in flight when SIGTERM arrives completes; the port then refuses connections.
    const slow = get2('/delay/1')
    await new Promise((r) => setTimeout(r, 200))
    process.kill(process.pid, 'SIGTERM')
    const answer = await slow
    expect(answer.status).toBe(200)
    expect(await serving).toBe(0)
    expect(out.text()).toContain('portico: stopping')
    expect(await refused(port2)).toBe(true)
    expect(err.text()).toBe('')
  })

  it('exits 1 with a clear message when no gateway listens on the admin address', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer()
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port
        s.close(() => resolve(p))
      })
    })
    const r = await run(['apply', '-f', '-', '--admin', String(closed)], vsYaml)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`no gateway admin endpoint at 127.0.0.1:${closed}`)
  })
})

describe('create / replace / apply / delete -f with -n, as kubectl', () => {
  it('puts resources without a namespace in -n, and refuses one of another namespace at its line', async () => {
    await using gateway = await createManagedGateway({ ports: { 80: 0 } })
    await using adminServer = await startAdmin(gateway, { port: 0 })
    const admin = ['--admin', `127.0.0.1:${adminServer.address.port}`]
    // The seed without namespaces, its ServiceEntry for the short host `httpbin` as seen from "team":
    // the VirtualService's destination resolves there only if the VirtualService lands in "team".
    const seed = seedYaml(1, { httpbinPort: httpbin.port }).replace(
      'httpbin.default.svc.cluster.local',
      'httpbin.team.svc.cluster.local',
    )
    await writeFile(join(dir, 'team.yaml'), seed)

    const applied = await run(['apply', '-n', 'team', '-f', 'team.yaml', ...admin])
    expect(applied.stderr).toBe('')
    expect(applied.code).toBe(0)
    expect(applied.stdout).toMatch(/^Created config gateway\/team\/httpbin-gateway at version \d+$/m)
    expect(applied.stdout).toMatch(/^Created config virtualservice\/team\/httpbin at version \d+$/m)
    expect(applied.stdout).toMatch(/^Created config serviceentry\/team\/httpbin at version \d+$/m)
    const port = gateway.addresses[80]!.port
    const answer = await request(port, { url: 'http://httpbin.example.com/status/200' })
    expect(answer.status).toBe(200)
    const version = gateway.version

    // A resource naming another namespace: nothing is sent, the finding names file, line and field.
    const otherText = seedYamlDocuments(1)[1].replace(
      'name: httpbin\n',
      'name: httpbin\n  namespace: other\n',
    )
    await writeFile(join(dir, 'other.yaml'), otherText)
    const namespaceLine = otherText.split('\n').findIndex((l) => l.includes('namespace: other')) + 1
    for (const verb of ['apply', 'create', 'replace', 'delete']) {
      const refused = await run([verb, '-f', 'other.yaml', '--namespace', 'team', ...admin])
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain(`${join(dir, 'other.yaml')}:${namespaceLine}:3`)
      expect(refused.stderr).toContain('PTC1007')
      expect(refused.stderr).toContain(
        'the namespace from the provided object "other" does not match the namespace "team" given with -n; pass -n other',
      )
      expect(refused.stderr).toContain('metadata.namespace')
      expect(refused.stderr).toContain('nothing sent to the gateway')
    }
    expect(gateway.version).toBe(version)
    // With the namespace it names, the same file is accepted (and kept in its own namespace).
    const elsewhere = await run(['apply', '-f', 'other.yaml', '-n', 'other', ...admin, '--output', 'json'])
    expect(elsewhere.code).toBe(0)
    expect(JSON.parse(elsewhere.stdout)).toMatchObject({
      ok: true,
      changes: [{ action: 'created', resource: { namespace: 'other', name: 'httpbin' } }],
    })

    const badName = await run(['apply', '-f', 'team.yaml', '-n', 'Team', ...admin])
    expect(badName.code).toBe(2)
    expect(badName.stderr).toContain('"Team" given with -n is not a namespace name')

    // delete -f -n deletes in that namespace: the team's route goes, its port closes with its Gateway.
    expect((await run(['delete', '-f', 'other.yaml', '-n', 'other', ...admin])).code).toBe(0)
    const deleted = await run(['delete', '-f', 'team.yaml', '-n', 'team', ...admin])
    expect(deleted.stderr).toBe('')
    expect(deleted.stdout).toMatch(/^Deleted config virtualservice\/team\/httpbin at version \d+$/m)
    expect(gateway.snapshot.resources).toEqual([])
    expect(await refused(port)).toBe(true)
  })
})

describe('the positions of a change', () => {
  it("leaves findings about an earlier change's resources at their own positions, not in this change's files", async () => {
    await using gateway = await createManagedGateway({ ports: { 80: 0 } })
    await using adminServer = await startAdmin(gateway, { port: 0 })
    const admin = ['--admin', `127.0.0.1:${adminServer.address.port}`]
    // A VirtualService whose gateway is missing: a warning at its `gateways` line, on every change.
    await writeFile(join(dir, 'orphan.yaml'), vsYaml)
    const gatewayLine = vsYaml.split('\n').findIndex((l) => l.includes('- httpbin-gateway')) + 1
    const first = await run(['apply', '-f', 'orphan.yaml', ...admin])
    expect(first.code).toBe(0)
    expect(first.stderr).toContain(`${join(dir, 'orphan.yaml')}:${gatewayLine}:7  warning  IST0101`)
    // The next change's file has other lines there: the old warning must not point into it.
    const padded = `# ${'-'.repeat(20)}\n`.repeat(gatewayLine + 5)
    await writeFile(join(dir, 'se.yaml'), `${padded}${seYaml(httpbin.port)}`)
    const second = await run(['apply', '-f', 'se.yaml', ...admin])
    expect(second.code).toBe(0)
    expect(second.stderr).not.toContain('se.yaml')
    expect(second.stderr).toMatch(
      /^- {2}warning {2}IST0101 {2}Referenced gateway not found.*VirtualService default\/httpbin/m,
    )
  })
})
