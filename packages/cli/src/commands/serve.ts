import cluster from 'node:cluster'
import { parseArgs } from 'node:util'
import { formatDiagnostics, hasErrors } from '@portico/core'
import { createManagedGateway } from '@portico/server'
import { parseLabels, parsePortMap, requireFiles, usage } from '../args.js'
import { type CliIo, EXIT, println } from '../io.js'
import { loadConfig } from '../pipeline.js'
import { storeHelp, storeOptions } from '../store.js'
import { applyServeV8Flags } from '../v8-flags.js'
import { printAddresses, stopRequested } from './serve-io.js'
import {
  gatewayOperationOptions,
  operationHelp,
  operationOptions,
  startOperations,
} from './serve-operations.js'
import { joinWorkers } from './serve-peers.js'
import { serveStore } from './serve-store.js'
import { leaveCluster, reportReady, servePrimary, servesAdmin, workerCount } from './serve-workers.js'

export const serveHelp =
  `portico serve (-f <file-or-dir>... | ${storeHelp}) [--port <gw>=<listen>]... [--bind 127.0.0.1] [--label k=v]... [--namespace ns] [--gateway-class NAME] [--workers N|auto] ` +
  operationHelp

/** `portico serve`: validates, compiles and serves until SIGINT/SIGTERM (or the io signal). */
export async function serveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  applyServeV8Flags()
  const { values } = usage(() =>
    parseArgs({
      args: [...argv],
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        port: { type: 'string', short: 'p', multiple: true },
        bind: { type: 'string' },
        label: { type: 'string', multiple: true },
        'gateway-class': { type: 'string' },
        namespace: { type: 'string' },
        workers: { type: 'string' },
        ...operationOptions,
        ...storeOptions,
      },
    }),
  )
  if (values.store !== undefined) return serveStore(values, io)
  const files = requireFiles(values.filename)
  const ports = parsePortMap(values.port)
  const labels = parseLabels(values.label)
  const workers = workerCount(values.workers)
  const gatewayClassName = values['gateway-class']
  const namespace = values.namespace
  const config = await loadConfig(files, io, {
    labels,
    portMap: ports,
    ...(gatewayClassName === undefined ? {} : { gatewayClassName }),
    ...(namespace ? { namespace } : {}),
  })
  if (config.diagnostics.length > 0) println(io.stderr, formatDiagnostics(config.diagnostics))
  if (!config.compiled || hasErrors(config.diagnostics)) {
    println(io.stderr, 'portico serve: the configuration is invalid; nothing started')
    return EXIT.invalid
  }
  if (workers > 1 && cluster.isPrimary) return servePrimary(workers, io, stopRequested(io.signal))
  const ops = servesAdmin() ? values : { ...values, admin: 'off' }
  const gateway = await createManagedGateway({
    resources: config.resources,
    compile: {
      labels,
      portMap: ports,
      ...(gatewayClassName === undefined ? {} : { gatewayClassName }),
      ...(namespace ? { namespace } : {}),
    },
    ports,
    ...(values.bind ? { bind: values.bind } : {}),
    ...gatewayOperationOptions(ops, io),
    // `--admin off`: nothing can read the request metrics, so requests are not counted. (Workers
    // without the admin endpoint still count theirs: the admin endpoint gathers them.)
    ...(values.admin === 'off' ? { metrics: { requests: false } } : {}),
  })
  let operations: Awaited<ReturnType<typeof startOperations>> | undefined
  try {
    // A worker catches up with the changes the others took through the admin endpoint first.
    const peers = await joinWorkers(gateway, io)
    operations = await startOperations(gateway, ops, files, io, servesAdmin() ? peers : undefined)
    printAddresses(io, gateway)
    reportReady()
    await stopRequested(io.signal)
    println(io.stdout, 'portico: stopping')
  } finally {
    await gateway.close()
    await operations?.close()
    leaveCluster()
  }
  return EXIT.ok
}
