import { type Stats, unwatchFile, watchFile } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { extname, isAbsolute, join, resolve } from 'node:path'
import {
  CONFIG_EXTENSIONS,
  type CompiledConfig,
  type Diagnostic,
  loadResources,
  type PemSource,
  type ResourceKey,
  type SnapshotResource,
} from '@portico/core'
import type { ChangeOutcome, ManagedGateway } from '../admin/managed.js'

/** What one round of the watcher did. */
export interface WatchReport {
  /** `config`: configuration files changed; `certificates`: only PEM files changed. */
  readonly trigger: 'config' | 'certificates'
  /** The files whose change started this round. */
  readonly files: readonly string[]
  /** Accepted or refused; refused rounds keep the running configuration. */
  readonly ok: boolean
  readonly version: number
  readonly outcome?: ChangeOutcome
  /** Load findings (syntax errors with file:line:col) and the change's diagnostics. */
  readonly diagnostics: readonly Diagnostic[]
}

/** Options of {@link watchConfig}. */
export interface WatchOptions {
  /** The gateway whose configuration the files define. */
  readonly gateway: ManagedGateway
  /** Files and directories, as given to `portico serve -f` (`-` is not watched). */
  readonly paths: readonly string[]
  /** Base of relative paths (default `process.cwd()`). */
  readonly cwd?: string
  /** How often files are checked, in ms (default 200). */
  readonly intervalMs?: number
  /** Quiet time after the last change before applying, in ms (default 100). */
  readonly debounceMs?: number
  /** Called after every round. */
  readonly onReport?: (report: WatchReport) => void
  /** Aborting it stops watching. */
  readonly signal?: AbortSignal
}

/** A running watcher. */
export interface ConfigWatcher extends Disposable {
  /** Resolves once the files are read and watched. */
  readonly ready: Promise<void>
  /** Stops watching. */
  close(): void
}

function keyOf(r: SnapshotResource): string {
  return `${r.kind}\u0000${r.metadata.namespace || 'default'}\u0000${r.metadata.name}`
}

/** Every PEM file a compiled config reads: server certificates, keys and CAs, and upstream TLS files. */
export function pemFilesOf(config: CompiledConfig): string[] {
  const files = new Set<string>()
  const add = (source: PemSource | undefined) => {
    if (source?.kind === 'file') files.add(source.path)
  }
  for (const listener of config.listeners.values()) {
    for (const server of listener.servers) {
      add(server.tls?.certificate)
      add(server.tls?.privateKey)
      add(server.tls?.caCertificates)
    }
  }
  for (const cluster of config.clusters.values()) {
    const tls = cluster.trafficPolicy.tls
    add(tls?.caCertificates)
    add(tls?.clientCertificate)
    add(tls?.privateKey)
  }
  return [...files]
}

async function configFiles(path: string): Promise<{ files: string[]; dirs: string[] }> {
  let info: Stats
  try {
    info = await stat(path)
  } catch {
    return { files: [path], dirs: [] }
  }
  if (!info.isDirectory()) return { files: [path], dirs: [] }
  const files: string[] = []
  const dirs: string[] = [path]
  const entries = await readdir(path, { withFileTypes: true }).catch(() => [])
  for (const entry of entries) {
    const full = join(path, entry.name)
    if (entry.isDirectory()) {
      const inner = await configFiles(full)
      files.push(...inner.files)
      dirs.push(...inner.dirs)
    } else if (CONFIG_EXTENSIONS.includes(extname(entry.name).toLowerCase())) files.push(full)
  }
  return { files, dirs }
}

/**
 * Watches configuration files (and directories) and the PEM files the running config reads.
 * A configuration edit is loaded, validated, compiled and swapped in as one change (documents
 * that disappeared are deleted); a broken edit is refused with its diagnostics (file:line:col)
 * and the running configuration stays. A certificate or key edit is swapped into the TLS
 * contexts without closing listeners. Files are polled (`fs.watchFile`), which also follows
 * editors that save by renaming.
 */
export function watchConfig(options: WatchOptions): ConfigWatcher {
  const { gateway } = options
  const cwd = options.cwd ?? process.cwd()
  const interval = options.intervalMs ?? 200
  const debounce = options.debounceMs ?? 100
  const roots = options.paths.filter((p) => p !== '-').map((p) => (isAbsolute(p) ? p : resolve(cwd, p)))
  const watched = new Map<string, { kind: 'config' | 'pem'; listener: (c: Stats, p: Stats) => void }>()
  let fileKeys = new Set<string>()
  let pending = new Map<string, 'config' | 'pem'>()
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()
  let closed = false

  const onChange = (file: string, kind: 'config' | 'pem') => (current: Stats, previous: Stats) => {
    if (
      current.mtimeMs === previous.mtimeMs &&
      current.size === previous.size &&
      current.ino === previous.ino
    )
      return
    pending.set(file, kind)
    clearTimeout(timer)
    timer = setTimeout(() => {
      running = running.then(round, round)
    }, debounce)
  }

  function watch(file: string, kind: 'config' | 'pem'): void {
    const known = watched.get(file)
    if (known !== undefined) {
      if (known.kind === kind) return
      unwatchFile(file, known.listener)
    }
    const listener = onChange(file, kind)
    watched.set(file, { kind, listener })
    watchFile(file, { interval, persistent: false }, listener)
  }

  async function refreshWatches(): Promise<void> {
    const wanted = new Map<string, 'config' | 'pem'>()
    for (const root of roots) {
      const { files, dirs } = await configFiles(root)
      for (const f of [...files, ...dirs]) wanted.set(f, 'config')
    }
    for (const pem of pemFilesOf(gateway.config)) if (!wanted.has(pem)) wanted.set(pem, 'pem')
    for (const [file, entry] of watched) {
      if (!wanted.has(file)) {
        unwatchFile(file, entry.listener)
        watched.delete(file)
      }
    }
    if (closed) return
    for (const [file, kind] of wanted) watch(file, kind)
  }

  async function round(): Promise<void> {
    // A gateway that is draining takes no more changes.
    if (closed || !gateway.ready) return
    const changed = pending
    pending = new Map()
    const files = [...changed.keys()]
    const configChanged = [...changed.values()].includes('config')
    let report: WatchReport
    if (configChanged) {
      const loaded = await loadResources(roots, { cwd })
      if (loaded.diagnostics.some((d) => d.severity === 'error')) {
        report = {
          trigger: 'config',
          files,
          ok: false,
          version: gateway.version,
          diagnostics: loaded.diagnostics,
        }
      } else {
        const keys = new Set(loaded.resources.map(keyOf))
        const prune: ResourceKey[] = []
        for (const key of fileKeys) {
          if (keys.has(key)) continue
          const [kind = '', namespace = '', name = ''] = key.split('\u0000')
          prune.push({ kind, namespace, name })
        }
        let outcome = await gateway.apply(loaded.resources, { prune })
        if (outcome.ok) {
          fileKeys = keys
          // Certificates may have changed with the config; an unchanged config does not re-read them.
          if (
            [...changed.values()].includes('pem') ||
            outcome.changes.every((c) => c.action === 'unchanged')
          ) {
            const reloaded = await gateway.reload()
            if (!reloaded.ok) outcome = { ...reloaded, changes: outcome.changes }
          }
        }
        report = {
          trigger: 'config',
          files,
          ok: outcome.ok,
          version: outcome.version,
          outcome,
          diagnostics: [...loaded.diagnostics, ...outcome.diagnostics],
        }
      }
    } else {
      const outcome = await gateway.reload()
      report = {
        trigger: 'certificates',
        files,
        ok: outcome.ok,
        version: outcome.version,
        outcome,
        diagnostics: outcome.diagnostics,
      }
    }
    await refreshWatches()
    if (!closed) options.onReport?.(report)
  }

  const ready = (async () => {
    const loaded = await loadResources(roots, { cwd })
    fileKeys = new Set(loaded.resources.map(keyOf))
    await refreshWatches()
  })()

  const close = () => {
    closed = true
    clearTimeout(timer)
    for (const [file, entry] of watched) unwatchFile(file, entry.listener)
    watched.clear()
  }
  options.signal?.addEventListener('abort', close, { once: true })
  return { ready, close, [Symbol.dispose]: close }
}
