import cluster, { type Worker } from 'node:cluster'
import type {
  AdminChange,
  AdminPeers,
  ChangeOutcome,
  ManagedGateway,
  MetricsSnapshot,
  PeerOutcome,
} from '@portico/server'
import { applyChange } from '@portico/server'
import { type CliIo, println } from '../io.js'

/**
 * How long the primary waits for the workers' metrics before the admin endpoint renders what
 * arrived: one stuck worker must not hang a scrape.
 */
export const STATS_TIMEOUT_MS = 1000

/** How long the primary waits for the workers to apply a configuration change. */
export const CHANGE_TIMEOUT_MS = 30_000

/** Messages of the cluster channel (worker ↔ primary), all JSON. */
type Message =
  | { readonly type: 'portico:join' }
  | { readonly type: 'portico:journal'; readonly changes: readonly AdminChange[] }
  | { readonly type: 'portico:stats'; readonly id: number }
  | { readonly type: 'portico:stats:ask'; readonly rid: number }
  | { readonly type: 'portico:stats:answer'; readonly rid: number; readonly snapshot: MetricsSnapshot }
  | {
      readonly type: 'portico:stats:reply'
      readonly id: number
      readonly snapshots: readonly MetricsSnapshot[]
      readonly missing: readonly string[]
    }
  | { readonly type: 'portico:change'; readonly id: number; readonly change: AdminChange }
  | { readonly type: 'portico:change:ask'; readonly rid: number; readonly change: AdminChange }
  | {
      readonly type: 'portico:change:answer'
      readonly rid: number
      readonly outcome?: ChangeOutcome
      readonly error?: string
    }
  | { readonly type: 'portico:change:reply'; readonly id: number; readonly outcomes: readonly PeerOutcome[] }

function isMessage(value: unknown): value is Message {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    (value as { type: string }).type.startsWith('portico:')
  )
}

interface Collection {
  answer(worker: Worker, value: Message): void
  gone(worker: Worker): void
}

/** The primary's side: relays metrics requests and configuration changes between workers. */
export interface Relay {
  /** Starts relaying for a forked worker (it takes part once it has joined). */
  attach(worker: Worker): void
  /** A worker exited: it is no longer asked, and pending questions stop waiting for it. */
  detach(worker: Worker): void
}

/**
 * The primary of `portico serve --workers N` relays between the worker serving the admin
 * endpoint and the others: metrics snapshots (waiting at most `statsTimeoutMs`) and
 * configuration changes, which it also keeps in a journal that a worker replays when it joins
 * (a replacement for one that died starts from the files, then catches up with the others).
 */
export function createRelay(
  options: { readonly statsTimeoutMs?: number; readonly changeTimeoutMs?: number } = {},
): Relay {
  const statsTimeout = options.statsTimeoutMs ?? STATS_TIMEOUT_MS
  const changeTimeout = options.changeTimeoutMs ?? CHANGE_TIMEOUT_MS
  const journal: AdminChange[] = []
  const joined = new Set<Worker>()
  const pending = new Map<number, Collection>()
  let next = 0

  const send = (worker: Worker, message: Message, onError?: () => void): void => {
    if (!worker.isConnected()) {
      onError?.()
      return
    }
    worker.send(message, (error: Error | null) => {
      if (error !== null) onError?.()
    })
  }

  /** Asks every joined worker but `from`; `finish` gets the answers and the names of those missing. */
  const ask = (
    from: Worker,
    question: (rid: number) => Message,
    timeoutMs: number,
    finish: (answers: Map<Worker, Message>, missing: Worker[]) => void,
  ): void => {
    const others = [...joined].filter((w) => w !== from)
    const rid = ++next
    const answers = new Map<Worker, Message>()
    const lost = new Set<Worker>()
    let timer: NodeJS.Timeout | undefined
    const check = (force: boolean) => {
      if (!force && answers.size + lost.size < others.length) return
      if (!pending.delete(rid)) return
      clearTimeout(timer)
      finish(
        answers,
        others.filter((w) => !answers.has(w)),
      )
    }
    pending.set(rid, {
      answer(worker, value) {
        if (!others.includes(worker) || answers.has(worker) || lost.has(worker)) return
        answers.set(worker, value)
        check(false)
      },
      gone(worker) {
        if (!others.includes(worker) || answers.has(worker)) return
        lost.add(worker)
        check(false)
      },
    })
    for (const w of others)
      send(w, question(rid), () => {
        pending.get(rid)?.gone(w)
      })
    if (pending.has(rid)) timer = setTimeout(() => check(true), timeoutMs)
    check(false)
  }

  const onMessage = (worker: Worker, message: Message): void => {
    switch (message.type) {
      case 'portico:join':
        send(worker, { type: 'portico:journal', changes: journal })
        joined.add(worker)
        return
      case 'portico:stats':
        ask(
          worker,
          (rid) => ({ type: 'portico:stats:ask', rid }),
          statsTimeout,
          (answers, missing) => {
            const snapshots: MetricsSnapshot[] = []
            for (const a of answers.values())
              if (a.type === 'portico:stats:answer') snapshots.push(a.snapshot)
            send(worker, {
              type: 'portico:stats:reply',
              id: message.id,
              snapshots,
              missing: missing.filter((w) => !w.isDead()).map((w) => String(w.id)),
            })
          },
        )
        return
      case 'portico:change':
        journal.push(message.change)
        ask(
          worker,
          (rid) => ({ type: 'portico:change:ask', rid, change: message.change }),
          changeTimeout,
          (answers, missing) => {
            const outcomes: PeerOutcome[] = []
            for (const [w, a] of answers) {
              if (a.type !== 'portico:change:answer') continue
              outcomes.push(
                a.outcome === undefined
                  ? { peer: String(w.id), error: a.error ?? 'no outcome' }
                  : { peer: String(w.id), outcome: a.outcome },
              )
            }
            // A worker that exited meanwhile is not behind: its replacement replays the journal.
            for (const w of missing)
              if (!w.isDead())
                outcomes.push({ peer: String(w.id), error: `no answer within ${changeTimeout} ms` })
            send(worker, { type: 'portico:change:reply', id: message.id, outcomes })
          },
        )
        return
      case 'portico:stats:answer':
      case 'portico:change:answer':
        pending.get(message.rid)?.answer(worker, message)
        return
      default:
        return
    }
  }

  return {
    attach(worker) {
      worker.on('message', (message: unknown) => {
        if (isMessage(message)) onMessage(worker, message)
      })
    },
    detach(worker) {
      joined.delete(worker)
      for (const c of [...pending.values()]) c.gone(worker)
    },
  }
}

/**
 * A worker's side: joins the primary's relay, replays the changes the other workers took
 * before it joined, answers the primary's questions (its metrics, a change to apply) and returns
 * the {@link AdminPeers} its admin endpoint uses to reach the other workers. Outside a cluster
 * it does nothing and returns undefined.
 */
export async function joinWorkers(gateway: ManagedGateway, io: CliIo): Promise<AdminPeers | undefined> {
  if (!cluster.isWorker || process.send === undefined) return undefined
  const send = (message: Message): void => {
    if (process.connected) process.send?.(message)
  }
  const replies = new Map<number, (message: Message) => void>()
  let next = 0
  let replayed: (done: Promise<unknown>) => void = () => {}
  const journal = new Promise<unknown>((resolve) => {
    replayed = resolve
  })
  process.on('message', (message: unknown) => {
    if (!isMessage(message)) return
    switch (message.type) {
      case 'portico:journal':
        // Every change is queued here, in order, before any later question is read.
        replayed(
          Promise.all(
            message.changes.map(async (change) => {
              const outcome = await applyChange(gateway, change)
              if (!outcome.ok)
                println(
                  io.stderr,
                  `portico: worker ${cluster.worker?.id} could not take a ${change.operation} the other workers took: ${outcome.diagnostics
                    .filter((d) => d.severity === 'error')
                    .map((d) => `${d.code} ${d.message}`)
                    .join('; ')}`,
                )
            }),
          ),
        )
        return
      case 'portico:stats:ask':
        send({ type: 'portico:stats:answer', rid: message.rid, snapshot: gateway.metrics.snapshot() })
        return
      case 'portico:change:ask':
        applyChange(gateway, message.change).then(
          (outcome) => send({ type: 'portico:change:answer', rid: message.rid, outcome }),
          (error: unknown) =>
            send({
              type: 'portico:change:answer',
              rid: message.rid,
              error: error instanceof Error ? error.message : String(error),
            }),
        )
        return
      case 'portico:stats:reply':
      case 'portico:change:reply':
        replies.get(message.id)?.(message)
        return
      default:
        return
    }
  })
  send({ type: 'portico:join' })
  await await journal

  const request = (message: (id: number) => Message, timeoutMs: number): Promise<Message> =>
    new Promise((resolve, reject) => {
      const id = ++next
      const timer = setTimeout(() => {
        replies.delete(id)
        reject(new Error('the primary process did not answer'))
      }, timeoutMs)
      replies.set(id, (reply) => {
        clearTimeout(timer)
        replies.delete(id)
        resolve(reply)
      })
      send(message(id))
    })
  return {
    async metrics() {
      const reply = await request((id) => ({ type: 'portico:stats', id }), STATS_TIMEOUT_MS + 1000)
      return reply.type === 'portico:stats:reply'
        ? { snapshots: reply.snapshots, missing: reply.missing }
        : { snapshots: [], missing: [] }
    },
    async change(change) {
      const reply = await request((id) => ({ type: 'portico:change', id, change }), CHANGE_TIMEOUT_MS + 1000)
      return reply.type === 'portico:change:reply' ? reply.outcomes : []
    },
  }
}
