import type { Diagnostic } from '../diagnostics/diagnostic.js'
import type { SnapshotResource } from './snapshot.js'
import type { ResourceChange, ResourceKey } from './store.js'

/**
 * What a {@link ConfigSink} answers a source: whether the change was taken, the version the sink
 * serves afterwards, and why not. A managed gateway's `ChangeOutcome` is one.
 */
export interface ConfigSinkOutcome {
  readonly ok: boolean
  /** The sink's own version after the change (unchanged when refused). */
  readonly version: number
  readonly changes: readonly ResourceChange[]
  readonly diagnostics: readonly Diagnostic[]
}

/** Options of {@link ConfigSink.sync}. */
export interface ConfigSyncOptions {
  /** The source's revision the resources were read at (etcd's store revision). */
  readonly revision: number
  /**
   * What reading the source found beside the resources: warnings for ignored entries, errors for
   * entries that are not valid resources. An error refuses the revision as a validation error does.
   */
  readonly diagnostics?: readonly Diagnostic[]
}

/** The connection of a source to where the configuration lives. */
export type SourceConnection = 'connecting' | 'connected' | 'disconnected'

/**
 * The receiving side of the config-source seam: one configuration store (validate the whole
 * snapshot → compile → atomic swap) that every source feeds. A managed gateway of
 * `@portico/server` is one. Calls are taken in order; each resolves once the change is served or
 * refused, and a refused change leaves the served configuration as it was.
 */
export interface ConfigSink<R extends SnapshotResource = SnapshotResource> {
  /**
   * Creates or replaces `resources` and deletes `prune` (missing ones are skipped), as one change:
   * what a source that holds part of the configuration sends (a file watcher).
   */
  apply(
    resources: readonly R[],
    options?: { readonly prune?: readonly ResourceKey[] },
  ): Promise<ConfigSinkOutcome>
  /**
   * Makes `resources` the whole configuration, as the source held it at `options.revision`:
   * what a source that holds all of it sends (etcd, Kubernetes). Resources not listed are deleted.
   */
  sync(resources: readonly R[], options: ConfigSyncOptions): Promise<ConfigSinkOutcome>
  /** Tells the sink how the source's connection stands (`error` says why it is not connected). */
  connection(state: SourceConnection, error?: string): void
}

/** A change a writable source commits to where the configuration lives (istioctl's verbs). */
export type ConfigWrite<R extends SnapshotResource = SnapshotResource> =
  | {
      readonly operation: 'create' | 'replace' | 'apply'
      readonly resources: readonly R[]
      /** With `apply`: resources to delete in the same change (missing ones are skipped). */
      readonly prune?: readonly ResourceKey[]
    }
  | { readonly operation: 'delete'; readonly keys: readonly ResourceKey[] }

/** The outcome of {@link ConfigSource.write}. */
export interface ConfigWriteOutcome {
  readonly ok: boolean
  /** The source's revision after the write (the revision read when refused or unchanged). */
  readonly revision: number
  readonly changes: readonly ResourceChange[]
  readonly diagnostics: readonly Diagnostic[]
}

/**
 * The sending side of the config-source seam: something that holds a configuration and feeds a
 * {@link ConfigSink} with it — files (`-f`, `--watch`), the admin endpoint, etcd
 * (`@portico/etcd`), and next Kubernetes. A source never compiles, serves or listens: it reads,
 * and hands the sink whole configurations (`sync`) or changes (`apply`). A source that can lose
 * its connection keeps calling `connection`, and the sink keeps serving the last valid
 * configuration meanwhile.
 *
 * A source that is the authority over the configuration (etcd) also takes writes: a sink that
 * has such a source sends its own changes (the admin endpoint's) through `write`, and serves
 * them when they come back through `sync`.
 */
export interface ConfigSource<R extends SnapshotResource = SnapshotResource> {
  /** Names the source in messages, the admin endpoint and metrics (e.g. `etcd://10.0.0.5:2379/portico`). */
  readonly name: string
  /** Starts feeding `sink`; returns at once (loading happens in the background). */
  start(sink: ConfigSink<R>): void
  /** Commits a change where the configuration lives (writable sources only). */
  write?(change: ConfigWrite<R>): Promise<ConfigWriteOutcome>
  /** Stops feeding the sink and releases connections. */
  close(): Promise<void>
}
