import type { FieldPath } from '../diagnostics/diagnostic.js'
import type { HTTPMatchRequest, StringMatch } from '../resources/virtual-service.js'
import {
  checkHeaderName,
  checkLabelsAll,
  checkPort,
  checkRegex,
  goQuote,
  isDns1123Label,
} from './primitives.js'
import { VS_CODES } from './virtual-service-codes.js'
import { validateGatewayNames } from './virtual-service-gateways.js'
import type { VirtualServiceReport } from './virtual-service-report.js'

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
    report.error(VS_CODES.emptyPrefix, `${goQuote(where)}: prefix string match should not be empty`, [
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
    report.error(VS_CODES.emptyRegex, `${goQuote(where)}: regex string match should not be empty`, path)
    return
  }
  const problem = checkRegex(regex, where)
  if (problem !== undefined) report.error(VS_CODES.invalidRegex, problem, path)
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
    const problem = checkHeaderName(name)
    if (problem !== undefined) report.error(VS_CODES.invalidMatchHeaderName, problem, at)
    validateStringMatch(report, value ?? undefined, 'headers', at)
  }
  for (const [name, value] of Object.entries(match.withoutHeaders ?? {})) {
    const at = [...path, 'withoutHeaders', name]
    const problem = checkHeaderName(name)
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
  for (const problem of checkLabelsAll(match.sourceLabels ?? {})) {
    report.error(VS_CODES.invalidSourceLabels, problem, [...path, 'sourceLabels'])
  }
  validateGatewayNames(report, match.gateways ?? [], [...path, 'gateways'])
  if (
    checkSourceNamespace &&
    match.sourceNamespace !== undefined &&
    match.sourceNamespace !== '' &&
    !isDns1123Label(match.sourceNamespace)
  ) {
    report.error(
      VS_CODES.invalidSourceNamespace,
      `sourceNamespace match ${match.sourceNamespace} is invalid`,
      [...path, 'sourceNamespace'],
    )
  }
}
