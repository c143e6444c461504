import {
  type ConfigSink,
  type ConfigSource,
  type ConfigWrite,
  createConfigStore,
  parseResources,
  type Resource,
  type SnapshotResource,
  validate,
} from '@portico/core'
import { request } from '@portico/testing'
import { describe, expect, it } from 'vitest'
import { gatewayYaml, virtualServiceYaml } from '../test/admin.js'
import { startAdmin } from './admin.js'
import { createManagedGateway } from './managed.js'

/**
 * A config source that is not etcd: an in-memory authority (a core ConfigStore) that feeds its
 * sink the whole configuration at each of its versions, as a Kubernetes or database source would.
 */
function memorySource(): ConfigSource & {
  sink?: ConfigSink
  publish(resources: readonly SnapshotResource[]): void
} {
  const authority = createConfigStore<SnapshotResource>({
    validate: (r) => validate(r as readonly Resource[]),
    version: 0,
  })
  const source = {
    name: 'memory://test',
    sink: undefined as ConfigSink | undefined,
    start(sink: ConfigSink) {
      source.sink = sink
      sink.connection('connected')
    },
    // A raw write: what bypasses the authority's validation.
    publish(resources: readonly SnapshotResource[]) {
      return source.sink?.sync(resources, { revision: authority.snapshot.version + 100 }) ?? Promise.resolve()
    },
    async write(change: ConfigWrite) {
      const result =
        change.operation === 'delete'
          ? authority.delete(change.keys)
          : authority[change.operation](change.resources)
      if (result.ok) void source.sink?.sync(result.snapshot.resources, { revision: result.snapshot.version })
      return {
        ok: result.ok,
        revision: result.snapshot.version,
        changes: result.changes,
        diagnostics: result.diagnostics,
      }
    },
    async close() {},
  }
  return source
}

const yaml = (text: string) => parseResources(text, 'test.yaml').resources

describe('a managed gateway fed by a config source', () => {
  it('is not ready until the source delivers; writes go through the source; an invalid revision is refused and shown', async () => {
    const source = memorySource()
    await using gateway = await createManagedGateway({ source, ports: { 80: 0 } })
    await using admin = await startAdmin(gateway, { port: 0 })
    const get = (path: string) => request(admin.address.port, { url: `http://127.0.0.1${path}` })
    expect(gateway.ready).toBe(false)
    expect((await get('/ready')).text()).toBe('LOADING\n')
    expect(gateway.addresses).toEqual({})

    // The admin endpoint's change is written to the source and answered once served here.
    const body = `${gatewayYaml(['http'])}---\n${virtualServiceYaml(['/status'])}`
    const answer = await request(admin.address.port, {
      url: 'http://127.0.0.1/config/apply',
      method: 'POST',
      body,
    })
    expect(answer.status).toBe(200)
    expect(answer.json()).toMatchObject({ ok: true, version: 1 })
    expect(gateway.ready).toBe(true)
    expect(gateway.addresses[80]).toBeDefined()
    expect((await get('/source')).json()).toMatchObject({
      name: 'memory://test',
      connection: 'connected',
      loaded: true,
      appliedRevision: 1,
    })

    // A configuration that does not validate as a whole is refused; the last valid one is served.
    await source.publish(
      yaml(
        `${gatewayYaml(['http'])}---\n${virtualServiceYaml(['/status']).replace('prefix: /status', 'regex: "([a-z"')}`,
      ),
    )
    const status = (await get('/source')).json<{
      appliedRevision: number
      rejectedRevision: number
      rejectedDiagnostics: { code: string }[]
    }>()
    expect(status.appliedRevision).toBe(1)
    expect(status.rejectedRevision).toBe(101)
    expect(status.rejectedDiagnostics.length).toBeGreaterThan(0)
    expect(gateway.addresses[80]).toBeDefined()
    expect(gateway.snapshot.resources.map((r) => r.kind).sort()).toEqual(['Gateway', 'VirtualService'])
  })
})
