import { parseArgs } from 'node:util'
import {
  type CompiledConfig,
  describeRoutes,
  explainRequest,
  formatDiagnostics,
  formatDot,
  formatMermaid,
  formatRoutes,
  type RequestFacts,
  requestFactsFor,
  route,
  routeGraph,
} from '@portico/core'
import { createJwksCache } from '@portico/server'
import { outputFormat, parseLabels, usage } from '../args.js'
import { type CliIo, EXIT, println, UsageError } from '../io.js'
import { storeHelp, storeOptions } from '../store.js'
import { loadFrom } from './validate.js'

export const routesHelp = `portico routes (-f <file-or-dir>... | ${storeHelp}) [--output text|json|mermaid|dot] [--label k=v]... [--namespace ns] [--gateway-class NAME] [--explain METHOD URL [-H 'name: value']... [--port <gw>]]`

/**
 * `portico routes`: the compiled route table (as text, JSON, or a Mermaid / DOT diagram), or the
 * decision for one request with `--explain`.
 */
export async function routesCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = usage(() =>
    parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        output: { type: 'string', short: 'o' },
        ...storeOptions,
        label: { type: 'string', multiple: true },
        'gateway-class': { type: 'string' },
        namespace: { type: 'string' },
        explain: { type: 'boolean' },
        header: { type: 'string', short: 'H', multiple: true },
        port: { type: 'string' },
      },
    }),
  )
  const diagram = values.output === 'mermaid' || values.output === 'dot' ? values.output : undefined
  const format = diagram === undefined ? outputFormat(values.output) : 'text'
  const gatewayClassName = values['gateway-class']
  const config = await loadFrom(values, io, {
    labels: parseLabels(values.label),
    ...(gatewayClassName === undefined ? {} : { gatewayClassName }),
    ...(values.namespace ? { namespace: values.namespace } : {}),
  })
  if (!config.compiled) {
    println(io.stderr, formatDiagnostics(config.diagnostics))
    println(io.stderr, 'portico routes: the configuration is invalid')
    return EXIT.invalid
  }
  if (values.explain) {
    if (diagram !== undefined) throw new UsageError(`--explain prints text or json, not ${diagram}`)
    const facts = requestFacts(positionals, values.header ?? [], values.port)
    println(
      io.stdout,
      format === 'json'
        ? JSON.stringify(route(config.compiled, facts), null, 2)
        : await explainWithKeys(config.compiled, facts),
    )
    return EXIT.ok
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
  if (diagram !== undefined) {
    const graph = routeGraph(config.compiled)
    io.stdout.write(diagram === 'mermaid' ? formatMermaid(graph) : formatDot(graph))
    return EXIT.ok
  }
  const table = describeRoutes(config.compiled)
  println(io.stdout, format === 'json' ? JSON.stringify(table, null, 2) : formatRoutes(table))
  return EXIT.ok
}

/** {@link explainRequest} with `jwksUri` key sets fetched as the gateway fetches them. */
async function explainWithKeys(compiled: CompiledConfig, facts: RequestFacts): Promise<string> {
  const keys = createJwksCache()
  try {
    return await explainRequest(compiled, facts, { keys })
  } finally {
    keys.close()
  }
}

/** `--explain GET https://httpbin.example.com/status/200 -H 'x: y'` → the request facts. */
function requestFacts(
  positionals: readonly string[],
  headers: readonly string[],
  port: string | undefined,
): RequestFacts {
  if (positionals.length !== 2)
    throw new UsageError(
      '--explain wants METHOD URL, e.g. --explain GET http://httpbin.example.com/status/200',
    )
  const [method, target] = positionals as [string, string]
  if (port !== undefined && !/^\d+$/.test(port))
    throw new UsageError(`--port must be a port number, not "${port}"`)
  const result = requestFactsFor(method, target, headers, port === undefined ? undefined : Number(port))
  if (!result.ok) throw new UsageError(`--explain: ${result.error}`)
  return result.facts
}
