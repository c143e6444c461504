import { readFileSync } from 'node:fs'
import type { PemSource } from '@portico/core'
import { PorticoServerError } from './errors.js'

/** Reads a PEM from its source; throws PTC4101 naming the server and the file. */
export function readPem(source: PemSource, serverName: string, what: string): string {
  if (source.kind === 'inline') return source.pem
  try {
    return readFileSync(source.path, 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error)
    throw new PorticoServerError(
      'PTC4101',
      `server ${serverName}: cannot read ${what} file ${source.path} (${reason})`,
      { cause: error },
    )
  }
}
