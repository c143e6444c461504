import { parseArgs } from 'node:util'
import { formatDiagnostics, hasErrors } from '@portico/core'
import { outputFormat, requireFiles, usage } from '../args.js'
import { type CliIo, EXIT, println } from '../io.js'
import { loadConfig } from '../pipeline.js'

export const validateHelp = 'portico validate -f <file-or-dir>... [--output text|json]'

/** `portico validate`: exit 0 when there is no error (warnings allowed), 1 when there is. */
export async function validateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = usage(() =>
    parseArgs({
      args: [...argv],
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        output: { type: 'string', short: 'o' },
      },
    }),
  )
  const files = requireFiles(values.filename)
  const format = outputFormat(values.output)
  const loaded = await loadConfig(files, io)
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
