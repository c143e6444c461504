import { once } from 'node:events'
import { connect, createServer, type Socket } from 'node:net'

/** A loopback TCP relay to `target` that can cut a client off from it (and let it back). */
export interface TcpProxy extends AsyncDisposable {
  /** `127.0.0.1:PORT` to connect to instead of the target. */
  readonly endpoint: string
  /** Closes every relayed connection and refuses new ones until `restore()`. */
  cut(): void
  restore(): void
  close(): Promise<void>
}

/** Starts a relay on an ephemeral loopback port. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let cut = false
  const server = createServer((client) => {
    if (cut) {
      client.destroy()
      return
    }
    const upstream = connect(target.port, target.host)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.once('close', () => sockets.delete(s))
      s.on('error', () => {})
    }
    client.pipe(upstream)
    upstream.pipe(client)
    client.once('close', () => upstream.destroy())
    upstream.once('close', () => client.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  const close = async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return {
    endpoint: `127.0.0.1:${port}`,
    cut() {
      cut = true
      for (const s of sockets) s.destroy()
    },
    restore() {
      cut = false
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}
