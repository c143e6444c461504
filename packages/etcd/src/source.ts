import { setTimeout as sleep } from 'node:timers/promises'
import type {
  ConfigSink,
  ConfigSinkOutcome,
  ConfigSource,
  ConfigWrite,
  ConfigWriteOutcome,
  Diagnostic,
  SourceConnection,
} from '@portico/core'
import type { IKeyValue, IWatchResponse, Watcher } from 'etcd3'
import { type EtcdStore, reason } from './client.js'
import { type DecodedEntry, decodeEntries, decodeEntry, type StoreEntry } from './layout.js'
import { type WriteOptions, writeStore } from './write.js'

/** What the etcd source did; for logs. */
export type EtcdSourceReport =
  | {
      /** A revision was served (`ok`) or refused as invalid as a whole (kept serving the previous one). */
      readonly type: 'revision'
      readonly revision: number
      readonly ok: boolean
      readonly outcome: ConfigSinkOutcome
    }
  | {
      readonly type: 'connection'
      readonly state: SourceConnection
      /** Why the store is not reachable. */
      readonly error?: string
    }
  | {
      /** The watch ended (etcd canceled it, e.g. its revision was compacted): everything is read again. */
      readonly type: 'reread'
      readonly reason: string
    }

/** Options of {@link createEtcdSource}. */
export interface EtcdSourceOptions extends WriteOptions {
  /** The store to read, watch and write (the source closes it on `close()`). */
  readonly store: EtcdStore
  /** Called with what the source did. */
  readonly onReport?: (report: EtcdSourceReport) => void
}

/** The etcd config source, with the revision it last delivered. */
export interface EtcdSource extends ConfigSource {
  /** The store revision last handed to the sink (0 before the first read). */
  readonly revision: number
  write(change: ConfigWrite): Promise<ConfigWriteOutcome>
}

function entryOf(kv: IKeyValue): StoreEntry {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    modRevision: Number(kv.mod_revision),
    createRevision: Number(kv.create_revision),
  }
}

/**
 * A gateway's configuration from etcd. Once started it:
 * 1. reads every key under the prefix at one revision R and hands the sink the whole
 *    configuration (`sync`, validated there as a whole: an invalid one is refused and the
 *    previous one kept);
 * 2. watches the prefix from R + 1; each watch response (one etcd transaction) updates its copy
 *    of the keys, and the whole configuration at that revision goes to the sink again;
 * 3. when the connection is lost or etcd ends the watch (a compacted revision, a restart), tells
 *    the sink it is disconnected, waits (100 ms, doubling, at most `store.maxBackoffMs`, 1 s by
 *    default) and starts again at 1: reading everything again means a compacted history is
 *    never needed to catch up.
 *
 * The source writes no keys of its own. `write` commits a change with {@link writeStore} (the
 * admin endpoint of a store-backed gateway writes through it).
 */
export function createEtcdSource(options: EtcdSourceOptions): EtcdSource {
  const { store } = options
  const report = options.onReport ?? (() => {})
  const watchPrefix = `${store.prefix}/`
  let closed = false
  let revision = 0
  let watcher: Watcher | undefined
  let stopWatching: (() => void) | undefined
  let running: Promise<void> | undefined
  const entries = new Map<string, StoreEntry>()
  const cache = new Map<string, { modRevision: number; decoded: DecodedEntry }>()

  const decode = (entry: StoreEntry): DecodedEntry => {
    const hit = cache.get(entry.key)
    if (hit !== undefined && hit.modRevision === entry.modRevision) return hit.decoded
    const decoded = decodeEntry(store.prefix, entry)
    cache.set(entry.key, { modRevision: entry.modRevision, decoded })
    return decoded
  }

  let connection: SourceConnection = 'connecting'
  function connect(sink: ConfigSink, state: SourceConnection, error?: string): void {
    if (state === connection && state !== 'disconnected') return
    connection = state
    sink.connection(state, error)
    report(error === undefined ? { type: 'connection', state } : { type: 'connection', state, error })
  }

  let delivering: Promise<unknown> = Promise.resolve()
  function deliver(sink: ConfigSink, at: number): void {
    for (const key of cache.keys()) if (!entries.has(key)) cache.delete(key)
    const decoded = decodeEntries(store.prefix, entries.values(), decode)
    revision = at
    const diagnostics: readonly Diagnostic[] = decoded.diagnostics
    delivering = sink.sync(decoded.resources, { revision: at, diagnostics }).then(
      (outcome) => {
        if (!closed) report({ type: 'revision', revision: at, ok: outcome.ok, outcome })
      },
      () => {},
    )
  }

  /** Watches from `from` until the watch ends; rejects with why. */
  async function watchFrom(sink: ConfigSink, from: number): Promise<void> {
    const created = store.client.watch().prefix(watchPrefix).startRevision(String(from)).create()
    const w = await Promise.race([
      created,
      sleep(store.timeoutMs).then(() => {
        throw new Error(`no watch within ${store.timeoutMs} ms`)
      }),
    ]).catch(async (error: unknown) => {
      void created.then((late) => late.cancel()).catch(() => {})
      throw error
    })
    watcher = w
    try {
      await new Promise<void>((resolve, reject) => {
        stopWatching = resolve
        if (closed) return resolve()
        w.on('data', (response: IWatchResponse) => {
          if (response.events.length === 0) return
          for (const event of response.events) {
            const key = event.kv.key.toString('utf8')
            if (event.type === 'Delete') entries.delete(key)
            else entries.set(key, entryOf(event.kv))
          }
          deliver(sink, Number(response.header.revision))
        })
        w.on('disconnected', (error: unknown) =>
          reject(error instanceof Error ? error : new Error(String(error))),
        )
        w.on('error', (error: unknown) => {
          report({ type: 'reread', reason: reason(error, store.prefix) })
          reject(error instanceof Error ? error : new Error(String(error)))
        })
      })
    } finally {
      watcher = undefined
      stopWatching = undefined
      w.removeAllListeners('data')
      await w.cancel().catch(() => {})
    }
  }

  async function run(sink: ConfigSink): Promise<void> {
    let delay = 100
    while (!closed) {
      try {
        const read = await store.read()
        if (closed) break
        entries.clear()
        for (const entry of read.entries) entries.set(entry.key, entry)
        connect(sink, 'connected')
        delay = 100
        if (read.revision !== revision || revision === 0) deliver(sink, read.revision)
        await watchFrom(sink, read.revision + 1)
      } catch (error) {
        if (closed) break
        connect(sink, 'disconnected', reason(error, store.prefix))
      }
      if (closed) break
      await sleep(delay)
      delay = Math.min(delay * 2, store.maxBackoffMs)
    }
  }

  return {
    name: store.name,
    get revision() {
      return revision
    },
    start(sink) {
      if (running !== undefined) throw new Error('the etcd source is already started')
      running = run(sink)
    },
    write: (change) => writeStore(store, change, options),
    async close() {
      if (closed) return
      closed = true
      stopWatching?.()
      await watcher?.cancel().catch(() => {})
      await running
      await delivering
      await store.close()
    },
  }
}
