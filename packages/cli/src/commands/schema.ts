import { parseArgs } from 'node:util'
import { resourceJsonSchemas } from '@portico/core'
import { usage } from '../args.js'
import { type CliIo, EXIT, println, UsageError } from '../io.js'

export const schemaHelp = 'portico schema [Gateway|VirtualService|DestinationRule|ServiceEntry|Secret]'

/** `portico schema`: the JSON Schema of each kind (or one), for editors' YAML completion. */
export async function schemaCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { positionals } = usage(() => parseArgs({ args: [...argv], options: {}, allowPositionals: true }))
  const schemas: Record<string, unknown> = resourceJsonSchemas()
  if (positionals.length > 1) throw new UsageError('schema takes at most one kind')
  const wanted = positionals[0]
  if (wanted === undefined) {
    println(io.stdout, JSON.stringify(schemas, null, 2))
    return EXIT.ok
  }
  const kind = Object.keys(schemas).find((k) => k.toLowerCase() === wanted.toLowerCase())
  if (kind === undefined)
    throw new UsageError(`unknown kind "${wanted}"; known: ${Object.keys(schemas).join(', ')}`)
  println(io.stdout, JSON.stringify(schemas[kind], null, 2))
  return EXIT.ok
}
