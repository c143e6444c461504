import {
  type CompiledConfig,
  type Endpoint,
  type ForwardDecision,
  type HeaderOpSet,
  pickDestination,
} from '@portico/core'
import { observeAttempt, observeFlag } from '../events/request.js'
import type { Downstream, Logger, Upstreamable } from '../types.js'
import type { CircuitBreaker } from '../upstream/breakers.js'
import type { UpstreamResponse } from '../upstream/h1-client.js'
import { speaksH2, type UpstreamPools } from '../upstream/pools.js'
import { Attempt, type AttemptError, classifyFailure, reportFailure, reportStatus } from './attempt.js'
import type { Balancer } from './balancer.js'
import { applyCors, PREFLIGHT_ANSWERED } from './cors.js'
import { destinationCluster } from './destination.js'
import { abortsByFault, faultDelayMs } from './fault.js'
import { LOCAL_BODY, localReply, replyUpstreamFailure } from './local-reply.js'
import { fireMirrors } from './mirror.js'
import { cutShort, relay } from './relay.js'
import {
  avoidsPreviousHosts,
  DEFAULT_BACKOFF_BASE_MS,
  retriesFailure,
  retriesStatus,
  retryBackoffMs,
  takeRetrySlot,
} from './retry.js'
import { NEVER, sleep, Trip } from './trip.js'
import { fitsReplayBuffer, hashInput, readBody, upstreamHeaders } from './upstream-request.js'

/** Shared pieces a forward needs. */
export interface ForwardContext {
  readonly pools: UpstreamPools
  readonly balancer: Balancer
  readonly serverHeader: string | false
  readonly logger: Logger
  /** Source of the back-off draws between attempts, in `[0, 1)`; default `Math.random`. */
  readonly random?: () => number
}

/** Per-request facts the forward needs beyond the decision. */
export interface ForwardRequest {
  readonly req: Upstreamable
  readonly res: Downstream
  readonly scheme: 'http' | 'https'
  readonly peer: string | undefined
  /** The trusted client address (`numTrustedProxies` hops into x-forwarded-for); default `peer`. */
  readonly client?: string | undefined
  readonly hasBody: boolean
  /** `HTTP/1.1` or `HTTP/2`, for the `%PROTOCOL%` formatter. */
  readonly protocol?: string
}

/**
 * Executes a forward decision, step by step: CORS (`cors.ts`), fault injection (`fault.ts`), the
 * destination and its cluster (`destination.ts`), the upstream request's headers and body
 * (`upstream-request.ts`), mirrors (`mirror.ts`), then the attempts (`attempt.ts`), each retried
 * as the policy says (`retry.ts`), and the relay of the answer (`relay.ts`). Local replies
 * follow Envoy (503 NC/UH/UF, 504 UT, 502 on protocol errors). Never throws.
 */
export async function forward(
  ctx: ForwardContext,
  config: CompiledConfig,
  decision: ForwardDecision,
  request: ForwardRequest,
): Promise<void> {
  const { req, res } = request
  const spec = decision.forward
  const server = ctx.serverHeader
  const downstreamGone = new Trip()
  const onClose = () => {
    if (cutShort(req, res)) downstreamGone.abort()
  }
  res.on('close', onClose)
  // HTTP/2: a stream reset in the same read as its HEADERS is closed before the request event.
  if (alreadyGone(req, res)) {
    res.removeListener('close', onClose)
    return
  }

  // CORS: preflights are answered here; actual requests get headers on the response.
  const corsHeaders = applyCors(spec.cors, req, res, server)
  if (corsHeaders === PREFLIGHT_ANSWERED) return

  // Fault injection: independent draws, delay first.
  const fault = spec.fault
  if (fault !== undefined) {
    const delayMs = faultDelayMs(fault, res)
    if (delayMs !== undefined) {
      await sleep(delayMs, downstreamGone)
      if (downstreamGone.aborted) return
    }
    if (abortsByFault(fault, res, server)) return
  }

  // The destination, drawn by weight, and its cluster.
  const destination = pickDestination(spec, Math.random())
  const cluster = destinationCluster(config, destination, res, server)
  if (destination === undefined || cluster === undefined) return

  // The upstream request: headers, then the body (none, buffered to be replayable, or streamed).
  const client = request.client ?? request.peer
  const vars = { remoteAddress: client, protocol: request.protocol }
  const requestOps: HeaderOpSet[] = [spec.headers.request, destination.headers.request]
  const responseOps: HeaderOpSet[] = [spec.headers.response, destination.headers.response]
  const headers = upstreamHeaders(
    req,
    request.peer,
    request.scheme,
    decision,
    requestOps,
    vars,
    speaksH2(cluster),
  )
  let body: Buffer | Upstreamable | undefined
  let replayable = true
  if (request.hasBody) {
    if (fitsReplayBuffer(req)) {
      const buffered = await readBody(req)
      if (buffered === undefined) return
      body = buffered
      headers['content-length'] = String(buffered.byteLength)
    } else {
      body = req
      replayable = false
    }
  }

  const method = req.method ?? 'GET'
  // Only consistent hashing reads the request; other policies skip building the accessors.
  const input =
    cluster.trafficPolicy.loadBalancer.kind === 'CONSISTENT_HASH' || spec.mirrors.length > 0
      ? hashInput(req, decision.path, client)
      : undefined
  if (replayable && spec.mirrors.length > 0) {
    const copy = body as Buffer | undefined
    fireMirrors(
      ctx.pools,
      ctx.balancer,
      config,
      spec.mirrors,
      input,
      method,
      decision.upstreamPath,
      headers,
      copy,
    )
  }

  // The attempts, each to an endpoint the balancer picks, until one answers and is relayed.
  const policy = spec.retries
  const maxAttempts = replayable ? 1 + Math.max(0, policy.attempts) : 1
  const avoidPrevious = avoidsPreviousHosts(
    policy,
    cluster.trafficPolicy.loadBalancer.kind === 'CONSISTENT_HASH',
  )
  let routeTimer = NEVER
  let routeTimeout: NodeJS.Timeout | undefined
  if (spec.timeoutMs !== undefined && spec.timeoutMs > 0) {
    const timer = new Trip()
    routeTimer = timer
    routeTimeout = setTimeout(() => timer.abort({ failure: 'route-timeout' }), spec.timeoutMs)
  }
  const started = performance.now()
  // Endpoints already tried, for Envoy's previous-hosts predicate; built only when retrying.
  let tried: Set<Endpoint> | undefined
  let hasRetried = false
  let previous: Endpoint | undefined
  let lastError: AttemptError | undefined
  let setCookie: string | undefined
  /** The circuit breaker whose retry slot this request holds (taken per retry, as Envoy). */
  let retrySlot: CircuitBreaker | undefined
  try {
    for (let n = 1; n <= maxAttempts; n++) {
      if (downstreamGone.aborted) return
      if (n > 1) {
        // Envoy's jittered back-off before a retry.
        const base = policy.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS
        await sleep(retryBackoffMs(n - 2, base, ctx.random ?? Math.random), routeTimer, downstreamGone)
        if (downstreamGone.aborted) return
        if (routeTimer.aborted) break
      }

      // Pick an endpoint.
      if (previous !== undefined) {
        hasRetried = true
        if (avoidPrevious) {
          tried ??= new Set()
          tried.add(previous)
        }
      }
      const pick = ctx.balancer.pick(cluster, input, tried)
      if (pick === undefined) {
        observeFlag(res, 'UH')
        return localReply(res, 503, server, LOCAL_BODY.noHealthyUpstream)
      }
      if (pick.setCookie !== undefined) setCookie = pick.setCookie
      previous = pick.endpoint
      if (routeTimer.aborted) break

      // Attempt.
      const attempt = new Attempt(routeTimer, downstreamGone, policy.perTryTimeoutMs)
      headers['x-envoy-attempt-count'] = String(n)
      observeAttempt(res, pick.endpoint, headers['x-request-id'] as string | undefined)
      ctx.balancer.acquire(pick.endpoint)
      let response: UpstreamResponse | undefined
      try {
        response = await ctx.pools.get(cluster, pick.endpoint).request({
          path: decision.upstreamPath,
          method,
          headers,
          body: body ?? null,
          signal: attempt,
        })
      } catch (error) {
        lastError = classifyFailure(error, attempt)
      } finally {
        attempt.settle()
        if (response === undefined) {
          ctx.balancer.release(pick.endpoint)
          attempt.release()
        }
      }

      // Decide whether to retry: a failure without a response...
      if (response === undefined) {
        const failure = lastError?.failure
        reportFailure(ctx.balancer, cluster, pick.endpoint, failure)
        if (failure === 'aborted') return
        if (failure === 'route-timeout' || failure === 'overflow') break
        if (n < maxAttempts && failure !== undefined && retriesFailure(policy, failure)) {
          const slot = takeRetrySlot(retrySlot, ctx.pools.breaker(cluster))
          retrySlot = slot === false ? undefined : slot
          if (slot !== false) continue
          observeFlag(res, 'UO')
        }
        break
      }
      // ...or a response whose status the policy retries.
      reportStatus(ctx.balancer, cluster, pick.endpoint, response.statusCode)
      if (n < maxAttempts && retriesStatus(policy, response.statusCode, response.headers)) {
        const slot = takeRetrySlot(retrySlot, ctx.pools.breaker(cluster))
        retrySlot = slot === false ? undefined : slot
        if (slot !== false) {
          ctx.balancer.release(pick.endpoint)
          attempt.release()
          response.body.dump()
          lastError = undefined
          continue
        }
        observeFlag(res, 'UO')
      }

      // Relay the answer.
      const endpoint = pick.endpoint
      await relay(res, response, {
        serverHeader: server,
        logger: ctx.logger,
        req,
        started,
        responseOps,
        vars,
        corsHeaders,
        setCookie,
        signal: attempt,
      })
      ctx.balancer.release(endpoint)
      attempt.release()
      return
    }
    if (downstreamGone.aborted) return
    const failure = routeTimer.aborted ? 'route-timeout' : lastError?.failure
    return replyUpstreamFailure(res, server, failure, lastError?.detail, hasRetried, maxAttempts)
  } finally {
    retrySlot?.releaseRetry()
    clearTimeout(routeTimeout)
    res.removeListener('close', onClose)
  }
}

/** The downstream closed before the request was handled (rapid reset, CVE-2023-44487). */
function alreadyGone(req: Upstreamable, res: Downstream): boolean {
  const stream = (req as { readonly stream?: { readonly destroyed?: boolean } }).stream
  return res.destroyed === true || stream?.destroyed === true
}
