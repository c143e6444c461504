import { channel } from 'node:diagnostics_channel'
import type { Cluster, Endpoint } from '@portico/core'
import { hostPort } from './address.js'
import { CHANNELS, type ConnectionEvent, type ResponseFlag } from './channels.js'

const connectionStartChannel = channel(CHANNELS.connectionStart)
const connectionEndChannel = channel(CHANNELS.connectionEnd)

interface ObservableSocket {
  readonly remoteAddress?: string | undefined
  readonly localAddress?: string | undefined
  readonly localPort?: number | undefined
  readonly bytesRead: number
  readonly bytesWritten: number
  once(event: 'close' | 'connect', listener: () => void): unknown
}

type ConnectionBase = Omit<ConnectionEvent, 'bytesReceived' | 'bytesSent' | 'durationMs' | 'responseFlags'>

/** Builds a connection event field by field (object spreads are slow on this path). */
function connectionEvent(
  base: ConnectionBase,
  bytesReceived: number,
  bytesSent: number,
  durationMs: number,
  responseFlags: readonly ResponseFlag[],
): ConnectionEvent {
  return {
    startTime: base.startTime,
    downstreamLocalAddress: base.downstreamLocalAddress,
    downstreamRemoteAddress: base.downstreamRemoteAddress,
    requestedServerName: base.requestedServerName,
    upstreamCluster: base.upstreamCluster,
    destinationService: base.destinationService,
    destinationPort: base.destinationPort,
    destinationSubset: base.destinationSubset,
    upstreamHost: base.upstreamHost,
    bytesReceived,
    bytesSent,
    durationMs,
    responseFlags,
  }
}

/**
 * Observes one proxied TCP or TLS-passthrough connection (called by the L4 proxy with the upstream
 * socket it opened, or without one when there was no cluster or endpoint). Publishes
 * `portico:connection:start` now and `portico:connection:end` when the client connection closes.
 */
export function observeConnection(
  client: object,
  upstream: object | undefined,
  clusterName: string | undefined,
  cluster: Cluster | undefined,
  endpoint: Endpoint | undefined,
): void {
  if (!connectionEndChannel.hasSubscribers && !connectionStartChannel.hasSubscribers) return
  const socket = client as ObservableSocket & { servername?: string | false | null }
  const start = performance.now()
  const base: ConnectionBase = {
    startTime: Date.now(),
    downstreamLocalAddress:
      socket.localPort === undefined ? undefined : hostPort(socket.localAddress ?? '', socket.localPort),
    downstreamRemoteAddress: socket.remoteAddress?.replace(/^::ffff:/, ''),
    requestedServerName: typeof socket.servername === 'string' ? socket.servername : undefined,
    upstreamCluster: clusterName,
    destinationService: cluster?.host,
    destinationPort: cluster?.port,
    destinationSubset: cluster?.subset,
    upstreamHost: endpoint === undefined ? undefined : hostPort(endpoint.address, endpoint.port),
  }
  const flags: ResponseFlag[] = []
  if (upstream === undefined) flags.push(cluster === undefined ? 'NC' : 'UH')
  if (connectionStartChannel.hasSubscribers) {
    connectionStartChannel.publish(connectionEvent(base, 0, 0, 0, flags))
  }
  let connected = false
  ;(upstream as ObservableSocket | undefined)?.once('connect', () => {
    connected = true
  })
  socket.once('close', () => {
    if (upstream !== undefined && !connected) flags.push('UF')
    if (!connectionEndChannel.hasSubscribers) return
    connectionEndChannel.publish(
      connectionEvent(base, socket.bytesRead, socket.bytesWritten, performance.now() - start, flags),
    )
  })
}
