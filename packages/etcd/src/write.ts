import { setTimeout as sleep } from 'node:timers/promises'
import {
  type ConfigWrite,
  type ConfigWriteOutcome,
  createConfigStore,
  type Diagnostic,
  loadRegexEngine,
  type Resource,
  type ResourceRef,
  type SnapshotResource,
  validate,
} from '@portico/core'
import type { ICompare, IRequestOp } from 'etcd3'
import { type EtcdStore, prefixEnd, reason, StoreError } from './client.js'
import { PTC_WRITE_CONFLICT } from './codes.js'
import { encodeResource, keyOf } from './layout.js'

/** Options of {@link writeStore}. */
export interface WriteOptions {
  /** Validation of the whole resulting configuration (default: `validate` of `@portico/core`). */
  readonly validate?: (resources: readonly SnapshotResource[]) => readonly Diagnostic[]
  /** Tries before giving up when other writers keep changing the configuration (default 5). */
  readonly attempts?: number
}

const defaultValidate = (resources: readonly SnapshotResource[]) => validate(resources as readonly Resource[])

function refKey(prefix: string, ref: ResourceRef, resources: ReadonlyMap<string, SnapshotResource>): string {
  for (const [key, r] of resources) {
    if (
      r.kind === ref.kind &&
      r.metadata.name === ref.name &&
      (r.metadata.namespace || 'default') === ref.namespace
    )
      return key
  }
  return keyOf(prefix, { kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } })
}

/**
 * Commits a change (istioctl's create, replace, apply or delete) to the configuration in the
 * store, as one etcd transaction:
 * 1. every key under the prefix is read at one revision R;
 * 2. the change is planned against that configuration and the whole result validated exactly as
 *    a gateway does (`createConfigStore` + `validate`); a refused change writes nothing;
 * 3. every changed key is put or deleted in one transaction guarded by the revisions read: each
 *    changed key still has the mod revision read (0: still absent), and no key under the prefix
 *    was created or changed after R. When the guard fails (another writer won), the change is
 *    planned again on a fresh read, up to `attempts` times, then refused with PTC4303.
 *
 * The outcome's `revision` is the store revision after the write (R when nothing changed or the
 * change was refused). An unreachable store rejects with a {@link StoreError} naming the store.
 */
export async function writeStore(
  store: EtcdStore,
  change: ConfigWrite,
  options: WriteOptions = {},
): Promise<ConfigWriteOutcome> {
  const attempts = options.attempts ?? 5
  const check = options.validate ?? defaultValidate
  const prefixKey = Buffer.from(`${store.prefix}/`)
  let lastRevision = 0
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const read = await store.read()
    lastRevision = read.revision
    await loadRegexEngine([...read.resources, ...(change.operation === 'delete' ? [] : change.resources)])
    const config = createConfigStore<SnapshotResource>({ resources: read.resources, validate: check })
    const plan =
      change.operation === 'delete'
        ? config.plan('delete', change.keys)
        : config.plan(change.operation, change.resources, change.prune)
    // What is already wrong in the store (values that are not resources) is wrong after the change too.
    const stored = read.diagnostics.filter((d) => d.severity === 'error')
    if (!plan.ok || stored.length > 0) {
      return {
        ok: false,
        revision: read.revision,
        changes: plan.changes,
        diagnostics: [...stored, ...plan.diagnostics],
      }
    }
    if (plan.next === plan.base)
      return { ok: true, revision: read.revision, changes: plan.changes, diagnostics: plan.diagnostics }

    const byKey = new Map<string, SnapshotResource>()
    for (const [key, entry] of read.byKey) byKey.set(key, entry.resource)
    const compare: ICompare[] = [
      {
        key: prefixKey,
        range_end: prefixEnd(prefixKey),
        target: 'Mod',
        result: 'Less',
        mod_revision: read.revision + 1,
      },
    ]
    const success: IRequestOp[] = []
    for (const c of plan.changes) {
      if (c.action === 'unchanged') continue
      if (c.action === 'deleted') {
        const key = refKey(store.prefix, c.resource, byKey)
        compare.push({
          key: Buffer.from(key),
          target: 'Mod',
          result: 'Equal',
          mod_revision: read.byKey.get(key)?.modRevision ?? 0,
        })
        success.push({ request_delete_range: { key: Buffer.from(key) } })
        continue
      }
      const resource = plan.next.get(c.resource.kind, c.resource.namespace, c.resource.name)
      if (resource === undefined) continue
      const key = keyOf(store.prefix, resource as SnapshotResource & { apiVersion?: string })
      compare.push({
        key: Buffer.from(key),
        target: 'Mod',
        result: 'Equal',
        mod_revision: read.byKey.get(key)?.modRevision ?? 0,
      })
      success.push({ request_put: { key: Buffer.from(key), value: Buffer.from(encodeResource(resource)) } })
    }
    let response: Awaited<ReturnType<typeof store.client.kv.txn>>
    try {
      response = await store.client.kv.txn({ compare, success, failure: [] })
    } catch (error) {
      throw new StoreError(store.name, `the change was not written: ${reason(error, store.prefix)}`, {
        cause: error,
      })
    }
    if (response.succeeded)
      return {
        ok: true,
        revision: Number(response.header.revision),
        changes: plan.changes,
        diagnostics: plan.diagnostics,
      }
    // Another writer changed the configuration since it was read: plan again on what it wrote.
    await sleep(10 + Math.random() * 40 * attempt)
  }
  return {
    ok: false,
    revision: lastRevision,
    changes: [],
    diagnostics: [
      {
        severity: 'error',
        code: PTC_WRITE_CONFLICT,
        message: `other writers changed the configuration in ${store.name} on each of ${attempts} tries; nothing was written, retry the change`,
      },
    ],
  }
}
