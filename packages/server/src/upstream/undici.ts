import type * as Undici from 'undici'

let loaded: typeof Undici | undefined

/**
 * Loads undici, the client of HTTP/2 and gRPC upstreams (about 5 MiB of heap), which HTTP/1.1
 * clusters never need; `undefined` when it is loaded already. The gateway awaits this before it
 * serves a config with such a cluster, so the pools, created synchronously on a request, find it.
 */
export function loadUndici(): Promise<void> | undefined {
  if (loaded !== undefined) return undefined
  return import('undici').then((m) => {
    loaded ??= m
  })
}

/** undici, once {@link loadUndici} has loaded it. */
export function undici(): typeof Undici {
  if (loaded === undefined)
    throw new Error('undici is not loaded: the gateway loads it before serving an HTTP/2 cluster')
  return loaded
}
