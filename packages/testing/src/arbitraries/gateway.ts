import type { GatewayResource, Server, ServerTLSSettings } from '@portico/core'
import fc from 'fast-check'
import {
  baseDomain,
  dnsLabel,
  hostUnder,
  ipAddress,
  namespaceName,
  networkingApiVersion,
  objectMeta,
  type SizeOptions,
  uniqueList,
} from './primitives.js'

/** Options of `arbitraries.gateway`. */
export interface GatewayArbitraryOptions extends SizeOptions {
  /** Most servers per Gateway (default 4). */
  readonly maxServers?: number
  /** The Gateway's namespace (default: drawn, sometimes absent). */
  readonly namespace?: string
  /** Domains the server hosts are drawn under (default: random base domains, `*` sometimes). */
  readonly domains?: readonly string[]
  /** Only plaintext HTTP and terminated HTTPS servers (what routing and serving exercise). */
  readonly httpOnly?: boolean
  /** Certificate paths for SIMPLE/MUTUAL servers instead of `credentialName`s. */
  readonly certificateFiles?: boolean
  /** Only plaintext HTTP-class servers (no TLS at all). */
  readonly plaintext?: boolean
  /** Let server hosts carry a namespace (`ns/host`, `./host`, `*` namespace); default true. */
  readonly namespacedHosts?: boolean
}

const CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
]

/** A Gateway server host: `[ns/]host` with host a name under one of `domains`, a wildcard, `*` or an IP. */
export function serverHost(
  domains: readonly string[] | undefined,
  withNamespace: boolean,
): fc.Arbitrary<string> {
  const domain = domains === undefined || domains.length === 0 ? baseDomain : fc.constantFrom(...domains)
  const dns = fc.oneof(
    { weight: 5, arbitrary: domain.chain(hostUnder) },
    { weight: 2, arbitrary: domain.map((d) => `*.${d}`) },
    { weight: domains === undefined ? 1 : 0, arbitrary: fc.constant('*') },
    { weight: domains === undefined ? 1 : 0, arbitrary: fc.ipV4() },
  )
  if (!withNamespace) return dns
  return fc
    .tuple(fc.option(fc.oneof(fc.constantFrom('*', '.'), namespaceName), { nil: undefined, freq: 3 }), dns)
    .map(([ns, host]) => (ns === undefined ? host : `${ns}/${host}`))
}

const certFiles = fc.record({
  serverCertificate: fc.constantFrom('/etc/certs/tls.crt', '/etc/istio/ingressgateway-certs/tls.crt'),
  privateKey: fc.constantFrom('/etc/certs/tls.key', '/etc/istio/ingressgateway-certs/tls.key'),
})
const caFile = fc.constantFrom('/etc/certs/ca.crt', '/etc/istio/ingressgateway-ca-certs/ca-chain.cert.pem')

const versions = fc.record(
  {
    minProtocolVersion: fc.constantFrom('TLSV1_2' as const, 'TLS_AUTO' as const),
    maxProtocolVersion: fc.constantFrom('TLSV1_3' as const, 'TLS_AUTO' as const),
    cipherSuites: fc.uniqueArray(fc.constantFrom(...CIPHERS), { minLength: 1, maxLength: 2 }),
  },
  { requiredKeys: [] },
)

/** TLS settings of a terminating (SIMPLE / MUTUAL / OPTIONAL_MUTUAL) HTTPS server. */
export function terminatingTls(files: boolean | undefined): fc.Arbitrary<ServerTLSSettings> {
  const credential = dnsLabel.map((name) => ({ credentialName: `${name}-credential` }))
  const several = fc.oneof(
    fc
      .uniqueArray(dnsLabel, { minLength: 1, maxLength: 2 })
      .map((names) => ({ credentialNames: names.map((n) => `${n}-credential`) })),
    fc.array(certFiles, { minLength: 1, maxLength: 2 }).map((tlsCertificates) => ({ tlsCertificates })),
  )
  const source =
    files === undefined
      ? fc.oneof(
          { weight: 3, arbitrary: credential },
          { weight: 3, arbitrary: certFiles },
          { weight: 1, arbitrary: several },
        )
      : files
        ? certFiles
        : credential
  const simple = fc
    .tuple(source, versions)
    .map(([source, v]): ServerTLSSettings => ({ mode: 'SIMPLE', ...source, ...v }))
  const mutualFiles = fc
    .tuple(certFiles, caFile, fc.constantFrom('MUTUAL' as const, 'OPTIONAL_MUTUAL' as const))
    .map(([source, ca, mode]): ServerTLSSettings => ({ mode, ...source, caCertificates: ca }))
  const mutualCredential = fc
    .tuple(
      credential,
      fc.constantFrom('MUTUAL' as const, 'OPTIONAL_MUTUAL' as const),
      fc.option(
        fc.constantFrom<string[]>(['client.example.com'], ['spiffe://cluster.local/ns/default/sa/client']),
        {
          nil: undefined,
        },
      ),
    )
    .map(
      ([source, mode, sans]): ServerTLSSettings => ({
        mode,
        ...source,
        ...(sans ? { subjectAltNames: sans } : {}),
      }),
    )
  if (files === true) return fc.oneof({ weight: 4, arbitrary: simple }, { weight: 1, arbitrary: mutualFiles })
  if (files === false)
    return fc.oneof({ weight: 4, arbitrary: simple }, { weight: 1, arbitrary: mutualCredential })
  return fc.oneof(
    { weight: 4, arbitrary: simple },
    { weight: 1, arbitrary: mutualFiles },
    { weight: 1, arbitrary: mutualCredential },
  )
}

function server(options: GatewayArbitraryOptions): fc.Arbitrary<Server> {
  const hosts = fc.uniqueArray(serverHost(options.domains, options.namespacedHosts ?? true), {
    minLength: 1,
    maxLength: 3,
  })
  const name = fc.option(dnsLabel, { nil: undefined, freq: 3 })
  const portName = fc.oneof(dnsLabel, fc.constantFrom('http', 'https', 'HTTP_80', 'tls-passthrough'))
  const http = fc
    .record({
      number: fc.constantFrom(80, 8080, 8000),
      protocol: fc.constantFrom('HTTP', 'http', 'HTTP2', 'GRPC', 'GRPC-WEB'),
      portName,
      hosts,
      redirect: fc.integer({ min: 0, max: 5 }),
      name,
    })
    .map(
      ({ number, protocol, portName, hosts, redirect, name }): Server => ({
        port: { number, name: portName, protocol },
        hosts,
        ...(redirect === 0 ? { tls: { httpsRedirect: true } } : {}),
        ...(name === undefined ? {} : { name }),
      }),
    )
  const https = fc
    .record({
      number: fc.constantFrom(443, 8443),
      portName,
      hosts,
      tls: terminatingTls(options.certificateFiles),
      name,
    })
    .map(
      ({ number, portName, hosts, tls, name }): Server => ({
        port: { number, name: portName, protocol: 'HTTPS' },
        hosts,
        tls,
        ...(name === undefined ? {} : { name }),
      }),
    )
  if (options.plaintext) return http
  if (options.httpOnly) return fc.oneof({ weight: 3, arbitrary: http }, { weight: 2, arbitrary: https })
  const passthrough = fc
    .record({
      number: fc.constantFrom(443, 15443, 9443),
      protocol: fc.constantFrom('TLS', 'HTTPS'),
      mode: fc.constantFrom('PASSTHROUGH' as const, 'AUTO_PASSTHROUGH' as const),
      portName,
      hosts,
    })
    .map(
      ({ number, protocol, mode, portName, hosts }): Server => ({
        port: { number, name: portName, protocol },
        hosts,
        tls: { mode },
      }),
    )
  const istioMutual = fc.record({ portName, hosts }).map(
    ({ portName, hosts }): Server => ({
      port: { number: 15443, name: portName, protocol: 'TLS' },
      hosts,
      tls: { mode: 'ISTIO_MUTUAL' },
    }),
  )
  const tcp = fc
    .record({
      number: fc.integer({ min: 1024, max: 65535 }),
      protocol: fc.constantFrom('TCP', 'MONGO', 'REDIS', 'MYSQL'),
      portName,
      hosts,
      bind: fc.option(ipAddress, { nil: undefined, freq: 4 }),
    })
    .map(
      ({ number, protocol, portName, hosts, bind }): Server => ({
        port: { number, name: portName, protocol },
        hosts,
        ...(bind === undefined ? {} : { bind }),
      }),
    )
  // A unix domain socket listener: port number 0 with an absolute `unix://` path.
  const unix = fc.record({ portName, hosts, socket: dnsLabel }).map(
    ({ portName, hosts, socket }): Server => ({
      port: { number: 0, name: portName, protocol: 'HTTP' },
      hosts,
      bind: `unix:///var/run/${socket}.sock`,
    }),
  )
  return fc.oneof(
    { weight: 8, arbitrary: http },
    { weight: 6, arbitrary: https },
    { weight: 2, arbitrary: passthrough },
    { weight: 2, arbitrary: istioMutual },
    { weight: 2, arbitrary: tcp },
    { weight: 1, arbitrary: unix },
  )
}

/** The servers of one Gateway, with unique port names. */
export function gatewayServers(options: GatewayArbitraryOptions = {}): fc.Arbitrary<Server[]> {
  return uniqueList(server(options), (s) => s.port.name, 1, options.maxServers ?? 4, options)
}

/**
 * A valid `Gateway`: a DNS-label name, selector `istio: ingressgateway` (sometimes with more
 * labels), one or more servers (HTTP and its kin, HTTPS with SIMPLE/MUTUAL termination by
 * credential or files, TLS passthrough, ISTIO_MUTUAL, TCP) with unique port names.
 */
export function gatewayArbitrary(options: GatewayArbitraryOptions = {}): fc.Arbitrary<GatewayResource> {
  return fc
    .record({
      apiVersion: networkingApiVersion,
      metadata: objectMeta({
        label: true,
        ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
      }),
      servers: gatewayServers(options),
      extraSelector: fc.boolean(),
    })
    .map(
      ({ apiVersion, metadata, servers, extraSelector }): GatewayResource => ({
        apiVersion,
        kind: 'Gateway',
        metadata,
        spec: {
          selector: extraSelector
            ? { istio: 'ingressgateway', app: 'istio-ingressgateway' }
            : { istio: 'ingressgateway' },
          servers,
        },
      }),
    )
}
