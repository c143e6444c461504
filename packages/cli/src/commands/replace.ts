import type { CliIo } from '../io.js'
import { storeHelp } from '../store.js'
import { sendFiles } from './apply.js'

export const replaceHelp = `portico replace -f <file|dir|->... [-n <namespace>] [--admin <host:port> | ${storeHelp}] [--output text|json]`

/** `portico replace -f …` (istioctl replace): replaces resources of a running gateway; refused if one is missing. */
export function replaceCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return sendFiles('replace', argv, io)
}
