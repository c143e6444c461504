/** Runs the portico command line with `argv` (without node and script) and returns the exit code. */
export async function main(_argv: readonly string[]): Promise<number> {
  return 0
}
