import { formatDiagnostics, parseDuration } from '@portico/core'
import {
  type AccessLogOptions,
  type AdminAllowedHosts,
  type AdminPeers,
  type AdminServer,
  type ConfigWatcher,
  DEFAULT_ADMIN_PORT,
  type ManagedGateway,
  type OverloadOptions,
  startAdmin,
  watchConfig,
} from '@portico/server'
import { type CliIo, println, UsageError } from '../io.js'
import { parseAdminAddress } from './apply.js'

/** The operating flags of `portico serve`, as `parseArgs` options. */
export const operationOptions = {
  admin: { type: 'string' },
  'admin-allowed-hosts': { type: 'string', multiple: true },
  watch: { type: 'boolean' },
  'drain-timeout': { type: 'string' },
  'access-log': { type: 'string' },
  'access-log-format': { type: 'string' },
  'overload-max-heap': { type: 'string' },
  'overload-max-event-loop-delay': { type: 'string' },
} as const

/** Help text of the operating flags. */
export const operationHelp =
  '[--admin <port|host:port|off>] [--admin-allowed-hosts <name,.domain,…|*>]... [--watch] [--drain-timeout 5s] [--access-log off|stdout|stderr|<file>] [--access-log-format text|json] [--overload-max-heap 1GiB] [--overload-max-event-loop-delay 250ms]'

interface OperationValues {
  readonly admin?: string | undefined
  readonly 'admin-allowed-hosts'?: readonly string[] | undefined
  readonly watch?: boolean | undefined
  readonly 'drain-timeout'?: string | undefined
  readonly 'access-log'?: string | undefined
  readonly 'access-log-format'?: string | undefined
  readonly 'overload-max-heap'?: string | undefined
  readonly 'overload-max-event-loop-delay'?: string | undefined
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
}

/** A size such as `1073741824`, `512MiB` or `2GB`, in bytes; `undefined` when malformed. */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  const unit = match === null ? undefined : SIZE_UNITS[match[2]!.toLowerCase()]
  if (match === null || unit === undefined) return undefined
  const bytes = Math.round(Number(match[1]) * unit)
  return bytes > 0 ? bytes : undefined
}

/**
 * The names of `--admin-allowed-hosts` (repeated, or comma-separated); `*` answers every name.
 * `undefined` when the flag is not given.
 */
export function parseAllowedHosts(values: readonly string[] | undefined): AdminAllowedHosts | undefined {
  if (values === undefined) return undefined
  const names = values.flatMap((v) => v.split(',')).map((n) => n.trim().toLowerCase())
  if (names.includes('*')) return 'all'
  for (const name of names) {
    if (!/^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/.test(name)) {
      throw new UsageError(
        `--admin-allowed-hosts wants host names like gw1.example.com or .example.com, or *, not "${name}"`,
      )
    }
  }
  return names
}

/** The overload guard's thresholds from `--overload-max-heap` and `--overload-max-event-loop-delay`. */
function overloadOptions(values: OperationValues): OverloadOptions | undefined {
  const heap = values['overload-max-heap']
  const delay = values['overload-max-event-loop-delay']
  if (heap === undefined && delay === undefined) return undefined
  const out: { maxHeapBytes?: number; maxEventLoopDelayMs?: number } = {}
  if (heap !== undefined) {
    const bytes = parseSize(heap)
    if (bytes === undefined) throw new UsageError(`--overload-max-heap wants a size like 1GiB, not "${heap}"`)
    out.maxHeapBytes = bytes
  }
  if (delay !== undefined) {
    const ms = parseDuration(delay)
    if (ms === undefined || ms <= 0) {
      throw new UsageError(`--overload-max-event-loop-delay wants a duration like 250ms, not "${delay}"`)
    }
    out.maxEventLoopDelayMs = ms
  }
  return out
}

/** Gateway options from the operating flags: drain timeout, access log, overload guard. */
export function gatewayOperationOptions(
  values: OperationValues,
  io: CliIo,
): { drainTimeoutMs?: number; accessLog?: AccessLogOptions; overload?: OverloadOptions } {
  const out: { drainTimeoutMs?: number; accessLog?: AccessLogOptions; overload?: OverloadOptions } = {}
  const overload = overloadOptions(values)
  if (overload !== undefined) out.overload = overload
  const drain = values['drain-timeout']
  if (drain !== undefined) {
    const ms = /^\d+$/.test(drain) ? Number(drain) * 1000 : parseDuration(drain)
    if (ms === undefined || ms < 0)
      throw new UsageError(`--drain-timeout wants a duration like 5s, not "${drain}"`)
    out.drainTimeoutMs = ms
  }
  const format = values['access-log-format']
  if (format !== undefined && format !== 'text' && format !== 'json') {
    throw new UsageError(`--access-log-format must be "text" or "json", not "${format}"`)
  }
  const sink = values['access-log']
  if (sink !== undefined && sink !== 'off') {
    out.accessLog = {
      sink:
        sink === 'stdout'
          ? { stream: io.stdout }
          : sink === 'stderr'
            ? { stream: io.stderr }
            : { file: sink },
      ...(format === undefined ? {} : { format }),
    }
  }
  return out
}

/** What {@link startOperations} started. */
export interface Operations {
  close(): Promise<void>
}

/**
 * Starts the admin endpoint (default 127.0.0.1:15000; a busy default port is reported and
 * skipped, a busy requested one fails) and, with `--watch`, the file watcher. `peers` are the
 * other workers of `--workers N`, whose metrics the admin endpoint sums and which take its changes.
 */
export async function startOperations(
  gateway: ManagedGateway,
  values: OperationValues,
  files: readonly string[],
  io: CliIo,
  peers?: AdminPeers,
): Promise<Operations> {
  let admin: AdminServer | undefined
  if (values.admin !== 'off') {
    const where = parseAdminAddress(values.admin, `127.0.0.1:${DEFAULT_ADMIN_PORT}`)
    const allowedHosts = parseAllowedHosts(values['admin-allowed-hosts'])
    try {
      admin = await startAdmin(gateway, {
        host: where.host,
        port: where.port,
        allowRemote: values.admin !== undefined,
        ...(allowedHosts === undefined ? {} : { allowedHosts }),
        ...(peers === undefined ? {} : { peers }),
      })
      const host = admin.address.address.includes(':') ? `[${admin.address.address}]` : admin.address.address
      println(io.stdout, `portico: admin listening on http://${host}:${admin.address.port}`)
    } catch (error) {
      if (values.admin !== undefined) throw error
      println(
        io.stderr,
        `portico: admin endpoint not started (${(error as Error).message}); use --admin <port>`,
      )
    }
  }
  let watcher: ConfigWatcher | undefined
  if (values.watch === true) {
    watcher = watchConfig({
      gateway,
      paths: files,
      cwd: io.cwd,
      onReport: (report) => {
        if (report.diagnostics.length > 0) println(io.stderr, formatDiagnostics(report.diagnostics))
        if (report.ok)
          println(io.stdout, `portico: applied ${report.files.join(', ')}; serving version ${report.version}`)
        else
          println(
            io.stderr,
            `portico: refused ${report.files.join(', ')}; still serving version ${report.version}`,
          )
      },
    })
    await watcher.ready
    println(io.stdout, `portico: watching ${files.filter((f) => f !== '-').join(', ')}`)
  }
  return {
    async close() {
      watcher?.close()
      await admin?.close()
    },
  }
}
