/** Test-only: gateways fed by one etcd prefix, and waiting for them. */
import { setTimeout as sleep } from 'node:timers/promises'
import { createManagedGateway, type ManagedGateway } from '@portico/server'
import { request } from '@portico/testing'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { connectStore } from '../client.js'
import { createEtcdSource, type EtcdSourceReport } from '../source.js'
import { startEtcd, type TestEtcd } from './etcd-server.js'

/**
 * One etcd for the test file (started before its tests, removed after), fresh prefixes, and
 * whatever a test opens (`track`) closed after it.
 */
export function useEtcd(): {
  etcd(): TestEtcd
  /** A prefix no other test of the file uses. */
  prefix(name: string): string
  /** `etcd://…/` a fresh prefix. */
  url(name: string): string
  track<T extends { close(): Promise<void> }>(...items: T[]): T[]
} {
  let etcd: TestEtcd | undefined
  let prefixes = 0
  const open: { close(): Promise<void> }[] = []
  beforeAll(async () => {
    etcd = await startEtcd()
  })
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.close()))
  })
  afterAll(async () => {
    await etcd?.close()
  })
  const running = () => {
    if (etcd === undefined) throw new Error('etcd is not running')
    return etcd
  }
  return {
    etcd: running,
    prefix: (name) => `${name}-${++prefixes}`,
    url: (name) => running().url(`${name}-${++prefixes}`),
    track(...items) {
      open.push(...items)
      return items
    },
  }
}

/** Polls `check` every few ms until it is true; throws with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/** A gateway on `url` (gateway port 80 on an ephemeral port), with the reports of its source. */
export async function storeGateway(
  url: string,
  options: { timeoutMs?: number; auth?: { username: string; password: string } } = {},
): Promise<ManagedGateway & { reports: EtcdSourceReport[] }> {
  const reports: EtcdSourceReport[] = []
  const source = createEtcdSource({
    store: connectStore({
      url,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.auth === undefined ? {} : { auth: options.auth }),
    }),
    onReport: (r) => reports.push(r),
  })
  const gateway = await createManagedGateway({ source, ports: { 80: 0 }, drainTimeoutMs: 1000 })
  return Object.assign(gateway, { reports })
}

/** The body a gateway's port 80 answers for `path` on httpbin.example.com (status and text). */
export async function get(gateway: ManagedGateway, path = '/'): Promise<{ status: number; body: string }> {
  const where = gateway.addresses[80]
  if (where === undefined) return { status: 0, body: 'no port 80' }
  const res = await request(where.port, { url: `http://httpbin.example.com${path}`, timeoutMs: 5000 })
  return { status: res.status, body: res.text() }
}
