import { setFlagsFromString } from 'node:v8'

/**
 * V8 settings a serving `portico` applies to itself, before it handles a request.
 *
 * `--no-allocation-site-pretenuring`: V8 watches the objects each array and object literal
 * allocates, and once most of them survive a young-generation collection it allocates that
 * literal's objects in the old generation from then on, for the life of the process. A gateway's
 * literals are per-request objects; they survive in bursts (a request waiting for an upstream
 * connection, the first requests after start), and one such decision turns a per-request array
 * old: everything it points to (the request, its response, the connection's buffers) then
 * survives every young collection, is promoted, and the old generation fills until mark-compacts
 * run every few hundred requests. Measured with `bench/stalls.mjs` at 50 connections: with the
 * decision taken, about 3 KB of every request promoted and a mark-compact every 7 scavenges,
 * against tens of bytes and none without.
 */
export const SERVE_V8_FLAGS: readonly string[] = ['--no-allocation-site-pretenuring']

/**
 * The {@link SERVE_V8_FLAGS} to apply: all but those `given` (Node's command line and
 * `NODE_OPTIONS`) already sets either way, so that a user's own choice stands.
 */
export function serveV8Flags(given: string): string[] {
  const mentioned = given.replaceAll('_', '-')
  return SERVE_V8_FLAGS.filter((flag) => !mentioned.includes(flag.replace(/^--(no-)?/, '')))
}

/**
 * Applies {@link serveV8Flags} to this process. These are settings V8 reads while it runs, so
 * they take effect although Node has started.
 */
export function applyServeV8Flags(): void {
  for (const flag of serveV8Flags(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`)) {
    setFlagsFromString(flag)
  }
}
