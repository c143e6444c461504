import type { CliIo } from '../io.js'
import { storeHelp } from '../store.js'
import { sendFiles } from './apply.js'

export const createHelp = `portico create -f <file|dir|->... [-n <namespace>] [--admin <host:port> | ${storeHelp}] [--output text|json]`

/** `portico create -f …` (istioctl create): adds resources to a running gateway; refused if one exists. */
export function createCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return sendFiles('create', argv, io)
}
