import cluster, { type Worker } from 'node:cluster'
import { once } from 'node:events'
import { availableParallelism } from 'node:os'
import { type CliIo, EXIT, println, UsageError } from '../io.js'

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
 * the first one, so that the admin port is bound once (its metrics are that worker's).
 */
export function servesAdmin(): boolean {
  return !cluster.isWorker || cluster.worker?.id === 1
}

/**
 * The primary of `portico serve --workers N`: forks N workers that each run the same command
 * line (sharing the listening sockets through node:cluster, each watching the same files, so they
 * reload together), replaces a worker that dies, and on SIGINT/SIGTERM (or the io signal) stops
 * them all and waits until they have drained.
 */
export async function servePrimary(workers: number, io: CliIo, stop: Promise<void>): Promise<number> {
  let stopping = false
  let failed = false
  const live = new Set<Worker>()
  const listening = new Set<number>()
  const fork = (): Worker => {
    const worker = cluster.fork()
    live.add(worker)
    worker.once('exit', (code, signal) => {
      live.delete(worker)
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
