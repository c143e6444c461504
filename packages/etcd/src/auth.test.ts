import { Etcd3, Range } from 'etcd3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectStore, STORE_PASSWORD_ENV, STORE_USERNAME_ENV, StoreError } from './client.js'
import { startEtcd, type TestEtcd } from './test/etcd-server.js'
import { directVsYaml, gatewayYaml, resources } from './test/fixtures.js'
import { get, storeGateway, waitFor } from './test/fleet.js'
import { writeStore } from './write.js'

// etcd with authentication on, set up as an operator would with etcdctl: a root user (required
// before `auth enable`), and a user whose role may read and write the configuration's prefix only.
const USER = { username: 'portico', password: 'config-writer-secret' }
let etcd: TestEtcd

beforeAll(async () => {
  etcd = await startEtcd()
  const admin = new Etcd3({ hosts: `http://${etcd.endpoint}` })
  try {
    await admin.role('root').create()
    await admin.user('root').create('root-secret')
    await admin.user('root').addRole('root')
    const role = await admin.role('portico-config').create()
    await role.grant({ permission: 'Readwrite', range: Range.prefix('/fleet/') })
    await admin.user(USER.username).create(USER.password)
    await admin.user(USER.username).addRole('portico-config')
    await admin.auth.authEnable()
  } finally {
    admin.close()
  }
})
afterAll(async () => {
  await etcd?.close()
})

describe('etcd with authentication', () => {
  it('lets a user whose role grants the prefix write, and gateways follow, also across an etcd restart', async () => {
    const url = etcd.url('fleet')
    await using writer = connectStore({ url, auth: USER })
    const first = await writeStore(writer, {
      operation: 'apply',
      resources: resources(gatewayYaml(), directVsYaml('hello', 'one')),
    })
    expect(first.ok).toBe(true)
    const gateway = await storeGateway(url, { auth: USER })
    try {
      await waitFor('the first configuration', async () => (await get(gateway)).body === 'one')
      await writeStore(writer, { operation: 'apply', resources: resources(directVsYaml('hello', 'two')) })
      await waitFor('the watch to deliver a change', async () => (await get(gateway)).body === 'two')
      // A restart forgets every token etcd handed out: the clients must sign in again, the
      // gateway's watch included.
      await etcd.stop()
      await etcd.start()
      const third = await writeStore(writer, {
        operation: 'apply',
        resources: resources(directVsYaml('hello', 'three')),
      })
      expect(third.ok).toBe(true)
      await waitFor('the change after the restart', async () => (await get(gateway)).body === 'three', 20_000)
    } finally {
      await gateway.close()
    }
  }, 60_000)

  it('takes the user and password from the environment', async () => {
    const saved = { user: process.env[STORE_USERNAME_ENV], password: process.env[STORE_PASSWORD_ENV] }
    process.env[STORE_USERNAME_ENV] = USER.username
    process.env[STORE_PASSWORD_ENV] = USER.password
    try {
      await using store = connectStore({ url: etcd.url('fleet') })
      expect((await store.read()).revision).toBeGreaterThan(0)
    } finally {
      for (const [name, value] of [
        [STORE_USERNAME_ENV, saved.user],
        [STORE_PASSWORD_ENV, saved.password],
      ] as const) {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
    }
  })

  it.each([
    [
      'a wrong password',
      { username: USER.username, password: 'wrong' },
      /authentication failed.*PORTICO_ETCD_USERNAME/,
    ],
    [
      'an unknown user',
      { username: 'nobody', password: 'x' },
      /authentication failed.*PORTICO_ETCD_USERNAME/,
    ],
    ['no user at all', undefined, /user name is empty.*PORTICO_ETCD_USERNAME/],
  ])(
    'refuses %s with an error that names the store and says where credentials come from',
    async (_, auth, message) => {
      const url = etcd.url('fleet')
      await using store = connectStore({ url, ...(auth === undefined ? {} : { auth }), timeoutMs: 2000 })
      const read = await store.read().catch((e: unknown) => e)
      expect(read).toBeInstanceOf(StoreError)
      expect((read as Error).message).toContain(url)
      expect((read as Error).message).toMatch(message)
      const written = await writeStore(store, {
        operation: 'apply',
        resources: resources(gatewayYaml()),
      }).catch((e: unknown) => e)
      expect((written as Error).message).toMatch(message)
    },
  )

  it("refuses a prefix the user's roles do not grant, saying so", async () => {
    const url = etcd.url('elsewhere')
    await using store = connectStore({ url, auth: USER, timeoutMs: 2000 })
    const read = await store.read().catch((e: unknown) => e)
    expect(read).toBeInstanceOf(StoreError)
    expect((read as Error).message).toMatch(/permission denied.*\/elsewhere\//)
  })
})
