import { parseArgs } from 'node:util'
import { formatDiagnostics, hasErrors } from '@portico/core'
import { outputFormat, parseLabels, requireFiles, usage } from '../args.js'
import { type CliIo, EXIT, println, UsageError } from '../io.js'
import { type LoadedConfig, loadConfig, loadStoreConfig } from '../pipeline.js'
import { openStore, storeHelp, storeOptions } from '../store.js'

export const validateHelp = `portico validate (-f <file-or-dir>... | ${storeHelp}) [--output text|json] [--label k=v]... [--namespace ns]`

/**
 * `portico validate`: Istio's admission rules and `istioctl analyze`'s findings; exit 0 when there
 * is no error (warnings allowed), 1 when there is. `--label` and `--namespace` describe the gateway
 * as they do for `serve` (its labels, which Gateway and policy selectors are compared with; the
 * namespace it runs in, which decides the security policies that reach it), so that `validate`
 * judges what `serve` with the same flags would serve.
 */
export async function validateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = usage(() =>
    parseArgs({
      args: [...argv],
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        output: { type: 'string', short: 'o' },
        label: { type: 'string', multiple: true },
        namespace: { type: 'string' },
        ...storeOptions,
      },
    }),
  )
  const format = outputFormat(values.output)
  const loaded = await loadFrom(values, io, {
    labels: parseLabels(values.label),
    ...(values.namespace ? { namespace: values.namespace } : {}),
  })
  const diagnostics = loaded.diagnostics
  const failed = hasErrors(diagnostics)
  if (format === 'json') {
    println(io.stdout, JSON.stringify(diagnostics, null, 2))
  } else {
    if (diagnostics.length > 0) println(io.stdout, formatDiagnostics(diagnostics))
    const errors = diagnostics.filter((d) => d.severity === 'error').length
    const warnings = diagnostics.length - errors
    const summary = `${loaded.resources.length} resource${loaded.resources.length === 1 ? '' : 's'}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`
    println(failed ? io.stderr : io.stdout, failed ? `invalid: ${summary}` : `valid: ${summary}`)
  }
  return failed ? EXIT.invalid : EXIT.ok
}

/** The configuration of `-f` files or of `--store` (one of them). */
export async function loadFrom(
  values: Parameters<typeof openStore>[0] & { readonly filename?: string[] | undefined },
  io: CliIo,
  options: Parameters<typeof loadConfig>[2] = {},
): Promise<LoadedConfig> {
  if (values.store !== undefined && values.filename !== undefined)
    throw new UsageError('give either -f or --store, not both')
  const store = await openStore(values, io)
  if (store === undefined) return loadConfig(requireFiles(values.filename), io, options)
  try {
    return await loadStoreConfig(store, options)
  } finally {
    await store.close()
  }
}
