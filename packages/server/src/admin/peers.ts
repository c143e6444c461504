import type { ResourceKey } from '@portico/core'
import type { MetricsSnapshot } from '../metrics/snapshot.js'
import type { ChangeOutcome, ManagedGateway } from './managed.js'

/**
 * One configuration change as the admin endpoint received it, as plain data: what it hands
 * the other processes serving the same gateway so that each applies the same change.
 */
export type AdminChange =
  | {
      readonly operation: 'create' | 'replace' | 'apply' | 'delete'
      /** The YAML or JSON request body. */
      readonly body: string
      /** Name the body's diagnostics point at. */
      readonly file: string
      /** kubectl's `-n` for the body's resources (see `ChangeInputOptions.namespace`). */
      readonly namespace?: string
    }
  | { readonly operation: 'delete'; readonly key: ResourceKey }

/** How one other process took a change: its outcome, or why there is none. */
export interface PeerOutcome {
  /** Names the process in messages (a cluster worker's id). */
  readonly peer: string
  readonly outcome?: ChangeOutcome
  /** Set when the process gave no outcome (it did not answer in time, or exited). */
  readonly error?: string
}

/** The metrics of the other processes. */
export interface PeerMetrics {
  readonly snapshots: readonly MetricsSnapshot[]
  /** Processes that were asked and gave no snapshot in time (by name). */
  readonly missing: readonly string[]
}

/**
 * The other processes serving the same gateway beside the one running the admin endpoint (e.g.
 * the workers of `portico serve --workers N`). With peers, `/stats/prometheus` reports the
 * figures of all processes merged, and a configuration change the admin's own gateway accepts
 * is passed to each peer before the admin answers.
 */
export interface AdminPeers {
  /** Snapshots of the peers' metrics; resolves with what arrived within a short time. */
  metrics(): Promise<PeerMetrics>
  /** Has every peer apply `change` (in the order changes are passed) and reports each outcome. */
  change(change: AdminChange): Promise<readonly PeerOutcome[]>
}

/** Applies an {@link AdminChange} to a managed gateway. */
export function applyChange(gateway: ManagedGateway, change: AdminChange): Promise<ChangeOutcome> {
  if ('key' in change) return gateway.delete(change.key)
  const options = {
    file: change.file,
    ...(change.namespace === undefined ? {} : { namespace: change.namespace }),
  }
  return change.operation === 'delete'
    ? gateway.delete(change.body, options)
    : gateway[change.operation](change.body, options)
}
