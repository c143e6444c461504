import type { CliIo } from '../io.js'
import { storeHelp } from '../store.js'
import { sendFiles } from './apply.js'

export const deleteHelp = `portico delete (-f <file|dir|->... | <kind> <name>...) [-n <namespace>] [--admin <host:port> | ${storeHelp}] [--output text|json]`

/**
 * `portico delete` (istioctl delete): removes the resources of files, or `<kind> <name>` as in
 * `portico delete gateway httpbin-gateway` (kinds as istioctl spells them: `gateway`, `gw`, `vs`…).
 */
export function deleteCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return sendFiles('delete', argv, io)
}
