import type { Diagnostic, FieldPath } from '../diagnostics/diagnostic.js'
import type { GatewayResource, ServerTLSSettings } from '../resources/index.js'
import { type AnalysisContext, fullName, nsOf, selectorMatches, selectorString } from './analyze-context.js'
import { CODES } from './codes.js'
import { credentialProblem } from './credential.js'
import { Report } from './report.js'

/** The namespace where Istio's ingress gateway usually reads its credentials besides the Gateway's own. */
const GATEWAY_SYSTEM_NAMESPACE = 'istio-system'

/**
 * Istio's IngressGatewayPortAnalyzer/SecretAnalyzer selector check (IST0101 `selector`): the
 * Gateway's selector does not match the gateway process's labels, so this gateway serves none of
 * its servers. The message names both label sets. Returns whether the Gateway is selected.
 */
export function analyzeSelector(ctx: AnalysisContext, report: Report, gw: GatewayResource): boolean {
  if (selectorMatches(gw.spec.selector, ctx.labels)) return true
  const selector = selectorString(gw.spec.selector)
  const first = Object.keys(gw.spec.selector ?? {}).sort()[0]
  const labels = selectorString(ctx.labels)
  report.warning(
    CODES.referenceNotFound,
    `Referenced selector not found: ${JSON.stringify(selector)} (compared with the gateway's labels ${labels === '' ? '(none)' : labels})`,
    first === undefined ? ['spec', 'selector'] : ['spec', 'selector', first],
  )
  return false
}

/**
 * Istio's SecretAnalyzer for one selected Gateway: a `credentialName` (or `credentialNames`
 * entry) with no Secret in the Gateway's namespace or `istio-system` (IST0101 `credentialName`),
 * and one whose Secret cannot serve (IST0161: missing or empty keys, not PEM, expired or not yet
 * valid, a key that does not match, no CA for MUTUAL). The message says why.
 */
export function analyzeCredentials(ctx: AnalysisContext, report: Report, gw: GatewayResource): void {
  const namespaces = [nsOf(gw), GATEWAY_SYSTEM_NAMESPACE]
  for (const [i, server] of (gw.spec.servers ?? []).entries()) {
    const tls = server.tls
    if (tls === undefined) continue
    const names: [string, FieldPath][] = []
    if (tls.credentialName !== undefined && tls.credentialName !== '') {
      names.push([tls.credentialName, ['spec', 'servers', i, 'tls', 'credentialName']])
    }
    for (const [k, n] of (tls.credentialNames ?? []).entries())
      names.push([n, ['spec', 'servers', i, 'tls', 'credentialNames', k]])
    for (const [name, at] of names) {
      const ns = namespaces.find((n) => ctx.secrets.has(`${n}/${name}`))
      const secret = ns === undefined ? undefined : ctx.secrets.get(`${ns}/${name}`)
      if (secret === undefined) {
        report.warning(
          CODES.referenceNotFound,
          `Referenced credentialName not found: ${JSON.stringify(name)}`,
          at,
        )
        continue
      }
      const problem = credentialProblem(secret, {
        mutual: tls.mode === 'MUTUAL' || tls.mode === 'OPTIONAL_MUTUAL',
        caSecret: ctx.secrets.get(`${ns}/${name}-cacert`),
        now: ctx.now,
      })
      if (problem !== undefined) {
        report.warning(
          CODES.invalidGatewayCredential,
          `The credential referenced by the Gateway ${gw.metadata.name} in namespace ${nsOf(gw)} is invalid, which can cause the traffic not to work as expected. Secret ${ns}/${name}: ${problem}`,
          at,
        )
      }
    }
  }
}

/** Istio's `haveSameCertificate`: the same `credentialName`, or the same certificate and key files. */
function sameCertificate(a: ServerTLSSettings, b: ServerTLSSettings): boolean {
  const ca = a.credentialName ?? ''
  const cb = b.credentialName ?? ''
  if (ca !== '' || cb !== '') return ca !== '' && ca === cb
  return (
    (a.serverCertificate ?? '') !== '' &&
    a.serverCertificate === b.serverCertificate &&
    (a.privateKey ?? '') !== '' &&
    a.privateKey === b.privateKey
  )
}

/** True when every label of `a` is in `b` with the same value (an empty `a` selects everything). */
function selectorSubset(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
) {
  return selectorMatches(a, b ?? {})
}

/**
 * Istio's CertificateAnalyzer (IST0138): a Gateway and another whose selector includes all of its
 * labels both have TLS servers with the same certificate. A client that reuses an HTTP/2
 * connection opened for one Gateway's host for the other's gets 404s, since the connection stays
 * on the first server's routes. Reported on the first Gateway, at its name, once per other Gateway.
 */
export function analyzeDuplicateCertificates(ctx: AnalysisContext): Diagnostic[] {
  const gateways = [...ctx.gateways.values()]
  const diagnostics: Diagnostic[] = []
  for (const gw of gateways) {
    const report = new Report(gw)
    for (const other of gateways) {
      if (other === gw || !selectorSubset(gw.spec.selector, other.spec.selector)) continue
      const shared = (gw.spec.servers ?? []).some(
        (s) =>
          s.tls !== undefined &&
          (other.spec.servers ?? []).some(
            (o) => o.tls !== undefined && sameCertificate(s.tls as ServerTLSSettings, o.tls),
          ),
      )
      if (!shared) continue
      report.warning(
        CODES.duplicateCertificate,
        `Duplicate certificate in multiple gateways [${fullName(gw)} ${fullName(other)}] may cause 404s if clients re-use HTTP2 connections.`,
        ['metadata', 'name'],
      )
    }
    diagnostics.push(...report.diagnostics)
  }
  return diagnostics
}

/**
 * Istio's ConflictingGatewayAnalyzer (IST0145) without workload knowledge: Gateways conflict when
 * their selectors are equal and two of their servers share a port number, a host entry (as
 * written) and a bind address.
 */
export function analyzeConflictingGateways(ctx: AnalysisContext): Diagnostic[] {
  const gateways = [...ctx.gateways.values()]
  const diagnostics: Diagnostic[] = []
  for (const gw of gateways) {
    const report = new Report(gw)
    const selector = selectorString(gw.spec.selector)
    for (const [i, server] of (gw.spec.servers ?? []).entries()) {
      const conflicts: string[] = []
      for (const other of gateways) {
        if (other === gw || selectorString(other.spec.selector) !== selector) continue
        const clash = (other.spec.servers ?? []).some(
          (s) =>
            s.port.number === server.port.number &&
            (s.bind ?? '') === (server.bind ?? '') &&
            s.hosts.some((h) => server.hosts.includes(h)),
        )
        if (clash) conflicts.push(fullName(other))
      }
      if (conflicts.length > 0) {
        conflicts.sort()
        report.warning(
          CODES.conflictingGateways,
          `Conflict with gateways ${conflicts.join(',')} (workload selector ${selector}, port ${server.port.number}, hosts ${server.hosts.join(',')}).`,
          ['spec', 'servers', i],
        )
      }
    }
    diagnostics.push(...report.diagnostics)
  }
  return diagnostics
}
