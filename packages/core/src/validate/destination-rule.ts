import type { Diagnostic, FieldPath } from '../diagnostics/diagnostic.js'
import { durationMillis } from '../model/duration.js'
import { DEFAULT_NAMESPACE } from '../model/names.js'
import type {
  ClientTLSSettings,
  ConnectionPoolSettings,
  DestinationRuleResource,
  LoadBalancerSettings,
  LocalityLoadBalancerSetting,
  OutlierDetection,
  PortTrafficPolicy,
  TrafficPolicy,
} from '../resources/index.js'
import { CODES } from './codes.js'
import { validateMetadata } from './metadata.js'
import {
  checkDuration,
  checkExportTo,
  checkFqdn,
  checkIpAddress,
  checkLabelsAll,
  checkPercent,
  checkPort,
  checkSubsetName,
  checkWildcardDomain,
} from './primitives.js'
import { Report } from './report.js'

/**
 * Judges one DestinationRule the way Istio's admission webhook does (`ValidateDestinationRule`,
 * `validateTrafficPolicy` and the checks under it, `ValidateTLS`, `validateExportTo`,
 * `validateWorkloadSelector`).
 */
export function validateDestinationRule(resource: DestinationRuleResource): Diagnostic[] {
  const report = new Report(resource)
  validateMetadata(resource, report)
  const namespace = resource.metadata.namespace ?? DEFAULT_NAMESPACE
  const spec = resource.spec
  report.check(CODES.drHost, checkWildcardDomain(spec.host), ['spec', 'host'])
  if (spec.trafficPolicy !== undefined)
    validateTrafficPolicy(report, spec.trafficPolicy, ['spec', 'trafficPolicy'])
  const names = new Set<string>()
  for (const [i, subset] of (spec.subsets ?? []).entries()) {
    const at: FieldPath = ['spec', 'subsets', i]
    if (names.has(subset.name))
      report.error(CODES.subsetName, `duplicate subset names: ${subset.name}`, [...at, 'name'])
    names.add(subset.name)
    report.check(CODES.subsetName, checkSubsetName(subset.name), [...at, 'name'])
    for (const message of checkLabelsAll(subset.labels ?? {}))
      report.error(CODES.labels, message, [...at, 'labels'])
    if (subset.trafficPolicy !== undefined)
      validateTrafficPolicy(report, subset.trafficPolicy, [...at, 'trafficPolicy'])
  }
  for (const message of checkExportTo(namespace, spec.exportTo ?? [], {
    workloadSelector: spec.workloadSelector !== undefined,
  })) {
    report.error(CODES.exportTo, message, ['spec', 'exportTo'])
  }
  const selector = spec.workloadSelector
  if (selector !== undefined) {
    const labels = selector.matchLabels ?? {}
    for (const [k, v] of Object.entries(labels)) {
      const at: FieldPath = ['spec', 'workloadSelector', 'matchLabels', k]
      if (k === '') {
        report.error(
          CODES.workloadSelector,
          `empty key is not supported in selector: ${JSON.stringify(`${k}=${v}`)}`,
          at,
        )
      }
      if (k.includes('*') || v.includes('*')) {
        report.error(
          CODES.workloadSelector,
          `wildcard is not supported in selector: ${JSON.stringify(`${k}=${v}`)}`,
          at,
        )
      }
    }
    if (Object.keys(labels).length === 0) {
      report.warning(CODES.workloadSelectorWarning, 'workload selector specified without labels', [
        'spec',
        'workloadSelector',
      ])
    }
  }
  return report.diagnostics
}

function validateTrafficPolicy(report: Report, policy: TrafficPolicy, at: FieldPath): void {
  if (
    policy.outlierDetection === undefined &&
    policy.connectionPool === undefined &&
    policy.loadBalancer === undefined &&
    policy.tls === undefined &&
    policy.portLevelSettings === undefined &&
    policy.tunnel === undefined &&
    policy.proxyProtocol === undefined &&
    policy.retryBudget === undefined
  ) {
    report.error(CODES.trafficPolicyEmpty, 'traffic policy must have at least one field', at)
    return
  }
  if (policy.tunnel !== undefined && policy.proxyProtocol !== undefined) {
    report.error(CODES.tunnelAndProxyProtocol, 'tunnel and proxyProtocol must not be set together', at)
    return
  }
  validateOutlierDetection(report, policy.outlierDetection, [...at, 'outlierDetection'])
  validateConnectionPool(report, policy.connectionPool, [...at, 'connectionPool'])
  validateLoadBalancer(report, policy.loadBalancer, policy.outlierDetection, [...at, 'loadBalancer'])
  validateClientTls(report, policy.tls, [...at, 'tls'])
  for (const [i, pl] of (policy.portLevelSettings ?? []).entries()) {
    validatePortTrafficPolicy(report, pl, [...at, 'portLevelSettings', i])
  }
  const tunnel = policy.tunnel
  if (tunnel !== undefined) {
    const t: FieldPath = [...at, 'tunnel']
    if (
      tunnel.protocol !== undefined &&
      tunnel.protocol !== '' &&
      tunnel.protocol !== 'CONNECT' &&
      tunnel.protocol !== 'POST'
    ) {
      report.error(CODES.tunnel, 'tunnel protocol must be "CONNECT" or "POST"', [...t, 'protocol'])
    }
    const fqdn = checkFqdn(tunnel.targetHost)
    const ip = checkIpAddress(tunnel.targetHost)
    if (fqdn !== undefined && ip !== undefined) {
      report.error(CODES.tunnel, `tunnel target host must be valid FQDN or IP address: ${fqdn}; ${ip}`, [
        ...t,
        'targetHost',
      ])
    }
    const port = checkPort(tunnel.targetPort)
    if (port !== undefined)
      report.error(CODES.tunnel, `tunnel target port is invalid: ${port}`, [...t, 'targetPort'])
  }
}

function validatePortTrafficPolicy(report: Report, pl: PortTrafficPolicy, at: FieldPath): void {
  if (pl.port === undefined)
    report.error(CODES.portTrafficPolicy, 'portTrafficPolicy must have valid port', [...at, 'port'])
  if (
    pl.outlierDetection === undefined &&
    pl.connectionPool === undefined &&
    pl.loadBalancer === undefined &&
    pl.tls === undefined
  ) {
    report.error(CODES.portTrafficPolicy, 'port traffic policy must have at least one field', at)
    return
  }
  validateOutlierDetection(report, pl.outlierDetection, [...at, 'outlierDetection'])
  validateConnectionPool(report, pl.connectionPool, [...at, 'connectionPool'])
  validateLoadBalancer(report, pl.loadBalancer, pl.outlierDetection, [...at, 'loadBalancer'])
  validateClientTls(report, pl.tls, [...at, 'tls'])
}

function duration(report: Report, text: string | undefined, at: FieldPath): void {
  if (text === undefined) return
  report.check(CODES.duration, checkDuration(text), at)
}

function validateOutlierDetection(
  report: Report,
  outlier: OutlierDetection | undefined,
  at: FieldPath,
): void {
  if (outlier === undefined) return
  duration(report, outlier.baseEjectionTime, [...at, 'baseEjectionTime'])
  if ((outlier.consecutiveErrors ?? 0) !== 0) {
    report.warning(
      CODES.outlierDetectionWarning,
      'outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead',
      [...at, 'consecutiveErrors'],
    )
  }
  if (outlier.splitExternalLocalOriginErrors !== true && (outlier.consecutiveLocalOriginFailures ?? 0) > 0) {
    report.error(
      CODES.outlierDetection,
      'outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false',
      [...at, 'consecutiveLocalOriginFailures'],
    )
  }
  duration(report, outlier.interval, [...at, 'interval'])
  report.check(CODES.outlierDetection, checkPercent(outlier.maxEjectionPercent ?? 0), [
    ...at,
    'maxEjectionPercent',
  ])
  report.check(CODES.outlierDetection, checkPercent(outlier.minHealthPercent ?? 0), [
    ...at,
    'minHealthPercent',
  ])
}

function validateConnectionPool(
  report: Report,
  pool: ConnectionPoolSettings | undefined,
  at: FieldPath,
): void {
  if (pool === undefined) return
  if (pool.http === undefined && pool.tcp === undefined) {
    report.error(CODES.connectionPool, 'connection pool must have at least one field', at)
    return
  }
  const http = pool.http
  if (http !== undefined) {
    const h: FieldPath = [...at, 'http']
    const nonNegative = (value: number | undefined, field: string, what: string): void => {
      if ((value ?? 0) < 0) report.error(CODES.connectionPool, `${what} must be non-negative`, [...h, field])
    }
    nonNegative(http.http1MaxPendingRequests, 'http1MaxPendingRequests', 'http1 max pending requests')
    nonNegative(http.http2MaxRequests, 'http2MaxRequests', 'http2 max requests')
    nonNegative(http.maxRequestsPerConnection, 'maxRequestsPerConnection', 'max requests per connection')
    nonNegative(http.maxRetries, 'maxRetries', 'max retries')
    duration(report, http.idleTimeout, [...h, 'idleTimeout'])
    if (http.h2UpgradePolicy === 'UPGRADE' && http.useClientProtocol === true) {
      report.error(
        CODES.connectionPool,
        'use client protocol must not be true when H2UpgradePolicy is UPGRADE',
        [...h, 'useClientProtocol'],
      )
    }
    nonNegative(http.maxConcurrentStreams, 'maxConcurrentStreams', 'max concurrent streams')
    const keepalive = http.http2KeepAlive
    if (keepalive !== undefined) {
      const k: FieldPath = [...h, 'http2KeepAlive']
      if (keepalive.interval === undefined) {
        report.error(CODES.connectionPool, 'http2 keepalive interval is required', [...k, 'interval'])
      } else duration(report, keepalive.interval, [...k, 'interval'])
      if (keepalive.timeout === undefined) {
        report.error(CODES.connectionPool, 'http2 keepalive timeout is required', [...k, 'timeout'])
      } else duration(report, keepalive.timeout, [...k, 'timeout'])
    }
  }
  const tcp = pool.tcp
  if (tcp !== undefined) {
    const t: FieldPath = [...at, 'tcp']
    if ((tcp.maxConnections ?? 0) < 0) {
      report.error(CODES.connectionPool, 'max connections must be non-negative', [...t, 'maxConnections'])
    }
    duration(report, tcp.connectTimeout, [...t, 'connectTimeout'])
    duration(report, tcp.maxConnectionDuration, [...t, 'maxConnectionDuration'])
    // A TCP idle timeout of 0 whole milliseconds disables it; Istio skips the check then.
    const idle = tcp.idleTimeout === undefined ? undefined : durationMillis(tcp.idleTimeout)
    if (idle !== undefined && Math.trunc(idle) !== 0) duration(report, tcp.idleTimeout, [...t, 'idleTimeout'])
    duration(report, tcp.tcpKeepalive?.time, [...t, 'tcpKeepalive', 'time'])
    duration(report, tcp.tcpKeepalive?.interval, [...t, 'tcpKeepalive', 'interval'])
  }
}

function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true
  if (x % 2 === 0) return false
  const limit = Math.floor(Math.sqrt(x))
  for (let f = 3; f <= limit; f += 2) if (x % f === 0) return false
  return true
}

function validateLoadBalancer(
  report: Report,
  lb: LoadBalancerSettings | undefined,
  outlier: OutlierDetection | undefined,
  at: FieldPath,
): void {
  if (lb === undefined) return
  const ch = lb.consistentHash
  if (ch !== undefined) {
    const c: FieldPath = [...at, 'consistentHash']
    const cookie = ch.httpCookie
    if (cookie !== undefined && cookie.name === '') {
      report.error(CODES.loadBalancer, 'name required for HttpCookie', [...c, 'httpCookie', 'name'])
    }
    const attributeNames = new Set<string>()
    for (const [i, attr] of (cookie?.attributes ?? []).entries()) {
      const a: FieldPath = [...c, 'httpCookie', 'attributes', i, 'name']
      if (attr.name === '') {
        report.error(CODES.loadBalancer, 'cookie attribute name cannot be empty', a)
        continue
      }
      if (attributeNames.has(attr.name))
        report.error(CODES.loadBalancer, `duplicate cookie attribute name: ${attr.name}`, a)
      attributeNames.add(attr.name)
    }
    if ((ch.minimumRingSize ?? 0) !== 0) {
      report.warning(
        CODES.loadBalancerWarning,
        "consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead",
        [...c, 'minimumRingSize'],
      )
      if (ch.ringHash !== undefined || ch.maglev !== undefined) {
        report.error(CODES.loadBalancer, 'only one of MinimumRingSize or Maglev/Ringhash can be specified', [
          ...c,
          'minimumRingSize',
        ])
      }
    }
    const maglev = ch.maglev
    if (maglev !== undefined) {
      const size = maglev.tableSize ?? 0
      const m: FieldPath = [...c, 'maglev', 'tableSize']
      if (size === 0) report.error(CODES.loadBalancer, 'tableSize must be set for maglev', m)
      if (size >= 5000011)
        report.error(CODES.loadBalancer, 'tableSize must be less than 5000011 for maglev', m)
      if (!isPrime(size)) report.error(CODES.loadBalancer, 'tableSize must be a prime number for maglev', m)
    }
  }
  if (lb.localityLbSetting !== undefined && lb.zoneAwareLbSetting !== undefined) {
    report.error(CODES.loadBalancer, 'only one of localityLbSetting and zoneAwareLbSetting can be set', at)
  }
  validateLocality(report, lb.localityLbSetting, outlier, [...at, 'localityLbSetting'])
  const warm = lb.warmup
  if (warm !== undefined) {
    const w: FieldPath = [...at, 'warmup']
    duration(report, warm.duration, [...w, 'duration'])
    if ((warm.minimumPercent ?? 0) > 100) {
      report.error(CODES.loadBalancer, 'minimumPercent value should be less than or equal to 100', [
        ...w,
        'minimumPercent',
      ])
    }
    if (warm.aggression !== undefined && warm.aggression !== null && warm.aggression <= 0) {
      report.error(CODES.loadBalancer, 'aggression should be greater than 0', [...w, 'aggression'])
    }
  }
}

/** The checks of Istio's `ValidateLocalityLbSetting` that need no topology knowledge. */
function validateLocality(
  report: Report,
  lb: LocalityLoadBalancerSetting | undefined,
  outlier: OutlierDetection | undefined,
  at: FieldPath,
): void {
  if (lb === undefined) return
  const distribute = lb.distribute ?? []
  const failover = lb.failover ?? []
  if (distribute.length > 0 && failover.length > 0) {
    report.error(CODES.loadBalancer, "can not simultaneously specify 'distribute' and 'failover'", at)
    return
  }
  for (const [i, d] of distribute.entries()) {
    let total = 0
    for (const weight of Object.values(d.to ?? {})) {
      if (weight <= 0 || weight > 100) {
        report.error(CODES.loadBalancer, 'locality weight must be in range [1, 100]', [
          ...at,
          'distribute',
          i,
          'to',
        ])
        return
      }
      total += weight
    }
    if (total !== 100) {
      report.error(CODES.loadBalancer, `total locality weight ${total} != 100`, [
        ...at,
        'distribute',
        i,
        'to',
      ])
      return
    }
  }
  if ((failover.length > 0 || (lb.failoverPriority ?? []).length > 0) && outlier === undefined) {
    report.warning(CODES.loadBalancerWarning, 'outlier detection policy must be provided for failover', at)
  }
  for (const [i, f] of failover.entries()) {
    const from = f.from ?? ''
    const to = f.to ?? ''
    const p: FieldPath = [...at, 'failover', i]
    if (from === to)
      report.error(CODES.loadBalancer, 'locality lb failover settings must specify different regions', p)
    if (from.includes('/') || to.includes('/'))
      report.error(CODES.loadBalancer, 'locality lb failover only specify region', p)
    if (from.includes('*') || to.includes('*')) {
      report.error(CODES.loadBalancer, "locality lb failover region should not contain '*' wildcard", p)
    }
  }
}

function validateClientTls(report: Report, tls: ClientTLSSettings | undefined, at: FieldPath): void {
  if (tls === undefined) return
  const set = (value: string | undefined): boolean => value !== undefined && value !== ''
  if (tls.insecureSkipVerify === true) {
    if (
      tls.mode === 'SIMPLE' &&
      (set(tls.caCertificates) || set(tls.credentialName) || tls.subjectAltNames !== undefined)
    ) {
      report.error(
        CODES.clientTls,
        'cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true',
        at,
      )
    }
    if (tls.mode === 'MUTUAL' && (set(tls.caCertificates) || tls.subjectAltNames !== undefined)) {
      report.error(
        CODES.clientTls,
        'cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true',
        at,
      )
    }
  }
  if ((tls.mode === 'SIMPLE' || tls.mode === 'MUTUAL') && set(tls.credentialName)) {
    if (set(tls.clientCertificate) || set(tls.caCertificates) || set(tls.privateKey) || set(tls.caCrl)) {
      report.error(
        CODES.clientTls,
        'cannot specify client certificates or CA certificate or CA CRL If credentialName is set',
        at,
      )
    }
    return
  }
  if (tls.mode === 'MUTUAL') {
    if (!set(tls.clientCertificate)) {
      report.error(CODES.clientTls, 'client certificate required for mutual tls', [
        ...at,
        'clientCertificate',
      ])
    }
    if (!set(tls.privateKey))
      report.error(CODES.clientTls, 'private key required for mutual tls', [...at, 'privateKey'])
  }
}
