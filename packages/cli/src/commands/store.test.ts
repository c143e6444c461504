import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { request } from '@portico/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEtcd, type TestEtcd } from '../../../etcd/src/test/etcd-server.js'
import { main } from '../cli.js'
import { capturedStreams } from './test-fixtures.js'

let etcd: TestEtcd
let dir: string
let prefixes = 0

beforeAll(async () => {
  etcd = await startEtcd()
  dir = await mkdtemp(join(tmpdir(), 'portico-store-'))
})
afterAll(async () => {
  await etcd?.close()
  await rm(dir, { recursive: true, force: true })
})

const gatewayYaml = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: web }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: ["httpbin.example.com"]
`
const vsYaml = (body: string, regex = '/') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: hello }
spec:
  hosts: ["*"]
  gateways: [web]
  http:
  - match: [{ uri: { regex: "${regex}.*" } }]
    directResponse: { status: 200, body: { string: "${body}" } }
`

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = capturedStreams()
  const code = await main(args, {
    stdout: io.stdout,
    stderr: io.stderr,
    stdin: Readable.from(['']),
    cwd: dir,
  })
  return { code, out: io.out(), err: io.err() }
}

async function until<T>(
  what: string,
  read: () => T | undefined | false | Promise<T | undefined | false>,
): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const value = await read()
    if (value !== undefined && value !== false) return value
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('portico create|apply|delete|validate|routes --store', () => {
  it('writes to the store, prints the etcd revision, and reads the store instead of files', async () => {
    const store = etcd.url(`cli-${++prefixes}`)
    await writeFile(join(dir, 'gw.yaml'), gatewayYaml)
    await writeFile(join(dir, 'vs.yaml'), vsYaml('one'))
    const created = await run(['create', '--store', store, '-f', 'gw.yaml', '-f', 'vs.yaml'])
    expect(created.code).toBe(0)
    const revision = Number(/at version (\d+)/.exec(created.out)?.[1])
    expect(created.out).toBe(
      `Created config gateway/default/web at version ${revision}\nCreated config virtualservice/default/hello at version ${revision}\n`,
    )
    // Exactly one of two creates of the same resource succeeds: here, the second one is refused.
    const again = await run(['create', '--store', store, '-f', 'vs.yaml'])
    expect(again.code).toBe(1)
    expect(again.err).toContain('PTC4200')
    expect(again.err).toContain(`refused: nothing written to ${store} (at revision ${revision})`)

    expect(await run(['validate', '--store', store])).toMatchObject({
      code: 0,
      out: 'valid: 2 resources: 0 errors, 0 warnings\n',
    })
    const routes = await run(['routes', '--store', store, '--explain', 'GET', 'http://httpbin.example.com/x'])
    expect(routes.out).toContain('decision   direct response 200')

    // An invalid change writes nothing; the diagnostics point into the file.
    await writeFile(join(dir, 'bad.yaml'), vsYaml('two', '(['))
    const bad = await run(['apply', '--store', store, '-f', 'bad.yaml'])
    expect(bad.code).toBe(1)
    expect(bad.err).toMatch(/bad\.yaml:\d+:\d+/)
    expect(
      (await run(['routes', '--store', store, '--explain', 'GET', 'http://httpbin.example.com/x'])).out,
    ).toContain('uri regex "/.*"')

    const deleted = await run(['delete', '--store', store, 'vs', 'hello'])
    expect(deleted.out).toMatch(/^Deleted config virtualservice\/default\/hello at version (\d+)\n$/)
    expect(Number(/(\d+)\n$/.exec(deleted.out)?.[1])).toBeGreaterThan(revision)
  })

  it("-n places the files' resources without a namespace, and refuses another namespace, as kubectl", async () => {
    const store = etcd.url(`cli-${++prefixes}`)
    await writeFile(join(dir, 'gw.yaml'), gatewayYaml)
    await writeFile(
      join(dir, 'vs-other.yaml'),
      vsYaml('one').replace('name: hello }', 'name: hello, namespace: other }'),
    )
    const created = await run(['apply', '--store', store, '-n', 'team', '-f', 'gw.yaml'])
    expect(created.err).toBe('')
    expect(created.out).toMatch(/^Created config gateway\/team\/web at version \d+\n$/)
    const refused = await run(['apply', '--store', store, '-n', 'team', '-f', 'vs-other.yaml'])
    expect(refused.code).toBe(1)
    expect(refused.err).toContain(`${join(dir, 'vs-other.yaml')}:3:`)
    expect(refused.err).toContain('PTC1007')
    const deleted = await run(['delete', '--store', store, '--namespace', 'team', '-f', 'gw.yaml'])
    expect(deleted.out).toMatch(/^Deleted config gateway\/team\/web at version \d+\n$/)
  })

  it('refuses -f with --store, and an address it cannot read', async () => {
    expect((await run(['validate', '--store', 'etcd://127.0.0.1:2379', '-f', 'gw.yaml'])).code).toBe(2)
    const noPrefix = await run(['apply', '--store', 'etcd://127.0.0.1:2379', '-f', 'gw.yaml'])
    expect(noPrefix).toMatchObject({ code: 2 })
    expect(noPrefix.err).toContain('no key prefix')
  })

  it('apply against an unreachable store fails within seconds, naming the store', async () => {
    const gone = 'etcd://127.0.0.1:1/portico'
    const result = await run(['apply', '--store', gone, '-f', 'gw.yaml'])
    expect(result.code).toBe(1)
    expect(result.err).toContain(`portico apply: ${gone}:`)
  }, 15_000)
})

describe('portico serve --store', () => {
  it('is not ready until the store answers, then serves it, and its admin endpoint writes to the store', async () => {
    const store = etcd.url(`cli-${++prefixes}`)
    await etcd.stop()
    const io = capturedStreams()
    const stop = new AbortController()
    const serving = main(['serve', '--store', store, '--port', '80=0', '--admin', '0'], {
      stdout: io.stdout,
      stderr: io.stderr,
      stdin: Readable.from(['']),
      cwd: dir,
      signal: stop.signal,
    })
    try {
      const admin = Number(
        await until(
          'the admin endpoint',
          () => /admin listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(io.out())?.[1],
        ),
      )
      const ready = () => request(admin, { url: 'http://127.0.0.1/ready' })
      const notReady = await ready()
      expect(notReady.status).toBe(503)
      expect(notReady.text()).toBe('LOADING\n')
      await until('the unreachable store reported', () => io.err().includes(`${store} unreachable`))

      await etcd.start()
      await until('the empty store served', () => io.out().includes(`portico: serving revision`))
      expect((await ready()).status).toBe(200)
      expect(io.out()).toContain('no Gateway selects this process')

      // A change through the admin endpoint goes to the store, and comes back from it.
      await writeFile(join(dir, 'both.yaml'), `${gatewayYaml}---\n${vsYaml('from-admin')}`)
      const applied = await run(['apply', '--admin', `127.0.0.1:${admin}`, '-f', 'both.yaml'])
      expect(applied.code).toBe(0)
      const revision = Number(/at version (\d+)/.exec(applied.out)?.[1])
      const port = Number(
        await until(
          'port 80',
          () => /port 80 \(HTTP\) listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(io.out())?.[1],
        ),
      )
      const res = await request(port, { url: 'http://httpbin.example.com/' })
      expect(res.text()).toBe('from-admin')
      const status = (await request(admin, { url: 'http://127.0.0.1/source' })).json<
        Record<string, unknown>
      >()
      expect(status).toMatchObject({
        name: store,
        connection: 'connected',
        loaded: true,
        appliedRevision: revision,
      })
      const metrics = (await request(admin, { url: 'http://127.0.0.1/stats/prometheus' })).text()
      expect(metrics).toContain(`portico_config_source_applied_revision{source="${store}"} ${revision}`)
      expect(metrics).toContain(`portico_config_source_connected{source="${store}"} 1`)
      // The store holds it: another reader sees it.
      expect((await run(['validate', '--store', store])).out).toBe(
        'valid: 2 resources: 0 errors, 0 warnings\n',
      )
    } finally {
      stop.abort()
      expect(await serving).toBe(0)
    }
  }, 30_000)

  it("takes --namespace: the policies of the gateway's namespace apply, as with -f", async () => {
    const store = etcd.url(`cli-${++prefixes}`)
    const denyAll = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-all, namespace: edge }
spec:
  action: DENY
  rules: [{}]
`
    await writeFile(join(dir, 'edge.yaml'), `${gatewayYaml}---\n${vsYaml('served')}---\n${denyAll}`)
    expect((await run(['create', '--store', store, '-f', 'edge.yaml'])).code).toBe(0)
    // validate reads the store as the gateway would judge it.
    expect((await run(['validate', '--store', store])).out).toContain('PTC3600')
    expect((await run(['validate', '--store', store, '--namespace', 'edge'])).out).toBe(
      'valid: 3 resources: 0 errors, 0 warnings\n',
    )
    const io = capturedStreams()
    const stop = new AbortController()
    const serving = main(
      ['serve', '--store', store, '--port', '80=0', '--admin', 'off', '--namespace', 'edge'],
      { stdout: io.stdout, stderr: io.stderr, stdin: Readable.from(['']), cwd: dir, signal: stop.signal },
    )
    try {
      const port = Number(
        await until(
          'port 80',
          () => /port 80 \(HTTP\) listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(io.out())?.[1],
        ),
      )
      const res = await request(port, { url: 'http://httpbin.example.com/' })
      expect(res.status).toBe(403)
      expect(res.text()).toBe('RBAC: access denied')
      expect(io.out()).not.toContain('PTC3600')
    } finally {
      stop.abort()
      expect(await serving).toBe(0)
    }
  }, 30_000)
})
