import type { CompiledConfig, MirrorSpec } from '@portico/core'
import type { HeaderRecord } from '../types.js'
import type { UpstreamPools } from '../upstream/pools.js'
import type { Balancer, HashInput } from './balancer.js'
import { Trip } from './trip.js'

/** A mirrored request is abandoned after this long. */
const MIRROR_TIMEOUT_MS = 60_000

/**
 * Sends a copy of the request to each of the route's mirrors its percentage draws (Istio's
 * `mirrors`), when the body can be replayed; the answers are discarded and never awaited.
 */
export function fireMirrors(
  pools: UpstreamPools,
  balancer: Balancer,
  config: CompiledConfig,
  mirrors: readonly MirrorSpec[],
  input: HashInput | undefined,
  method: string,
  path: string,
  headers: HeaderRecord,
  body: Buffer | undefined,
): void {
  for (const mirror of mirrors) {
    if (!(Math.random() * 100 < mirror.percent)) continue
    const target = config.clusters.get(mirror.clusterName)
    if (target === undefined) continue
    const pick = balancer.pick(target, input)
    if (pick === undefined) continue
    const copy: HeaderRecord = { ...headers }
    delete copy['x-envoy-attempt-count']
    const limit = new Trip()
    const timer = setTimeout(() => limit.abort(), MIRROR_TIMEOUT_MS)
    timer.unref()
    const done = () => clearTimeout(timer)
    try {
      pools
        .get(target, pick.endpoint)
        .request({ path, method, headers: copy, body: body ?? null, signal: limit })
        .then((r) =>
          r.body.start({
            data() {},
            end: done,
            error: done,
          }),
        )
        .catch(done)
    } catch {
      // A mirror never fails the request.
    }
  }
}
