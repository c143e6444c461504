import { createCertificate, createCertificateAuthority } from '@portico/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectStore, StoreError } from './client.js'
import { startEtcd, type TestEtcd } from './test/etcd-server.js'
import { gatewayYaml, resources } from './test/fixtures.js'
import { writeStore } from './write.js'

const ca = createCertificateAuthority({ commonName: 'etcd test CA' })
const server = createCertificate({ commonName: 'etcd', altNames: ['127.0.0.1', 'localhost'], ca })
const client = createCertificate({ commonName: 'portico', ca })
let etcd: TestEtcd

beforeAll(async () => {
  etcd = await startEtcd({ tls: { cert: server.cert, key: server.key, ca: ca.cert, client } })
})
afterAll(async () => {
  await etcd?.close()
})

describe('etcds://', () => {
  it('talks TLS with a client certificate', async () => {
    const url = etcd.url('tls')
    expect(url.startsWith('etcds://')).toBe(true)
    await using store = connectStore({ url, ca: ca.cert, cert: client.cert, key: client.key })
    const written = await writeStore(store, { operation: 'apply', resources: resources(gatewayYaml()) })
    expect(written.ok).toBe(true)
    expect((await store.read()).resources.map((r) => r.metadata.name)).toEqual(['web'])
  })

  it('fails, naming the store, without the client certificate etcd asks for', async () => {
    await using store = connectStore({ url: etcd.url('tls'), ca: ca.cert, timeoutMs: 2000 })
    const error = await store.read().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StoreError)
    expect((error as Error).message).toContain(etcd.url('tls'))
  }, 15_000)
})
