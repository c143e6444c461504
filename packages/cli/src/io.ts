import type { Readable, Writable } from 'node:stream'

/** The streams a command talks to; tests pass their own. */
export interface CliIo {
  readonly stdout: Writable
  readonly stderr: Writable
  readonly stdin: Readable
  /** Working directory for relative paths. */
  readonly cwd: string
  /** Aborted when the process is asked to stop (SIGINT/SIGTERM) — long-running commands end then. */
  readonly signal?: AbortSignal
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const

/** A usage error: printed with the command's help line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Writes a line. */
export function println(stream: Writable, text = ''): void {
  stream.write(`${text}\n`)
}
