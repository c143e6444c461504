import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { httpbinHandler } from './handler.js'

/** Options of {@link startHttpbin}. */
export interface StartHttpbinOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number
  /** Address to bind; 127.0.0.1 by default. */
  readonly host?: string
}

/** A running httpbin fake. */
export interface RunningHttpbin {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string
  /** The port it listens on. */
  readonly port: number
  /** The underlying node:http server. */
  readonly server: Server
  /** Stops listening and destroys open (keep-alive or in-flight) connections. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/** Starts the httpbin fake on a node:http server (HTTP/1.1). */
export async function startHttpbin(options: StartHttpbinOptions = {}): Promise<RunningHttpbin> {
  const host = options.host ?? '127.0.0.1'
  const server = createServer(httpbinHandler)
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const urlHost = host.includes(':') ? `[${host}]` : host
  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve())
      for (const socket of sockets) socket.destroy()
    })
    return closing
  }
  return { url: `http://${urlHost}:${port}`, port, server, close, [Symbol.asyncDispose]: close }
}
