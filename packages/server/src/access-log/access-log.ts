import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { createWriteStream } from 'node:fs'
import type { Writable } from 'node:stream'
import { CHANNELS, type ConnectionEvent, type RequestEndEvent } from '../events/channels.js'

/** Where access-log lines go. */
export type AccessLogSink =
  | 'off'
  | 'stdout'
  | 'stderr'
  /** Appended to this file. */
  | { readonly file: string }
  /** Written to this stream (left open on close). */
  | { readonly stream: Writable }
  /** Called with each formatted line (newline included) and the event it came from. */
  | ((line: string, event: RequestEndEvent | ConnectionEvent) => void)

/** Options of {@link createAccessLog}. */
export interface AccessLogOptions {
  readonly sink?: AccessLogSink
  /** `text`: Envoy's default format (the default); `json`: one JSON object per line. */
  readonly format?: 'text' | 'json'
  /** Logs only the requests and connections this accepts (e.g. those of one gateway's listeners). */
  readonly filter?: (event: RequestEndEvent | ConnectionEvent) => boolean
}

/** A running access log. */
export interface AccessLog extends AsyncDisposable {
  /** Stops logging; a file sink is flushed and closed. */
  close(): Promise<void>
}

function dash(value: string | number | undefined): string {
  return value === undefined || value === '' ? '-' : String(value)
}

function quoted(value: string | undefined): string {
  return `"${value === undefined || value === '' ? '-' : value.replace(/[\u0000-\u001f"\\\u007f]/g, escapeChar)}"`
}

function escapeChar(c: string): string {
  return c === '"' ? '\\"' : c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`
}

function flags(event: RequestEndEvent): string {
  return event.responseFlags.length === 0 ? '-' : event.responseFlags.join(',')
}

/**
 * One line in Envoy's default access-log format:
 * `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%
 * %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%
 * "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%"
 * "%UPSTREAM_HOST%"`, newline included.
 */
export function formatTextLine(event: RequestEndEvent): string {
  return (
    `[${new Date(event.startTime).toISOString()}] ` +
    `"${event.method} ${event.path.replace(/[\s"]/g, encodeURIComponent)} ${event.protocol}" ` +
    `${event.responseCode} ${flags(event)} ${event.bytesReceived} ${event.bytesSent} ` +
    `${Math.round(event.durationMs)} ${dash(event.upstreamServiceTimeMs)} ` +
    `${quoted(event.forwardedFor)} ${quoted(event.userAgent)} ${quoted(event.requestId)} ` +
    `${quoted(event.authority)} ${quoted(event.upstreamHost)}\n`
  )
}

/** One line for a proxied TCP connection, in Envoy's default format (HTTP fields are `-`). */
export function formatTcpTextLine(event: ConnectionEvent): string {
  return (
    `[${new Date(event.startTime).toISOString()}] "- - -" 0 ` +
    `${event.responseFlags.length === 0 ? '-' : event.responseFlags.join(',')} ${event.bytesReceived} ${event.bytesSent} ` +
    `${Math.round(event.durationMs)} - "-" "-" "-" "-" ${quoted(event.upstreamHost)}\n`
  )
}

/** One JSON line for a proxied TCP connection, with the same field names as HTTP lines. */
export function formatTcpJsonLine(event: ConnectionEvent): string {
  const n = <T>(v: T | undefined): T | null => (v === undefined ? null : v)
  return `${JSON.stringify({
    start_time: new Date(event.startTime).toISOString(),
    response_flags: event.responseFlags.length === 0 ? '-' : event.responseFlags.join(','),
    bytes_received: event.bytesReceived,
    bytes_sent: event.bytesSent,
    duration: Math.round(event.durationMs),
    upstream_host: n(event.upstreamHost),
    upstream_cluster: n(event.upstreamCluster),
    downstream_local_address: n(event.downstreamLocalAddress),
    downstream_remote_address: n(event.downstreamRemoteAddress),
    requested_server_name: n(event.requestedServerName),
  })}\n`
}

/** One JSON line with Istio's JSON access-log field names (absent values are `null`), newline included. */
export function formatJsonLine(event: RequestEndEvent): string {
  const n = <T>(v: T | undefined): T | null => (v === undefined ? null : v)
  return `${JSON.stringify({
    start_time: new Date(event.startTime).toISOString(),
    method: event.method,
    path: event.path,
    protocol: event.protocol,
    response_code: event.responseCode,
    response_flags: flags(event),
    bytes_received: event.bytesReceived,
    bytes_sent: event.bytesSent,
    duration: Math.round(event.durationMs),
    response_duration: event.responseDurationMs === undefined ? null : Math.round(event.responseDurationMs),
    upstream_service_time: n(event.upstreamServiceTimeMs),
    x_forwarded_for: n(event.forwardedFor),
    user_agent: n(event.userAgent),
    request_id: n(event.requestId),
    authority: n(event.authority),
    upstream_host: n(event.upstreamHost),
    upstream_cluster: n(event.upstreamCluster),
    route_name: n(event.routeName),
    downstream_local_address: n(event.downstreamLocalAddress),
    downstream_remote_address: n(event.downstreamRemoteAddress),
    requested_server_name: n(event.requestedServerName),
  })}\n`
}

/**
 * Writes one access-log line per finished request (from `portico:request:end`) to a sink:
 * stdout, stderr, a file, a stream or a function. `off` subscribes to nothing.
 */
export function createAccessLog(options: AccessLogOptions = {}): AccessLog {
  const sink = options.sink ?? 'stdout'
  if (sink === 'off') {
    const none = async () => {}
    return { close: none, [Symbol.asyncDispose]: none }
  }
  const format = options.format === 'json' ? formatJsonLine : formatTextLine
  let write: (line: string, event: RequestEndEvent | ConnectionEvent) => void
  let owned: Writable | undefined
  if (typeof sink === 'function') write = sink
  else if (sink === 'stdout' || sink === 'stderr') {
    const stream = sink === 'stdout' ? process.stdout : process.stderr
    write = (line) => void stream.write(line)
  } else if ('file' in sink) {
    const file = createWriteStream(sink.file, { flags: 'a' })
    file.on('error', () => {})
    owned = file
    write = (line) => void file.write(line)
  } else {
    const stream = sink.stream
    write = (line) => void stream.write(line)
  }
  const onEnd = (message: unknown): void => {
    const event = message as RequestEndEvent
    if (options.filter !== undefined && !options.filter(event)) return
    try {
      write(format(event), event)
    } catch {
      // A failing sink never fails a request.
    }
  }
  const tcpFormat = options.format === 'json' ? formatTcpJsonLine : formatTcpTextLine
  const onConnection = (message: unknown): void => {
    const event = message as ConnectionEvent
    if (options.filter !== undefined && !options.filter(event)) return
    try {
      write(tcpFormat(event), event)
    } catch {
      // A failing sink never fails a connection.
    }
  }
  subscribe(CHANNELS.requestEnd, onEnd)
  subscribe(CHANNELS.connectionEnd, onConnection)
  let closed: Promise<void> | undefined
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      unsubscribe(CHANNELS.requestEnd, onEnd)
      unsubscribe(CHANNELS.connectionEnd, onConnection)
      if (owned === undefined) return resolve()
      owned.end(() => resolve())
    })
    return closed
  }
  return { close, [Symbol.asyncDispose]: close }
}
