import { formatDiagnostics } from '@portico/core'
import { createManagedGateway, type ManagedGateway } from '@portico/server'
import { parseLabels, parsePortMap } from '../args.js'
import { type CliIo, EXIT, println, UsageError } from '../io.js'
import { openStore } from '../store.js'
import { printAddresses, stopRequested } from './serve-io.js'
import { gatewayOperationOptions, startOperations } from './serve-operations.js'

interface ServeStoreValues {
  readonly filename?: string[] | undefined
  readonly port?: string[] | undefined
  readonly bind?: string | undefined
  readonly label?: string[] | undefined
  readonly 'gateway-class'?: string | undefined
  readonly namespace?: string | undefined
  readonly workers?: string | undefined
  readonly admin?: string | undefined
  readonly 'admin-allowed-hosts'?: string[] | undefined
  readonly watch?: boolean | undefined
  readonly 'drain-timeout'?: string | undefined
  readonly 'access-log'?: string | undefined
  readonly 'access-log-format'?: string | undefined
  readonly store?: string | undefined
  readonly 'store-ca'?: string | undefined
  readonly 'store-cert'?: string | undefined
  readonly 'store-key'?: string | undefined
}

/**
 * `portico serve --store etcd://…/PREFIX`: one gateway of a fleet. It serves what the store holds
 * under the prefix and follows its changes; it is not ready (`/ready` 503) until it has served a
 * first configuration, and keeps serving the last valid one while the store is unreachable or
 * holds an invalid one. The admin endpoint's changes are written to the store.
 */
export async function serveStore(values: ServeStoreValues, io: CliIo): Promise<number> {
  if (values.filename !== undefined) throw new UsageError('give either -f or --store, not both')
  if (values.watch === true) throw new UsageError('--watch is for -f; a --store gateway follows the store')
  if (values.workers !== undefined && values.workers !== '1')
    throw new UsageError('--workers is not supported with --store yet: run one serve --store per process')
  const ports = parsePortMap(values.port)
  const labels = parseLabels(values.label)
  const store = await openStore(values, io)
  if (store === undefined) return EXIT.usage
  const { createEtcdSource } = await import('@portico/etcd')
  let addresses = ''
  let gateway: ManagedGateway | undefined
  const source = createEtcdSource({
    store,
    onReport(report) {
      if (report.type === 'connection') {
        if (report.state === 'connected') println(io.stdout, `portico: connected to ${store.name}`)
        else
          println(
            io.stderr,
            `portico: ${store.name} unreachable (${report.error ?? report.state}); still serving what was loaded, retrying`,
          )
      } else if (report.type === 'reread') {
        println(
          io.stderr,
          `portico: the watch on ${store.name} ended (${report.reason}); reading everything again`,
        )
      } else if (report.ok) {
        println(io.stdout, `portico: serving revision ${report.revision} of ${store.name}`)
        const now = JSON.stringify(gateway?.addresses ?? {})
        if (gateway !== undefined && now !== addresses) {
          addresses = now
          printAddresses(io, gateway)
        }
      } else {
        println(io.stderr, formatDiagnostics(report.outcome.diagnostics))
        println(
          io.stderr,
          `portico: refused revision ${report.revision} of ${store.name}; still serving ${
            gateway?.source?.appliedRevision === undefined
              ? 'nothing (not ready)'
              : `revision ${gateway.source.appliedRevision}`
          }`,
        )
      }
    },
  })
  println(io.stdout, `portico: loading the configuration from ${store.name}`)
  const served = await createManagedGateway({
    source,
    compile: {
      labels,
      portMap: ports,
      ...(values['gateway-class'] === undefined ? {} : { gatewayClassName: values['gateway-class'] }),
      ...(values.namespace ? { namespace: values.namespace } : {}),
    },
    ports,
    ...(values.bind ? { bind: values.bind } : {}),
    ...gatewayOperationOptions(values, io),
    ...(values.admin === 'off' ? { metrics: { requests: false } } : {}),
  })
  gateway = served
  let operations: Awaited<ReturnType<typeof startOperations>> | undefined
  try {
    operations = await startOperations(served, values, [], io)
    await stopRequested(io.signal)
    println(io.stdout, 'portico: stopping')
  } finally {
    await served.close()
    await operations?.close()
  }
  return EXIT.ok
}
