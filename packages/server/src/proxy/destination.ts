import type { Cluster, CompiledConfig, WeightedDestination } from '@portico/core'
import { observeCluster, observeFlag } from '../events/request.js'
import type { Downstream } from '../types.js'
import { LOCAL_BODY, localReply } from './local-reply.js'

/**
 * The cluster of the destination drawn for a request, when it has endpoints to try. Otherwise
 * the request is answered here: 500 for a Gateway API backendRef that does not resolve, 503 NC
 * when there is no destination or no such cluster, 503 UH (`no healthy upstream`) when the
 * cluster has no endpoints.
 */
export function destinationCluster(
  config: CompiledConfig,
  destination: WeightedDestination | undefined,
  res: Downstream,
  server: string | false,
): Cluster | undefined {
  // A Gateway API backendRef that does not resolve: its share of the requests gets 500.
  if (destination?.invalid === true) return void localReply(res, 500, server)
  const cluster = destination === undefined ? undefined : config.clusters.get(destination.clusterName)
  if (destination !== undefined) observeCluster(res, destination.clusterName, cluster)
  if (destination === undefined || cluster === undefined) {
    observeFlag(res, 'NC')
    return void localReply(res, 503, server)
  }
  if (cluster.endpoints.length === 0) {
    observeFlag(res, 'UH')
    return void localReply(res, 503, server, LOCAL_BODY.noHealthyUpstream)
  }
  return cluster
}
