import type { Diagnostic, ResourceChange } from '@portico/core'

/** One configuration change as the admin page lists it. */
export interface ConfigHistoryEntry {
  /** Version served after the change (unchanged when refused). */
  readonly version: number
  /** When the change was decided, as an ISO 8601 time. */
  readonly time: string
  readonly ok: boolean
  /** `start`, `create`, `replace`, `apply`, `delete`, `reload`. */
  readonly operation: string
  /** What changed: each resource by kind, namespace and name, with the action taken. */
  readonly changes: readonly ResourceChange[]
  /** Findings of the change (the reasons, when refused). */
  readonly diagnostics: readonly Diagnostic[]
}

/** The recent configuration changes of a managed gateway, newest last. */
export interface ConfigHistory {
  /** The last changes, accepted or refused (at most the limit given at creation; oldest dropped). */
  readonly entries: readonly ConfigHistoryEntry[]
  /** The last refused change, kept even after it has left `entries`. */
  readonly lastRefused: ConfigHistoryEntry | undefined
}

/** A bounded record of changes: `record` appends, the oldest entry leaves past `limit`. */
export interface ConfigHistoryRecorder extends ConfigHistory {
  record(entry: Omit<ConfigHistoryEntry, 'time'>): void
}

/** Creates a {@link ConfigHistoryRecorder} keeping `limit` entries (default 50). */
export function createConfigHistory(limit = 50): ConfigHistoryRecorder {
  const entries: ConfigHistoryEntry[] = []
  let lastRefused: ConfigHistoryEntry | undefined
  return {
    get entries() {
      return entries
    },
    get lastRefused() {
      return lastRefused
    },
    record(change) {
      const entry: ConfigHistoryEntry = { ...change, time: new Date().toISOString() }
      entries.push(entry)
      if (entries.length > limit) entries.splice(0, entries.length - limit)
      if (!entry.ok) lastRefused = entry
    },
  }
}
