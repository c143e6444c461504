/**
 * Test-only: a managed gateway in a process of its own (started with --expose-gc by
 * `soak/harness.ts`), so that its memory, file descriptors and handles are measured apart from
 * the clients and upstreams that load it. It runs the built packages (dist). Messages in:
 * `start` { yaml, ports, limits }, `apply` { yaml }, `reload`, `measure` (after garbage
 * collection), `count` (descriptors and handles only, no collection), `close`; each is answered
 * with the same `id`.
 */
import { readdirSync } from 'node:fs'
import { parseResources } from '@portico/core'
import { createManagedGateway } from '@portico/server'

/** @type {import('@portico/server').ManagedGateway | undefined} */
let gateway

function resourcesOf(yaml) {
  const { resources, diagnostics } = parseResources(yaml, 'soak.yaml')
  const errors = diagnostics.filter((d) => d.severity === 'error')
  if (errors.length > 0) throw new Error(errors.map((d) => `${d.code} ${d.message}`).join('; '))
  return resources
}

function collect() {
  // A few rounds: objects freed by one collection can release others (weak maps, finalizers).
  for (let i = 0; i < 4; i++) globalThis.gc?.()
}

function handleCounts() {
  const handles = {}
  for (const type of process.getActiveResourcesInfo()) handles[type] = (handles[type] ?? 0) + 1
  return handles
}

async function measure() {
  await new Promise((resolve) => setImmediate(resolve))
  collect()
  const memory = process.memoryUsage()
  return {
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    fds: readdirSync('/proc/self/fd').length,
    handles: handleCounts(),
  }
}

async function handle(message) {
  switch (message.type) {
    case 'start': {
      gateway = await createManagedGateway({
        resources: resourcesOf(message.yaml),
        ports: message.ports,
        bind: '127.0.0.1',
        drainTimeoutMs: 500,
        ...(message.limits === undefined ? {} : { limits: message.limits }),
      })
      return { addresses: gateway.addresses }
    }
    case 'apply': {
      const outcome = await gateway.apply(resourcesOf(message.yaml), { prune: message.prune ?? [] })
      return {
        ok: outcome.ok,
        version: outcome.version,
        diagnostics: outcome.diagnostics,
        addresses: gateway.addresses,
      }
    }
    case 'reload': {
      const outcome = await gateway.reload()
      return { ok: outcome.ok, diagnostics: outcome.diagnostics }
    }
    case 'measure':
      return measure()
    case 'count':
      return { fds: readdirSync('/proc/self/fd').length, handles: handleCounts() }
    case 'close':
      await gateway?.close()
      return {}
    default:
      throw new Error(`unknown message ${message.type}`)
  }
}

process.on('message', (message) => {
  handle(message).then(
    (value) => process.send({ id: message.id, value }),
    (error) => process.send({ id: message.id, error: String(error?.stack ?? error) }),
  )
})
process.send({ id: 0, value: { pid: process.pid } })
