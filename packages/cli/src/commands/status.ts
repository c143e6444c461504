import { parseArgs } from 'node:util'
import { formatDiagnostics, formatGatewayApiStatus } from '@portico/core'
import { outputFormat, requireFiles, usage } from '../args.js'
import { type CliIo, EXIT, println, UsageError } from '../io.js'
import { loadConfig } from '../pipeline.js'

export const statusHelp = 'portico status -f <file-or-dir>... [--output text|json] [--gateway-class NAME]'

/**
 * `portico status`: the conditions a Gateway API controller would write for the served Gateways,
 * their listeners and the routes attached to them (Accepted, ResolvedRefs, Programmed, with the
 * spec's reasons).
 */
export async function statusCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = usage(() =>
    parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        output: { type: 'string', short: 'o' },
        'gateway-class': { type: 'string' },
      },
    }),
  )
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
  const files = requireFiles(values.filename)
  const format = outputFormat(values.output)
  const gatewayClassName = values['gateway-class']
  const config = await loadConfig(files, io, gatewayClassName === undefined ? {} : { gatewayClassName })
  if (!config.compiled) {
    println(io.stderr, formatDiagnostics(config.diagnostics))
    println(io.stderr, 'portico status: the configuration is invalid')
    return EXIT.invalid
  }
  const status = config.compiled.gatewayApi ?? {
    gatewayClassName: gatewayClassName ?? 'istio',
    gateways: [],
    routes: [],
  }
  println(io.stdout, format === 'json' ? JSON.stringify(status, null, 2) : formatGatewayApiStatus(status))
  return EXIT.ok
}
