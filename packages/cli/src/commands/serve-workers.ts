import cluster, { type Worker } from 'node:cluster'
import { once } from 'node:events'
import { availableParallelism } from 'node:os'
import { type CliIo, EXIT, println, UsageError } from '../io.js'
import { createRelay } from './serve-peers.js'

/** Set by the primary in the environment of the worker that serves the admin endpoint. */
const ADMIN_ROLE = 'PORTICO_ADMIN_WORKER'

/**
 * `--workers`: absent → 1, `auto` → the number of cores, otherwise a whole number ≥ 1.
 * Throws a usage error for anything else.
 */
export function workerCount(value: string | undefined): number {
  if (value === undefined) return 1
  if (value === 'auto') return Math.max(1, availableParallelism())
  const n = Number(value)
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--workers must be a whole number ≥ 1 or "auto", got "${value}"`)
  }
  return n
}

/**
 * Whether this process serves the admin endpoint: a single process does, and with workers only
 * one of them (the first, or the one that replaced it), so that the admin port is bound once; it
 * reaches the other workers through the primary for their metrics and to pass on changes.
 */
export function servesAdmin(): boolean {
  return !cluster.isWorker || process.env[ADMIN_ROLE] === '1'
}

/**
 * The primary of `portico serve --workers N`: forks N workers that each run the same command
 * line (sharing the listening sockets through node:cluster, each watching the same files, so they
 * reload together), relays between the admin endpoint's worker and the others (metrics, changes
 * made through the admin endpoint), replaces a worker that dies (the replacement replays those
 * changes), and on SIGINT/SIGTERM (or the io signal) stops them all and waits until they have
 * drained.
 */
export async function servePrimary(workers: number, io: CliIo, stop: Promise<void>): Promise<number> {
  let stopping = false
  let failed = false
  const live = new Set<Worker>()
  const listening = new Set<number>()
  const relay = createRelay()
  let admin: Worker | undefined
  const fork = (): Worker => {
    const servesAdmin = admin === undefined
    const worker = cluster.fork({ [ADMIN_ROLE]: servesAdmin ? '1' : '0' })
    if (servesAdmin) admin = worker
    live.add(worker)
    relay.attach(worker)
    worker.once('exit', (code, signal) => {
      live.delete(worker)
      relay.detach(worker)
      if (admin === worker) admin = undefined
      if (stopping) return
      if (worker.exitedAfterDisconnect && code === 0) return
      if (!listening.has(worker.id)) {
        // A worker that never got ready (a busy port, unreadable certificates) is not retried.
        println(io.stderr, `portico: worker ${worker.id} failed to start (${signal ?? code}); stopping`)
        failed = true
        stopping = true
        for (const w of live) w.kill('SIGTERM')
        return
      }
      println(io.stderr, `portico: worker ${worker.id} exited (${signal ?? code}); starting another`)
      fork()
    })
    worker.on('message', (message: unknown) => {
      if (message === 'portico:ready') listening.add(worker.id)
    })
    return worker
  }
  for (let i = 0; i < workers; i++) fork()
  const allGone = new Promise<void>((resolve) => {
    const check = () => {
      if (live.size === 0) resolve()
    }
    cluster.on('exit', check)
  })
  await Promise.race([stop, allGone])
  stopping = true
  for (const worker of live) worker.kill('SIGTERM')
  while (live.size > 0) {
    const [worker] = live
    if (worker === undefined) break
    if (!worker.isDead()) await once(worker, 'exit')
    live.delete(worker)
  }
  return failed ? EXIT.invalid : EXIT.ok
}

/** Tells the primary that this worker listens (no-op outside a cluster). */
export function reportReady(): void {
  if (cluster.isWorker) process.send?.('portico:ready')
}

/** Lets a worker's process exit once it has drained (the cluster channel would keep it alive). */
export function leaveCluster(): void {
  if (cluster.isWorker) cluster.worker?.disconnect()
}
