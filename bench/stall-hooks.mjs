// Preloaded into a proxy by bench/stalls.mjs (`node --import ./bench/stall-hooks.mjs …`): times
// every timer and immediate callback the process runs, and every other callback by resource type,
// and counts the upstream connections the gateway opens (callbacks are timed with STALL_TIMERS=1). On SIGUSR2 it writes what it saw since
// the last signal to the file named by STALL_REPORT (JSON) and starts again.
import { createHook } from 'node:async_hooks'
import { subscribe } from 'node:diagnostics_channel'
import { writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'

const out = process.env.STALL_REPORT
/** asyncId → what runs when it fires. */
const names = new Map()
/** name → { runs, total, max, over05, over1, durations } */
let stats = new Map()
let upstreamConnections = 0
const stack = []

function where(fn) {
  if (typeof fn !== 'function') return 'unknown'
  const text = fn.toString().replace(/\s+/g, ' ')
  return `${fn.name || '(anonymous)'}: ${text.slice(0, 90)}`
}

const hook = createHook({
  init(asyncId, type, _trigger, resource) {
    if (type === 'PROMISE') return
    let name = type
    if (type === 'Timeout') {
      const repeat = resource._repeat !== null && resource._repeat !== undefined
      name = `${repeat ? 'setInterval' : 'setTimeout'}(${resource._idleTimeout} ms) ${where(resource._onTimeout)}`
    } else if (type === 'Immediate') name = `setImmediate ${where(resource._onImmediate)}`
    names.set(asyncId, name)
  },
  before() {
    stack.push(performance.now())
  },
  after(asyncId) {
    const started = stack.pop()
    if (started === undefined) return
    const ms = performance.now() - started
    const name = names.get(asyncId) ?? 'other'
    let s = stats.get(name)
    if (s === undefined) {
      s = { runs: 0, total: 0, max: 0, over05: 0, over1: 0, durations: [] }
      stats.set(name, s)
    }
    s.runs++
    s.total += ms
    if (ms > s.max) s.max = ms
    if (ms > 0.5) s.over05++
    if (ms > 1) s.over1++
    if (name.startsWith('set') && s.durations.length < 10_000) s.durations.push(ms)
  },
  destroy(asyncId) {
    names.delete(asyncId)
  },
})
// Timing every callback allocates (a name per async resource): off when only collections are counted.
if (process.env.STALL_TIMERS === '1') hook.enable()
subscribe('portico:upstream:connected', () => {
  upstreamConnections++
})

// A full collection on demand (with --expose-gc): it promotes whatever is in flight.
process.on('SIGWINCH', () => globalThis.gc?.())

process.on('SIGUSR2', () => {
  const report = {
    upstreamConnections,
    callbacks: [...stats].map(([name, s]) => {
      const sorted = s.durations.sort((a, b) => a - b)
      return {
        name,
        runs: s.runs,
        totalMs: s.total,
        maxMs: s.max,
        medianMs: sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)] : undefined,
        over05: s.over05,
        over1: s.over1,
      }
    }),
  }
  if (out) writeFileSync(out, JSON.stringify(report))
  stats = new Map()
  upstreamConnections = 0
})
