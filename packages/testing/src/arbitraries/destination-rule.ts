import type {
  ClientTLSSettings,
  ConnectionPoolSettings,
  DestinationRuleResource,
  LoadBalancerSettings,
  OutlierDetection,
  Subset,
  TrafficPolicy,
} from '@portico/core'
import fc from 'fast-check'
import {
  dnsLabel,
  duration,
  fqdn,
  ipAddress,
  labels,
  networkingApiVersion,
  objectMeta,
  portNumber,
  type SizeOptions,
  uniqueList,
} from './primitives.js'

const nonEmpty = <T extends object>(value: T): boolean => Object.keys(value).length > 0

/** Load balancing: a simple policy or a consistent hash (header, cookie, source IP, query parameter). */
export const loadBalancerArbitrary: fc.Arbitrary<LoadBalancerSettings> = fc.oneof(
  fc.record(
    {
      simple: fc.constantFrom(
        'ROUND_ROBIN' as const,
        'LEAST_REQUEST' as const,
        'RANDOM' as const,
        'LEAST_CONN' as const,
        'PASSTHROUGH' as const,
      ),
      warmupDurationSecs: duration({ maxMs: 600_000 }),
      localityLbSetting: fc.oneof(
        fc.constant({ enabled: true }),
        fc.integer({ min: 1, max: 99 }).map((w) => ({
          distribute: [{ from: 'us-west/zone1/*', to: { 'us-west/zone1/*': w, 'us-west/zone2/*': 100 - w } }],
        })),
      ),
    },
    { requiredKeys: ['simple'] },
  ),
  fc
    .record(
      {
        key: fc.oneof(
          fc.constantFrom('x-user', 'x-session').map((httpHeaderName) => ({ httpHeaderName })),
          fc
            .record(
              {
                name: fc.constantFrom('session', 'affinity'),
                path: fc.constantFrom('/', '/api'),
                ttl: fc.oneof(fc.constant('0s'), duration()),
              },
              { requiredKeys: ['name'] },
            )
            .map((httpCookie) => ({ httpCookie })),
          fc.constant({ useSourceIp: true }),
          fc.constantFrom('user', 'id').map((httpQueryParameterName) => ({ httpQueryParameterName })),
        ),
        table: fc.oneof(
          fc.integer({ min: 1, max: 1 << 20 }).map((minimumRingSize) => ({ ringHash: { minimumRingSize } })),
          fc.constantFrom(65537, 1021, 4099).map((tableSize) => ({ maglev: { tableSize } })),
          fc.integer({ min: 1, max: 1 << 20 }).map((minimumRingSize) => ({ minimumRingSize })),
        ),
      },
      { requiredKeys: ['key'] },
    )
    .map(({ key, table }): LoadBalancerSettings => ({ consistentHash: { ...key, ...(table ?? {}) } })),
)

/** Connection pool limits with at least one of `tcp` / `http`, each with at least one field. */
export const connectionPoolArbitrary: fc.Arbitrary<ConnectionPoolSettings> = fc
  .record(
    {
      tcp: fc
        .record(
          {
            maxConnections: fc.integer({ min: 0, max: 10_000 }),
            connectTimeout: duration({ maxMs: 30_000 }),
            tcpKeepalive: fc.record(
              {
                probes: fc.integer({ min: 1, max: 9 }),
                time: duration(),
                interval: duration({ maxMs: 60_000 }),
              },
              { requiredKeys: [] },
            ),
            maxConnectionDuration: duration(),
            idleTimeout: fc.oneof(fc.constant('0s'), duration()),
          },
          { requiredKeys: [] },
        )
        .filter(nonEmpty),
      http: fc
        .record(
          {
            http1MaxPendingRequests: fc.integer({ min: 0, max: 10_000 }),
            http2MaxRequests: fc.integer({ min: 0, max: 10_000 }),
            maxRequestsPerConnection: fc.integer({ min: 0, max: 1_000 }),
            maxRetries: fc.integer({ min: 0, max: 10 }),
            idleTimeout: duration(),
            policy: fc.oneof(
              fc
                .constantFrom('DEFAULT' as const, 'DO_NOT_UPGRADE' as const)
                .chain((h2UpgradePolicy) =>
                  fc.boolean().map((useClientProtocol) => ({ h2UpgradePolicy, useClientProtocol })),
                ),
              fc.constant({ h2UpgradePolicy: 'UPGRADE' as const }),
            ),
            maxConcurrentStreams: fc.integer({ min: 0, max: 1_000 }),
            http2KeepAlive: fc.record({
              interval: duration({ maxMs: 60_000 }),
              timeout: duration({ maxMs: 60_000 }),
            }),
          },
          { requiredKeys: [] },
        )
        .map(({ policy, ...rest }) => ({ ...rest, ...(policy ?? {}) }))
        .filter(nonEmpty),
    },
    { requiredKeys: [] },
  )
  .filter(nonEmpty)

/** Outlier detection with valid percentages and local-origin settings. */
export const outlierDetectionArbitrary: fc.Arbitrary<OutlierDetection> = fc
  .record(
    {
      consecutive5xxErrors: fc.integer({ min: 0, max: 100 }),
      consecutiveGatewayErrors: fc.integer({ min: 0, max: 100 }),
      local: fc
        .integer({ min: 1, max: 20 })
        .map((n) => ({ splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: n })),
      interval: duration({ maxMs: 60_000 }),
      baseEjectionTime: duration({ maxMs: 600_000 }),
      maxEjectionPercent: fc.integer({ min: 0, max: 100 }),
      minHealthPercent: fc.integer({ min: 0, max: 100 }),
    },
    { requiredKeys: [] },
  )
  .map(({ local, ...rest }): OutlierDetection => ({ ...rest, ...(local ?? {}) }))
  .filter(nonEmpty)

/** Upstream TLS: DISABLE, SIMPLE (CA + SANs or insecure), MUTUAL (files or credential), ISTIO_MUTUAL. */
export const clientTlsArbitrary: fc.Arbitrary<ClientTLSSettings> = fc.oneof(
  fc.constant({ mode: 'DISABLE' as const }),
  fc.constant({ mode: 'ISTIO_MUTUAL' as const }),
  fc
    .record(
      {
        caCertificates: fc.constant('/etc/certs/upstream-ca.pem'),
        subjectAltNames: fc.array(fqdn, { minLength: 1, maxLength: 2 }),
        sni: fqdn,
      },
      { requiredKeys: [] },
    )
    .map((rest): ClientTLSSettings => ({ mode: 'SIMPLE', ...rest })),
  fqdn.map((sni): ClientTLSSettings => ({ mode: 'SIMPLE', insecureSkipVerify: true, sni })),
  fc.constant<ClientTLSSettings>({
    mode: 'MUTUAL',
    clientCertificate: '/etc/certs/client.pem',
    privateKey: '/etc/certs/client-key.pem',
    caCertificates: '/etc/certs/upstream-ca.pem',
  }),
  dnsLabel.map((name): ClientTLSSettings => ({ mode: 'MUTUAL', credentialName: `${name}-client` })),
)

/** A traffic policy with at least one field (`tunnel` and `proxyProtocol` never together). */
export function trafficPolicyArbitrary(
  options: { readonly portLevel?: boolean } = {},
): fc.Arbitrary<TrafficPolicy> {
  const portLevel = fc
    .record(
      {
        port: fc.record({ number: portNumber }),
        loadBalancer: loadBalancerArbitrary,
        connectionPool: connectionPoolArbitrary,
        outlierDetection: outlierDetectionArbitrary,
        tls: clientTlsArbitrary,
      },
      { requiredKeys: ['port'] },
    )
    .filter((p) => Object.keys(p).length > 1)
  return fc
    .record(
      {
        loadBalancer: loadBalancerArbitrary,
        connectionPool: connectionPoolArbitrary,
        outlierDetection: outlierDetectionArbitrary,
        tls: clientTlsArbitrary,
        portLevelSettings: options.portLevel
          ? fc.uniqueArray(portLevel, { selector: (p) => p.port.number, minLength: 1, maxLength: 2 })
          : fc.constant(undefined),
        l4: fc.oneof(
          fc
            .record(
              {
                protocol: fc.constantFrom('CONNECT', 'POST'),
                targetHost: fc.oneof(fqdn, ipAddress),
                targetPort: portNumber,
              },
              { requiredKeys: ['targetHost', 'targetPort'] },
            )
            .map((tunnel) => ({ tunnel })),
          fc.constantFrom('V1' as const, 'V2' as const).map((version) => ({ proxyProtocol: { version } })),
        ),
      },
      { requiredKeys: [] },
    )
    .map(
      ({ l4, portLevelSettings, ...rest }): TrafficPolicy => ({
        ...rest,
        ...(portLevelSettings === undefined ? {} : { portLevelSettings }),
        ...(l4 ?? {}),
      }),
    )
    .filter(nonEmpty)
}

/** Options of `arbitraries.destinationRule`. */
export interface DestinationRuleArbitraryOptions extends SizeOptions {
  /** The rule's host (default: a short name, FQDN or wildcard). */
  readonly host?: fc.Arbitrary<string>
  /** Subsets to declare (default: random names and labels). */
  readonly subsets?: fc.Arbitrary<Subset[]>
  /** The rule's namespace (default: drawn, sometimes absent). */
  readonly namespace?: string
}

/** Subsets with unique DNS-label names, label selectors and sometimes their own policy. */
export function subsetsArbitrary(options: SizeOptions = {}): fc.Arbitrary<Subset[]> {
  return uniqueList(
    fc.record(
      {
        name: fc.oneof(fc.constantFrom('v1', 'v2', 'v3', 'canary', 'stable'), dnsLabel),
        labels: labels(2),
        trafficPolicy: trafficPolicyArbitrary(),
      },
      { requiredKeys: ['name'] },
    ),
    (s) => s.name,
    0,
    3,
    options,
  )
}

/**
 * A valid `DestinationRule`: a host, a traffic policy (load balancer, connection pool, outlier
 * detection, client TLS, port-level settings, tunnel or PROXY protocol), subsets, exportTo.
 */
export function destinationRuleArbitrary(
  options: DestinationRuleArbitraryOptions = {},
): fc.Arbitrary<DestinationRuleResource> {
  return fc
    .record(
      {
        apiVersion: networkingApiVersion,
        metadata: objectMeta(options.namespace === undefined ? {} : { namespace: options.namespace }),
        host:
          options.host ??
          fc.oneof(
            dnsLabel,
            fqdn,
            fqdn.map((h) => `*.${h}`),
          ),
        trafficPolicy: trafficPolicyArbitrary({ portLevel: true }),
        subsets: options.subsets ?? subsetsArbitrary(options),
        scope: fc.oneof(
          fc.constantFrom<string[]>(['.'], ['*']).map((exportTo) => ({ exportTo })),
          labels(2)
            .filter((l) => Object.keys(l).length > 0)
            .map((matchLabels) => ({ workloadSelector: { matchLabels }, exportTo: ['.'] })),
        ),
      },
      { requiredKeys: ['apiVersion', 'metadata', 'host'] },
    )
    .map(
      ({ apiVersion, metadata, host, subsets, scope, ...rest }): DestinationRuleResource => ({
        apiVersion,
        kind: 'DestinationRule',
        metadata,
        spec: {
          host,
          ...rest,
          ...(subsets === undefined || subsets.length === 0 ? {} : { subsets }),
          ...(scope ?? {}),
        },
      }),
    )
}
