import type { FaultSpec } from '@portico/core'
import { observeFlag } from '../events/request.js'
import type { Downstream } from '../types.js'
import { LOCAL_BODY, localReply } from './local-reply.js'

/**
 * The delay the route's fault injection draws for this request (flagged DI), or `undefined` when
 * the draw spares it. Drawn before, and independently of, the abort.
 */
export function faultDelayMs(fault: FaultSpec, res: Downstream): number | undefined {
  if (fault.delay === undefined || !(Math.random() * 100 < fault.delay.percent)) return undefined
  observeFlag(res, 'DI')
  return fault.delay.ms
}

/**
 * Whether the route's fault injection aborts this request: then it is answered with the fault's
 * status and Envoy's `fault filter abort` body, flagged FI.
 */
export function abortsByFault(fault: FaultSpec, res: Downstream, server: string | false): boolean {
  if (fault.abort === undefined || !(Math.random() * 100 < fault.abort.percent)) return false
  observeFlag(res, 'FI')
  localReply(res, fault.abort.status, server, LOCAL_BODY.faultAbort)
  return true
}
