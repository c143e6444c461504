import { once } from 'node:events'
import type { ManagedGateway } from '@portico/server'
import { type CliIo, println } from '../io.js'

/** Resolves on SIGINT or SIGTERM, or when `signal` aborts. */
export async function stopRequested(signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return
  const controller = new AbortController()
  const stop = () => controller.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  signal?.addEventListener('abort', stop, { once: true })
  try {
    if (!controller.signal.aborted) await once(controller.signal, 'abort')
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    signal?.removeEventListener('abort', stop)
  }
}

/** Prints where each gateway port listens (or that nothing does). */
export function printAddresses(io: CliIo, gateway: Pick<ManagedGateway, 'addresses'>): void {
  const entries = Object.entries(gateway.addresses)
  if (entries.length === 0) println(io.stdout, 'portico: no Gateway selects this process; nothing listens')
  for (const [gwPort, where] of entries) {
    const scheme =
      where.protocol === 'HTTPS' ? 'https' : where.protocol === 'HTTP' ? 'http' : where.protocol.toLowerCase()
    const host = where.address.includes(':') ? `[${where.address}]` : where.address
    println(
      io.stdout,
      `portico: gateway port ${gwPort} (${where.protocol}) listening on ${scheme}://${host}:${where.port}`,
    )
  }
}
