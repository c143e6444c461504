import type { FieldPath } from '../diagnostics/diagnostic.js'
import { parseDurationNanos } from '../model/duration.js'
import type {
  CorsPolicy,
  Destination,
  Headers,
  HTTPDirectResponse,
  HTTPFaultInjection,
  HTTPMatchRequest,
  HTTPRedirect,
  HTTPRetry,
  HTTPRewrite,
  HTTPRoute,
  HTTPRouteDestination,
  Percent,
  RouteDestination,
} from '../resources/virtual-service.js'
import { validateHttpMatch, validateRegexField, validateStringMatch } from './http-route-match.js'
import {
  checkCorsHeaderName,
  checkDuration,
  checkHeaderOperationName,
  checkHeaderValue,
  checkPercentage,
  checkPort,
  checkSubsetName,
  checkWildcardDomain,
  goQuote,
} from './primitives.js'
import { VS_CODES } from './virtual-service-codes.js'
import { goFixed, type VirtualServiceReport } from './virtual-service-report.js'

/**
 * How a route is judged: an ordinary route, a root route (it has `delegate`) or a route of a
 * delegate VirtualService (one without `hosts`), as Istio's `getHTTPRouteType`.
 */
type RouteKind = 'independent' | 'root' | 'delegate'

/**
 * Istio's `validateHTTPRoute` for `spec.http[index]`: action conflicts, matches, header
 * operations, CORS, fault, mirrors, redirect, direct response, retries, rewrite, destinations and
 * timeout. `inDelegate` is true when the VirtualService has no `hosts`.
 */
export function validateHttpRoute(
  report: VirtualServiceReport,
  route: HTTPRoute,
  path: FieldPath,
  inDelegate: boolean,
): void {
  const kind: RouteKind = inDelegate ? 'delegate' : route.delegate != null ? 'root' : 'independent'
  validateRouteShape(report, route, path, kind)
  for (const [index, match] of (route.match ?? []).entries()) {
    if (match != null) validateHttpMatch(report, match, [...path, 'match', index])
  }
  validateHeaderOperations(report, route.headers, [...path, 'headers'])
  if (route.corsPolicy != null) validateCors(report, route.corsPolicy, [...path, 'corsPolicy'])
  if (route.fault != null) validateFault(report, route.fault, [...path, 'fault'])
  validateMirrorFields(report, route, path)
  if (route.redirect != null) {
    validateRedirect(report, route.redirect, route.match ?? [], [...path, 'redirect'])
  }
  if (route.directResponse != null) {
    validateDirectResponse(report, route.directResponse, [...path, 'directResponse'])
  }
  if (route.retries != null) validateRetries(report, route.retries, [...path, 'retries'])
  if (route.rewrite != null) validateRewrite(report, route.rewrite, [...path, 'rewrite'])
  validateAuthorityOnce(report, route.rewrite, route.headers, path)
  validateHttpDestinations(report, route.route ?? [], [...path, 'route'])
  if (route.timeout !== undefined) validateDuration(report, route.timeout, [...path, 'timeout'])
}

/** Istio's `validateHTTPRouteConflict`. */
function validateRouteShape(
  report: VirtualServiceReport,
  route: HTTPRoute,
  path: FieldPath,
  kind: RouteKind,
): void {
  const name = route.name ?? ''
  if (kind === 'root') {
    if (route.redirect != null) {
      report.error(VS_CODES.rootRouteAction, `root HTTP route ${name} must not specify redirect`, [
        ...path,
        'redirect',
      ])
    }
    if (route.route != null) {
      report.error(VS_CODES.rootRouteAction, `root HTTP route ${name} must not specify route`, [
        ...path,
        'route',
      ])
    }
    return
  }
  if (kind === 'delegate' && route.delegate != null) {
    report.error(VS_CODES.nestedDelegate, 'delegate HTTP route cannot contain delegate', [
      ...path,
      'delegate',
    ])
  }
  const hasRoute = (route.route?.length ?? 0) > 0
  const conflict = (message: string, field: string): void =>
    report.error(VS_CODES.conflictingActions, message, [...path, field])
  if (route.redirect != null) {
    if (hasRoute) conflict('HTTP route cannot contain both route and redirect', 'route')
    if (route.fault != null) conflict('HTTP route cannot contain both fault and redirect', 'fault')
    if (route.rewrite != null) {
      conflict('HTTP route rule cannot contain both rewrite and redirect', 'rewrite')
    }
    if (route.directResponse != null) {
      conflict('HTTP route rule cannot contain both direct_response and redirect', 'directResponse')
    }
  } else if (route.directResponse != null) {
    if (hasRoute) conflict('HTTP route cannot contain both route and direct_response', 'route')
    if (route.fault != null) {
      conflict('HTTP route cannot contain both fault and direct_response', 'fault')
    }
    if (route.rewrite != null) {
      conflict('HTTP route rule cannot contain both rewrite and direct_response', 'rewrite')
    }
  } else if (!hasRoute) {
    report.error(VS_CODES.missingAction, 'HTTP route, redirect or direct_response is required', path)
  }
  if (route.mirror != null && (route.mirrors?.length ?? 0) > 0) {
    report.error(VS_CODES.mirrorAndMirrors, 'HTTP route cannot contain both mirror and mirrors', [
      ...path,
      'mirrors',
    ])
  }
}

/** Header operations of a route or a destination (Istio checks both the same way). */
function validateHeaderOperations(
  report: VirtualServiceReport,
  headers: Headers | undefined,
  path: FieldPath,
): void {
  if (headers == null) return
  for (const side of ['request', 'response'] as const) {
    const ops = headers[side]
    if (ops == null) continue
    const kind = side === 'request' ? 'requestSet' : 'other'
    for (const op of ['set', 'add'] as const) {
      for (const [name, value] of Object.entries(ops[op] ?? {})) {
        const at = [...path, side, op, name]
        const nameProblem = checkHeaderOperationName(name, kind)
        if (nameProblem !== undefined) {
          report.error(VS_CODES.invalidHeaderOperationName, nameProblem, at)
        }
        const valueProblem = checkHeaderValue(value)
        if (valueProblem !== undefined) report.error(VS_CODES.invalidHeaderValue, valueProblem, at)
      }
    }
    for (const [index, name] of (ops.remove ?? []).entries()) {
      const problem = checkHeaderOperationName(name, 'other')
      if (problem !== undefined) {
        report.error(VS_CODES.invalidHeaderOperationName, problem, [...path, side, 'remove', index])
      }
    }
  }
}

function isAuthorityHeader(name: string): boolean {
  const lower = name.toLowerCase()
  return lower === ':authority' || lower === 'host'
}

/** Istio's `validateAuthorityRewrite`: the authority may be rewritten in one place only. */
function validateAuthorityOnce(
  report: VirtualServiceReport,
  rewrite: HTTPRewrite | undefined,
  headers: Headers | undefined,
  path: FieldPath,
): void {
  let current = rewrite?.authority ?? ''
  for (const op of ['set', 'add'] as const) {
    for (const [name, value] of Object.entries(headers?.request?.[op] ?? {})) {
      if (!isAuthorityHeader(name)) continue
      if (current !== '') {
        report.error(
          VS_CODES.authorityTwice,
          `authority header cannot be set multiple times: have ${goQuote(current)}, attempting to set ${goQuote(value)}`,
          [...path, 'headers', 'request', op, name],
        )
        return
      }
      current = value
    }
  }
}

/** A duration field: at least 1ms and a whole number of milliseconds. */
export function validateDuration(report: VirtualServiceReport, text: string, path: FieldPath): void {
  const problem = checkDuration(text)
  if (problem !== undefined) report.error(VS_CODES.invalidDuration, problem, path)
}

/** Istio's `validateDestination` (route, mirror and TLS/TCP destinations). */
export function validateDestination(
  report: VirtualServiceReport,
  destination: Destination | undefined,
  path: FieldPath,
): void {
  if (destination == null) return
  const host = destination.host ?? ''
  if (host === '*') {
    report.error(VS_CODES.invalidDestinationHost, `invalid destination host ${host}`, [...path, 'host'])
  } else {
    const problem = checkWildcardDomain(host)
    if (problem !== undefined) {
      report.error(VS_CODES.invalidDestinationHost, problem, [...path, 'host'])
    }
  }
  if (destination.subset !== undefined && destination.subset !== '') {
    const problem = checkSubsetName(destination.subset)
    if (problem !== undefined) report.error(VS_CODES.invalidSubset, problem, [...path, 'subset'])
  }
  if (destination.port != null) {
    const problem = checkPort(destination.port.number ?? 0)
    if (problem !== undefined) {
      report.error(VS_CODES.invalidPort, problem, [...path, 'port', 'number'])
    }
  }
}

/**
 * Istio's `validateHTTPRouteDestinations` / `validateRouteDestinations`: every entry needs a
 * destination, weights are ≥ 0, and several destinations need a positive total. Weights are
 * relative; they need not add up to 100.
 */
export function validateDestinations(
  report: VirtualServiceReport,
  routes: readonly (HTTPRouteDestination | RouteDestination)[],
  path: FieldPath,
): void {
  let total = 0
  for (const [index, entry] of routes.entries()) {
    const at = [...path, index]
    if (entry == null) continue
    if (entry.destination == null) {
      report.error(VS_CODES.missingDestination, 'destination is required', [...at, 'destination'])
    }
    if ('headers' in entry) validateHeaderOperations(report, entry.headers, [...at, 'headers'])
    validateDestination(report, entry.destination, [...at, 'destination'])
    const weight = entry.weight ?? 0
    if (weight < 0) report.error(VS_CODES.negativeWeight, `weight ${weight} < 0`, [...at, 'weight'])
    total += weight
  }
  if (routes.length > 1 && total === 0) {
    report.error(VS_CODES.zeroTotalWeight, 'total destination weight = 0', path)
  }
}

function validateHttpDestinations(
  report: VirtualServiceReport,
  routes: readonly HTTPRouteDestination[],
  path: FieldPath,
): void {
  validateDestinations(report, routes, path)
}

/** `mirror`, `mirrors`, `mirrorPercentage` and the deprecated `mirrorPercent`. */
function validateMirrorFields(report: VirtualServiceReport, route: HTTPRoute, path: FieldPath): void {
  if (route.mirrorPercent != null) {
    const value = route.mirrorPercent
    if (value > 100) {
      report.error(
        VS_CODES.invalidMirrorPercentage,
        `mirror_percent must have a max value of 100 (it has ${value})`,
        [...path, 'mirrorPercent'],
      )
    }
    report.warning(
      VS_CODES.deprecatedMirrorPercent,
      'using deprecated setting "mirrorPercent", use "mirrorPercentage" instead',
      [...path, 'mirrorPercent'],
    )
  }
  if (route.mirrorPercentage != null) {
    validateMirrorPercent(report, route.mirrorPercentage, 'mirror_percentage', [
      ...path,
      'mirrorPercentage',
      'value',
    ])
  }
  validateDestination(report, route.mirror, [...path, 'mirror'])
  for (const [index, mirror] of (route.mirrors ?? []).entries()) {
    const at = [...path, 'mirrors', index]
    if (mirror == null) {
      report.error(VS_CODES.invalidMirror, 'mirror cannot be null', at)
      continue
    }
    if (mirror.destination == null) {
      report.error(VS_CODES.invalidMirror, 'destination is required for mirrors', [...at, 'destination'])
      continue
    }
    validateDestination(report, mirror.destination, [...at, 'destination'])
    if (mirror.percentage != null) {
      validateMirrorPercent(report, mirror.percentage, 'mirror percentage', [...at, 'percentage', 'value'])
    }
  }
}

function validateMirrorPercent(
  report: VirtualServiceReport,
  percent: Percent,
  label: string,
  path: FieldPath,
): void {
  const value = percent.value ?? 0
  if (value > 100) {
    report.error(
      VS_CODES.invalidMirrorPercentage,
      `${label} must have a max value of 100 (it has ${goFixed(value)})`,
      path,
    )
  }
  if (value < 0) {
    report.error(
      VS_CODES.invalidMirrorPercentage,
      `${label} must have a min value of 0 (it has ${goFixed(value)})`,
      path,
    )
  }
}

/** Istio's `validateHTTPRedirect`; like Istio, it reports the first problem only. */
function validateRedirect(
  report: VirtualServiceReport,
  redirect: HTTPRedirect,
  matches: readonly HTTPMatchRequest[],
  path: FieldPath,
): void {
  const uri = redirect.uri ?? ''
  const prefixRewrite = redirect.prefixRewrite ?? ''
  if (uri !== '' && prefixRewrite !== '') {
    report.error(VS_CODES.redirectUriAndPrefix, 'redirect may only specify one of uri or prefix_rewrite', [
      ...path,
      'prefixRewrite',
    ])
    return
  }
  if (prefixRewrite !== '') {
    for (const match of matches) {
      if (match?.uri != null && match.uri.prefix === undefined) {
        report.error(
          VS_CODES.redirectPrefixNeedsPrefixMatch,
          'redirect prefix_rewrite requires all URI matches to use prefix match type',
          [...path, 'prefixRewrite'],
        )
        return
      }
    }
  }
  const changesSomething =
    uri !== '' ||
    prefixRewrite !== '' ||
    (redirect.authority ?? '') !== '' ||
    (redirect.scheme ?? '') !== '' ||
    redirect.port !== undefined ||
    redirect.derivePort !== undefined
  if (!changesSomething) {
    report.error(VS_CODES.emptyRedirect, 'redirect must specify URI, authority, scheme, or port', path)
    return
  }
  const code = redirect.redirectCode ?? 0
  if (code !== 0 && (code < 300 || code > 399)) {
    report.error(VS_CODES.invalidRedirectCode, `${code} is not a valid redirect code, must be 3xx`, [
      ...path,
      'redirectCode',
    ])
    return
  }
  const scheme = redirect.scheme ?? ''
  if (scheme !== '' && scheme !== 'http' && scheme !== 'https') {
    report.error(VS_CODES.invalidRedirectScheme, 'invalid redirect scheme, must be "http" or "https"', [
      ...path,
      'scheme',
    ])
    return
  }
  if (redirect.port !== undefined && redirect.port > 0) {
    const problem = checkPort(redirect.port)
    if (problem !== undefined) report.error(VS_CODES.invalidPort, problem, [...path, 'port'])
  }
}

const KIB = 1024
const MIB = 1024 * KIB

/** Istio's `validateHTTPDirectResponse`. */
function validateDirectResponse(
  report: VirtualServiceReport,
  response: HTTPDirectResponse,
  path: FieldPath,
): void {
  const body = response.body
  if (body != null) {
    let size = 0
    if (body.string !== undefined) size = Buffer.byteLength(body.string, 'utf8')
    else if (body.bytes !== undefined) size = Buffer.from(body.bytes, 'base64').length
    if (size > MIB) {
      report.error(
        VS_CODES.bodyTooLarge,
        'large direct_responses may impact control plane performance, must be less than 1MB',
        [...path, 'body'],
      )
    } else if (size > 100 * KIB) {
      report.warning(VS_CODES.largeBody, 'large direct_responses may impact control plane performance', [
        ...path,
        'body',
      ])
    }
  }
  validateHttpStatus(report, response.status ?? 0, [...path, 'status'])
}

/** Istio's `validateHTTPStatus`: 200..600 (the message says 599, the check allows 600). */
function validateHttpStatus(report: VirtualServiceReport, status: number, path: FieldPath): void {
  if (status < 200 || status > 600) {
    report.error(VS_CODES.invalidHttpStatus, `HTTP status ${status} is not in range 200-599`, path)
  }
}

const RETRY_ON_POLICIES = new Set([
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'envoy-ratelimited',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
])

/** The status codes Go's `http.StatusText` knows (a numeric `retryOn` token must be one). */
const KNOWN_STATUS_CODES = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307,
  308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421,
  422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
])

/** True when a `retryOn` token is a policy name or a status code Go knows (`503`, `+429`). */
function isRetryOnToken(token: string): boolean {
  if (RETRY_ON_POLICIES.has(token)) return true
  return /^[+-]?\d+$/.test(token) && KNOWN_STATUS_CODES.has(Number.parseInt(token, 10))
}

/** Istio's `ValidateHTTPRetry`. */
function validateRetries(report: VirtualServiceReport, retries: HTTPRetry, path: FieldPath): void {
  const attempts = retries.attempts ?? 0
  if (attempts < 0) {
    report.error(VS_CODES.negativeAttempts, 'attempts cannot be negative', [...path, 'attempts'])
  }
  const retryOn = retries.retryOn ?? ''
  if (
    attempts === 0 &&
    (retries.perTryTimeout !== undefined || retryOn !== '' || retries.retryRemoteLocalities != null)
  ) {
    report.error(
      VS_CODES.retriesDisabled,
      'http retry policy configured when attempts are set to 0 (disabled)',
      [...path, 'attempts'],
    )
  }
  if (retries.perTryTimeout !== undefined) {
    validateDuration(report, retries.perTryTimeout, [...path, 'perTryTimeout'])
  }
  if (retryOn !== '') {
    for (const token of retryOn.split(',')) {
      if (!isRetryOnToken(token)) {
        report.error(VS_CODES.invalidRetryOn, `${goQuote(token)} is not a valid retryOn policy`, [
          ...path,
          'retryOn',
        ])
      }
    }
  }
  if (retries.backoff !== undefined) validateDuration(report, retries.backoff, [...path, 'backoff'])
}

/** Istio's `validateHTTPRewrite` (first problem only, as Istio). */
function validateRewrite(report: VirtualServiceReport, rewrite: HTTPRewrite, path: FieldPath): void {
  const uri = rewrite.uri ?? ''
  const regexRewrite = rewrite.uriRegexRewrite
  if (uri !== '' && regexRewrite != null) {
    report.error(VS_CODES.rewriteUriAndRegex, 'rewrite may only contain one of URI or UriRegexRewrite', [
      ...path,
      'uriRegexRewrite',
    ])
    return
  }
  if (uri === '' && regexRewrite == null && (rewrite.authority ?? '') === '') {
    report.error(
      VS_CODES.emptyRewrite,
      'rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of URI or UriRegexRewrite may be specified',
      path,
    )
    return
  }
  if (regexRewrite == null) return
  const at = [...path, 'uriRegexRewrite']
  if ((regexRewrite.match ?? '') === '' || (regexRewrite.rewrite ?? '') === '') {
    report.error(
      VS_CODES.incompleteRegexRewrite,
      'UriRegexRewrite requires both Rewrite and Match fields to be specified',
      at,
    )
    return
  }
  validateRegexField(report, regexRewrite.match ?? '', 'HTTPRewrite.UriRegexRewrite.Match', [...at, 'match'])
}

const GRPC_STATUS_NAMES = new Set([
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
])

/** Istio's `validatePercentage`: 0, or within [0.0001, 100]. */
function validateFaultPercentage(
  report: VirtualServiceReport,
  percent: Percent | undefined,
  path: FieldPath,
): void {
  if (percent == null) return
  const problem = checkPercentage(percent.value ?? 0)
  if (problem !== undefined) {
    report.error(VS_CODES.invalidFaultPercentage, problem, [...path, 'value'])
  }
}

/** Istio's `validateHTTPFaultInjection` with its abort and delay parts. */
function validateFault(report: VirtualServiceReport, fault: HTTPFaultInjection, path: FieldPath): void {
  if (fault.abort == null && fault.delay == null) {
    report.error(VS_CODES.emptyFault, 'HTTP fault injection must have an abort and/or a delay', path)
  }
  const abort = fault.abort
  if (abort != null) {
    const at = [...path, 'abort']
    validateFaultPercentage(report, abort.percentage, [...at, 'percentage'])
    if (abort.grpcStatus !== undefined) {
      if (!GRPC_STATUS_NAMES.has(abort.grpcStatus)) {
        report.error(
          VS_CODES.invalidGrpcStatus,
          `gRPC status ${goQuote(abort.grpcStatus)} is not supported. See https://github.com/grpc/grpc/blob/master/doc/statuscodes.md for a list of supported codes, for example 'NOT_FOUND'`,
          [...at, 'grpcStatus'],
        )
      }
    } else if (abort.http2Error !== undefined) {
      report.error(VS_CODES.http2AbortUnsupported, 'HTTP/2 abort fault injection not supported yet', [
        ...at,
        'http2Error',
      ])
    } else if (abort.httpStatus !== undefined) {
      validateHttpStatus(report, abort.httpStatus, [...at, 'httpStatus'])
    } else {
      report.warning(VS_CODES.abortWithoutType, 'abort configured, but error type not set', at)
    }
  }
  const delay = fault.delay
  if (delay != null) {
    const at = [...path, 'delay']
    validateFaultPercentage(report, delay.percentage, [...at, 'percentage'])
    if (delay.fixedDelay !== undefined) {
      validateDuration(report, delay.fixedDelay, [...at, 'fixedDelay'])
    } else if (delay.exponentialDelay !== undefined) {
      validateDuration(report, delay.exponentialDelay, [...at, 'exponentialDelay'])
      report.error(VS_CODES.exponentialDelayUnsupported, 'exponentialDelay not supported yet', [
        ...at,
        'exponentialDelay',
      ])
    }
  }
}

const CORS_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  '*',
])

/** Istio's `validateCORSPolicy`. */
function validateCors(report: VirtualServiceReport, cors: CorsPolicy, path: FieldPath): void {
  for (const [index, origin] of (cors.allowOrigins ?? []).entries()) {
    const at = [...path, 'allowOrigins', index]
    const value = origin?.exact ?? origin?.prefix ?? origin?.regex ?? ''
    if (value === '') {
      report.error(
        VS_CODES.invalidCorsOrigin,
        `'${value}' is not a valid match type for CORS allow origins`,
        at,
      )
      continue
    }
    validateStringMatch(report, origin, 'corsPolicy.allowOrigins', at, true)
  }
  for (const [index, method] of (cors.allowMethods ?? []).entries()) {
    if (!CORS_METHODS.has(method)) {
      report.error(VS_CODES.invalidCorsMethod, `${goQuote(method)} is not a supported HTTP method`, [
        ...path,
        'allowMethods',
        index,
      ])
    }
  }
  for (const field of ['allowHeaders', 'exposeHeaders'] as const) {
    for (const [index, name] of (cors[field] ?? []).entries()) {
      const problem = checkCorsHeaderName(name)
      if (problem !== undefined) {
        report.error(VS_CODES.invalidCorsHeader, problem, [...path, field, index])
      }
    }
  }
  if (cors.maxAge !== undefined) {
    const at = [...path, 'maxAge']
    validateDuration(report, cors.maxAge, at)
    const nanos = parseDurationNanos(cors.maxAge)
    if (nanos !== undefined && nanos % 1_000_000_000n > 0n) {
      report.error(VS_CODES.corsMaxAgePrecision, 'max_age duration is accurate only to seconds precision', at)
    }
  }
}
