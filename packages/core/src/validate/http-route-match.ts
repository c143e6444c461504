import type { FieldPath } from '../diagnostics/diagnostic.js'
import type { HTTPMatchRequest, StringMatch } from '../resources/virtual-service.js'
import { checkDns1123Label, checkHeaderName, checkLabels, checkPort, checkRegex } from './primitives.js'
import { VS_CODES } from './virtual-service-codes.js'
import { validateGatewayNames } from './virtual-service-gateways.js'
import { quote, type VirtualServiceReport } from './virtual-service-report.js'

/**
 * The `where` word Istio puts in front of string-match errors (`"method": prefix string match
 * should not be empty`).
 */
export type StringMatchSite =
  | 'uri'
  | 'scheme'
  | 'method'
  | 'authority'
  | 'headers'
  | 'queryParams'
  | 'withoutHeaders'
  | 'corsPolicy.allowOrigins'

/**
 * Istio's `validateStringMatch`: an empty `prefix` and an empty or invalid `regex` fail. With
 * `allowEmptyPrefix` (the `uri` field, Istio's `validateStringMatchRegexp`) only the regex is judged.
 */
export function validateStringMatch(
  report: VirtualServiceReport,
  match: StringMatch | undefined,
  where: StringMatchSite,
  path: FieldPath,
  allowEmptyPrefix = false,
): void {
  if (match == null) return
  if (!allowEmptyPrefix && match.prefix !== undefined && match.prefix === '') {
    report.error(VS_CODES.emptyPrefix, `${quote(where)}: prefix string match should not be empty`, [
      ...path,
      'prefix',
    ])
  }
  if (match.regex !== undefined) validateRegexField(report, match.regex, where, [...path, 'regex'])
}

/** A `regex` field: non-empty and valid RE2 of at most 1024 characters. */
export function validateRegexField(
  report: VirtualServiceReport,
  regex: string,
  where: string,
  path: FieldPath,
): void {
  if (regex === '') {
    report.error(VS_CODES.emptyRegex, `${quote(where)}: regex string match should not be empty`, path)
    return
  }
  const problem = checkRegex(regex)
  if (problem !== undefined) report.error(VS_CODES.invalidRegex, `${quote(where)}: ${problem}`, path)
}

const PSEUDO_HEADERS = new Set([':method', ':scheme', ':authority', ':path', ':status'])
const JWT_CLAIM_PREFIX = '@request.auth.claims'

/**
 * True when a match header name routes on a JWT claim (`@request.auth.claims.sub`,
 * `@request.auth.claims[groups]`), as Istio's `jwt.ToRoutingClaim(...).Match`.
 */
export function isJwtClaimHeader(name: string): boolean {
  if (!name.toLowerCase().startsWith(JWT_CLAIM_PREFIX)) return false
  const rest = name.slice(JWT_CLAIM_PREFIX.length)
  if (rest.startsWith('.')) return rest.length > 1
  return rest.startsWith('[') && rest.endsWith(']') && rest.length > 2
}

/** Istio's `ValidateHTTPHeaderNameOrJwtClaimRoute`: a token, a pseudo header or a JWT claim. */
function checkMatchHeaderName(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty'
  if (isJwtClaimHeader(name) || PSEUDO_HEADERS.has(name)) return undefined
  return checkHeaderName(name)
}

/** Istio's `validateHTTPRouteMatchRequest` for one `match[]` entry at `path`. */
export function validateHttpMatch(
  report: VirtualServiceReport,
  match: HTTPMatchRequest,
  path: FieldPath,
): void {
  for (const [name, value] of Object.entries(match.headers ?? {})) {
    const at = [...path, 'headers', name]
    if (value == null) report.error(VS_CODES.nullHeaderMatch, `header match ${name} cannot be null`, at)
    const problem = checkMatchHeaderName(name)
    if (problem !== undefined) report.error(VS_CODES.invalidMatchHeaderName, problem, at)
    validateStringMatch(report, value ?? undefined, 'headers', at)
  }
  for (const [name, value] of Object.entries(match.withoutHeaders ?? {})) {
    const at = [...path, 'withoutHeaders', name]
    const problem = checkMatchHeaderName(name)
    if (problem !== undefined) report.error(VS_CODES.invalidMatchHeaderName, problem, at)
    // `regex: "*"` is not RE2 here: Istio turns it into a presence match.
    if (value != null && value.regex !== '*') validateStringMatch(report, value, 'withoutHeaders', at)
  }
  validateStringMatch(report, match.uri, 'uri', [...path, 'uri'], true)
  validateStringMatch(report, match.scheme, 'scheme', [...path, 'scheme'])
  validateStringMatch(report, match.method, 'method', [...path, 'method'])
  validateStringMatch(report, match.authority, 'authority', [...path, 'authority'])
  for (const [name, value] of Object.entries(match.queryParams ?? {})) {
    validateStringMatch(report, value, 'queryParams', [...path, 'queryParams', name])
  }
  validateMatchCommon(report, match, path)
}

/** The match fields HTTP, TLS and TCP matches share: port, sourceLabels, gateways, sourceNamespace. */
export function validateMatchCommon(
  report: VirtualServiceReport,
  match: {
    readonly port?: number | undefined
    readonly sourceLabels?: Readonly<Record<string, string>> | undefined
    readonly gateways?: readonly string[] | undefined
    readonly sourceNamespace?: string | undefined
  },
  path: FieldPath,
  checkSourceNamespace = true,
): void {
  if (match.port !== undefined && match.port !== 0) {
    const problem = checkPort(match.port)
    if (problem !== undefined) report.error(VS_CODES.invalidPort, problem, [...path, 'port'])
  }
  if (match.sourceLabels !== undefined) {
    const problem = checkLabels(match.sourceLabels)
    if (problem !== undefined) {
      report.error(VS_CODES.invalidSourceLabels, problem, [...path, 'sourceLabels'])
    }
  }
  validateGatewayNames(report, match.gateways ?? [], [...path, 'gateways'])
  if (
    checkSourceNamespace &&
    match.sourceNamespace !== undefined &&
    match.sourceNamespace !== '' &&
    checkDns1123Label(match.sourceNamespace) !== undefined
  ) {
    report.error(
      VS_CODES.invalidSourceNamespace,
      `sourceNamespace match ${match.sourceNamespace} is invalid`,
      [...path, 'sourceNamespace'],
    )
  }
}
