import { describe, expect, it } from 'vitest'
import type { DestinationRuleResource, DestinationRuleSpec } from '../resources/index.js'
import { validateDestinationRule } from './destination-rule.js'
import { brief } from './test-helpers.js'

const dr = (spec: DestinationRuleSpec, namespace?: string): DestinationRuleResource => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'dr', ...(namespace === undefined ? {} : { namespace }) },
  spec,
})
const run = (spec: DestinationRuleSpec) => validateDestinationRule(dr(spec)).map(brief)

describe('validateDestinationRule: valid', () => {
  it.each<[string, DestinationRuleSpec]>([
    ['host only', { host: 'httpbin' }],
    ['wildcard host', { host: '*.example.com' }],
    ['subsets', { host: 'httpbin', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2' }] }],
    ['tcp idleTimeout 0s', { host: 'h', trafficPolicy: { connectionPool: { tcp: { idleTimeout: '0s' } } } }],
    [
      'cookie with ttl 0s',
      {
        host: 'h',
        trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: 's', ttl: '0s' } } } },
      },
    ],
    [
      'maglev prime',
      { host: 'h', trafficPolicy: { loadBalancer: { consistentHash: { maglev: { tableSize: 65537 } } } } },
    ],
    ['simple LB', { host: 'h', trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } }],
    [
      'client MUTUAL with credentialName',
      { host: 'h', trafficPolicy: { tls: { mode: 'MUTUAL', credentialName: 'c' } } },
    ],
    [
      'port level',
      {
        host: 'h',
        trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, loadBalancer: { simple: 'RANDOM' } }] },
      },
    ],
    ['exportTo', { host: 'h', exportTo: ['.', 'other'] }],
    [
      'selector with own namespace',
      { host: 'h', exportTo: ['.'], workloadSelector: { matchLabels: { app: 'a' } } },
    ],
  ])('%s', (_title, spec) => {
    expect(run(spec)).toEqual([])
  })
})

describe('validateDestinationRule: findings', () => {
  it.each<[string, DestinationRuleSpec, string[]]>([
    ['empty host', { host: '' }, ['E PTC2100 spec.host | empty domain name not allowed']],
    [
      'bad host',
      { host: 'a_b.com' },
      ['E PTC2100 spec.host | domain name "a_b.com" invalid (label "a_b" invalid)'],
    ],
    [
      'empty traffic policy',
      { host: 'h', trafficPolicy: {} },
      ['E PTC2101 spec.trafficPolicy | traffic policy must have at least one field'],
    ],
    [
      'empty subset policy',
      { host: 'h', subsets: [{ name: 'v1', trafficPolicy: {} }] },
      ['E PTC2101 spec.subsets[0].trafficPolicy | traffic policy must have at least one field'],
    ],
    [
      'tunnel with proxyProtocol',
      {
        host: 'h',
        trafficPolicy: { tunnel: { targetHost: 'a.com', targetPort: 80 }, proxyProtocol: { version: 'V1' } },
      },
      ['E PTC2102 spec.trafficPolicy | tunnel and proxyProtocol must not be set together'],
    ],
    [
      'bad tunnel',
      { host: 'h', trafficPolicy: { tunnel: { protocol: 'GET', targetHost: 'a_b', targetPort: 0 } } },
      [
        'E PTC2116 spec.trafficPolicy.tunnel.protocol | tunnel protocol must be "CONNECT" or "POST"',
        'E PTC2116 spec.trafficPolicy.tunnel.targetHost | tunnel target host must be valid FQDN or IP address: domain name "a_b" invalid (label "a_b" invalid); a_b is not a valid IP',
        'E PTC2116 spec.trafficPolicy.tunnel.targetPort | tunnel target port is invalid: port number 0 must be in the range 1..65535',
      ],
    ],
    [
      'subset names',
      { host: 'h', subsets: [{ name: 'v1' }, { name: 'v1' }, { name: 'v1.0' }, { name: '' }] },
      [
        'E PTC2103 spec.subsets[1].name | duplicate subset names: v1',
        'E PTC2103 spec.subsets[2].name | subset name is invalid: v1.0',
        'E PTC2103 spec.subsets[3].name | subset name cannot be empty',
      ],
    ],
    [
      'subset labels',
      { host: 'h', subsets: [{ name: 'v1', labels: { k: 'bad value' } }] },
      ['E PTC2104 spec.subsets[0].labels | invalid tag value: "bad value"'],
    ],
    [
      'empty pool',
      { host: 'h', trafficPolicy: { connectionPool: {} } },
      ['E PTC2105 spec.trafficPolicy.connectionPool | connection pool must have at least one field'],
    ],
    [
      'pool limits',
      {
        host: 'h',
        trafficPolicy: {
          connectionPool: {
            http: {
              http1MaxPendingRequests: -1,
              maxRetries: -1,
              h2UpgradePolicy: 'UPGRADE',
              useClientProtocol: true,
              http2KeepAlive: {},
            },
            tcp: { maxConnections: -1 },
          },
        },
      },
      [
        'E PTC2105 spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests | http1 max pending requests must be non-negative',
        'E PTC2105 spec.trafficPolicy.connectionPool.http.maxRetries | max retries must be non-negative',
        'E PTC2105 spec.trafficPolicy.connectionPool.http.useClientProtocol | use client protocol must not be true when H2UpgradePolicy is UPGRADE',
        'E PTC2105 spec.trafficPolicy.connectionPool.http.http2KeepAlive.interval | http2 keepalive interval is required',
        'E PTC2105 spec.trafficPolicy.connectionPool.http.http2KeepAlive.timeout | http2 keepalive timeout is required',
        'E PTC2105 spec.trafficPolicy.connectionPool.tcp.maxConnections | max connections must be non-negative',
      ],
    ],
    [
      'durations',
      {
        host: 'h',
        trafficPolicy: {
          connectionPool: {
            http: { idleTimeout: '0s' },
            tcp: { connectTimeout: '1.5ms', idleTimeout: '1500us' },
          },
        },
      },
      [
        'E PTC2115 spec.trafficPolicy.connectionPool.http.idleTimeout | duration must be greater than 1ms',
        'E PTC2115 spec.trafficPolicy.connectionPool.tcp.connectTimeout | only durations to ms precision are supported',
        'E PTC2115 spec.trafficPolicy.connectionPool.tcp.idleTimeout | only durations to ms precision are supported',
      ],
    ],
    [
      'outlier detection',
      {
        host: 'h',
        trafficPolicy: {
          outlierDetection: {
            consecutiveErrors: 5,
            consecutiveLocalOriginFailures: 3,
            maxEjectionPercent: 150,
            interval: '0s',
          },
        },
      },
      [
        'W PTC2107 spec.trafficPolicy.outlierDetection.consecutiveErrors | outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead',
        'E PTC2106 spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures | outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false',
        'E PTC2115 spec.trafficPolicy.outlierDetection.interval | duration must be greater than 1ms',
        'E PTC2106 spec.trafficPolicy.outlierDetection.maxEjectionPercent | percentage 150 is not in range 0..100',
      ],
    ],
    [
      'cookie without name',
      { host: 'h', trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: '' } } } } },
      [
        'E PTC2108 spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name | name required for HttpCookie',
      ],
    ],
    [
      'maglev not prime',
      { host: 'h', trafficPolicy: { loadBalancer: { consistentHash: { maglev: { tableSize: 1000 } } } } },
      [
        'E PTC2108 spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize | tableSize must be a prime number for maglev',
      ],
    ],
    [
      'minimumRingSize',
      {
        host: 'h',
        trafficPolicy: { loadBalancer: { consistentHash: { useSourceIp: true, minimumRingSize: 1024 } } },
      },
      [
        "W PTC2109 spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize | consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead",
      ],
    ],
    [
      'locality failover without outlier detection',
      {
        host: 'h',
        trafficPolicy: { loadBalancer: { localityLbSetting: { failover: [{ from: 'us', to: 'eu' }] } } },
      },
      [
        'W PTC2109 spec.trafficPolicy.loadBalancer.localityLbSetting | outlier detection policy must be provided for failover',
      ],
    ],
    [
      'client MUTUAL without files',
      { host: 'h', trafficPolicy: { tls: { mode: 'MUTUAL' } } },
      [
        'E PTC2110 spec.trafficPolicy.tls.clientCertificate | client certificate required for mutual tls',
        'E PTC2110 spec.trafficPolicy.tls.privateKey | private key required for mutual tls',
      ],
    ],
    [
      'credentialName with files',
      { host: 'h', trafficPolicy: { tls: { mode: 'SIMPLE', credentialName: 'c', caCertificates: '/ca' } } },
      [
        'E PTC2110 spec.trafficPolicy.tls | cannot specify client certificates or CA certificate or CA CRL If credentialName is set',
      ],
    ],
    [
      'insecureSkipVerify with SANs',
      {
        host: 'h',
        trafficPolicy: { tls: { mode: 'SIMPLE', insecureSkipVerify: true, subjectAltNames: ['a'] } },
      },
      [
        'E PTC2110 spec.trafficPolicy.tls | cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true',
      ],
    ],
    [
      'port level without port or settings',
      { host: 'h', trafficPolicy: { portLevelSettings: [{}] } },
      [
        'E PTC2111 spec.trafficPolicy.portLevelSettings[0].port | portTrafficPolicy must have valid port',
        'E PTC2111 spec.trafficPolicy.portLevelSettings[0] | port traffic policy must have at least one field',
      ],
    ],
    [
      'exportTo ~',
      { host: 'h', exportTo: ['~'] },
      ['E PTC2112 spec.exportTo | exportTo ~ (none) is not allowed for Istio configuration objects'],
    ],
    [
      'selector exported elsewhere',
      { host: 'h', exportTo: ['other'], workloadSelector: { matchLabels: { app: 'a' } } },
      [
        'E PTC2112 spec.exportTo | destination rule with workload selector cannot have exportTo beyond current namespace',
      ],
    ],
    [
      'wildcard selector',
      { host: 'h', workloadSelector: { matchLabels: { app: '*' } } },
      ['E PTC2113 spec.workloadSelector.matchLabels.app | wildcard is not supported in selector: "app=*"'],
    ],
    [
      'empty selector',
      { host: 'h', workloadSelector: {} },
      ['W PTC2114 spec.workloadSelector | workload selector specified without labels'],
    ],
  ])('%s', (_title, spec, expected) => {
    expect(run(spec)).toEqual(expected)
  })

  it('reports the namespace of the resource', () => {
    const [d] = validateDestinationRule(dr({ host: '' }, 'prod'))
    expect(d?.resource).toEqual({ kind: 'DestinationRule', namespace: 'prod', name: 'dr' })
  })
})
