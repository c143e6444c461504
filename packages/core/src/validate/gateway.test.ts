import { describe, expect, it } from 'vitest'
import type { GatewayResource, GatewaySpec, Server } from '../resources/index.js'
import { validateGateway } from './gateway.js'
import { brief } from './test-helpers.js'

const gw = (spec: GatewaySpec, name = 'gw', annotations?: Record<string, string>): GatewayResource => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'Gateway',
  metadata: { name, ...(annotations === undefined ? {} : { annotations }) },
  spec,
})
const http = (extra: Partial<Server> = {}): Server => ({
  port: { number: 80, name: 'http', protocol: 'HTTP' },
  hosts: ['httpbin.example.com'],
  ...extra,
})
const https = (tls: Server['tls'], extra: Partial<Server> = {}): Server => ({
  port: { number: 443, name: 'https', protocol: 'HTTPS' },
  hosts: ['httpbin.example.com'],
  ...(tls === undefined ? {} : { tls }),
  ...extra,
})
const run = (r: GatewayResource) => validateGateway(r).map(brief)

describe('validateGateway: valid configurations', () => {
  it.each<[string, Server[]]>([
    ['plain HTTP', [http()]],
    ['lower-case protocol', [http({ port: { number: 80, name: 'http', protocol: 'http' } })]],
    [
      'host forms',
      [http({ hosts: ['*', '10.1.2.3', 'prod/*', './a.example.com', '*/a.example.com', '*.example.com'] })],
    ],
    ['port name not a DNS label', [http({ port: { number: 80, name: 'HTTP_80', protocol: 'HTTP' } })]],
    ['httpsRedirect on HTTP', [http({ tls: { httpsRedirect: true } })]],
    ['SIMPLE with credentialName', [https({ mode: 'SIMPLE', credentialName: 'c' })]],
    ['SIMPLE with files', [https({ mode: 'SIMPLE', serverCertificate: '/c.pem', privateKey: '/k.pem' })]],
    ['MUTUAL with credentialName', [https({ mode: 'MUTUAL', credentialName: 'c' })]],
    ['PASSTHROUGH on HTTPS', [https({ mode: 'PASSTHROUGH' })]],
    [
      'same port, different names',
      [
        https({ mode: 'SIMPLE', credentialName: 'a' }),
        https(
          { mode: 'SIMPLE', credentialName: 'b' },
          { port: { number: 443, name: 'https-b', protocol: 'HTTPS' } },
        ),
      ],
    ],
    ['bind IP', [http({ bind: '127.0.0.1' })]],
    [
      'unix bind with port 0',
      [http({ bind: 'unix:///tmp/gw.sock', port: { number: 0, name: 'uds', protocol: 'HTTP' } })],
    ],
    [
      'abstract unix bind',
      [http({ bind: 'unix://@gw', port: { number: 0, name: 'uds', protocol: 'HTTP' } })],
    ],
    [
      'TLS 1.0 with ciphers',
      [
        https({
          mode: 'SIMPLE',
          credentialName: 'c',
          minProtocolVersion: 'TLSV1_0',
          cipherSuites: ['AES128-SHA'],
        }),
      ],
    ],
  ])('%s', (_title, servers) => {
    expect(run(gw({ servers }))).toEqual([])
  })
})

describe('validateGateway: findings', () => {
  it.each<[string, GatewayResource, string[]]>([
    ['no servers', gw({}), ['E PTC2010 spec.servers | gateway must have at least one server']],
    [
      'empty servers',
      gw({ servers: [] }),
      ['E PTC2010 spec.servers | gateway must have at least one server'],
    ],
    [
      'dotted name',
      gw({ servers: [http()] }, 'web.gw'),
      ['E PTC2000 metadata.name | invalid gateway name: "web.gw"'],
    ],
    [
      'dry-run annotation',
      gw({ servers: [http()] }, 'gw', { 'istio.io/dry-run': 'true' }),
      [
        'E PTC2001 metadata.annotations["istio.io/dry-run"] | default/gw has unsupported annotation istio.io/dry-run, please remove the annotation',
      ],
    ],
    [
      'internal annotation',
      gw({ servers: [http()] }, 'gw', { 'internal.istio.io/parents': 'x' }),
      [
        'E PTC2001 metadata.annotations["internal.istio.io/parents"] | "internal.istio.io/parents" annotation found, this may not be set by users',
      ],
    ],
    [
      'no hosts',
      gw({ servers: [http({ hosts: [] })] }),
      ['E PTC2011 spec.servers[0].hosts | server config must contain at least one host'],
    ],
    [
      'short host',
      gw({ servers: [http({ hosts: ['httpbin'] })] }),
      ['E PTC2012 spec.servers[0].hosts[0] | short names (non FQDN) are not allowed'],
    ],
    [
      'partial wildcard host',
      gw({ servers: [http({ hosts: ['a.com', '*example.com'] })] }),
      ['E PTC2012 spec.servers[0].hosts[1] | partial wildcard "*example.com" not allowed'],
    ],
    [
      '~ namespace',
      gw({ servers: [http({ hosts: ['~/a.example.com'] })] }),
      ['E PTC2012 spec.servers[0].hosts[0] | invalid namespace value "~" in gateway'],
    ],
    [
      'unknown protocol',
      gw({ servers: [http({ port: { number: 80, name: 'p', protocol: 'QUIC' } })] }),
      [
        'E PTC2013 spec.servers[0].port.protocol | invalid protocol "QUIC", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP',
      ],
    ],
    [
      'port 0',
      gw({ servers: [http({ port: { number: 0, name: 'p', protocol: 'HTTP' } })] }),
      ['E PTC2014 spec.servers[0].port.number | port number 0 must be in the range 1..65535'],
    ],
    [
      'port 70000',
      gw({ servers: [http({ port: { number: 70000, name: 'p', protocol: 'HTTP' } })] }),
      ['E PTC2014 spec.servers[0].port.number | port number 70000 must be in the range 1..65535'],
    ],
    [
      'empty port name',
      gw({ servers: [http({ port: { number: 80, name: '', protocol: 'HTTP' } })] }),
      ['E PTC2015 spec.servers[0].port.name | port name must be set: number:80 protocol:"HTTP"'],
    ],
    [
      'targetPort',
      gw({ servers: [http({ port: { number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 } })] }),
      ['E PTC2016 spec.servers[0].port.targetPort | targetPort has no impact on Gateways'],
    ],
    [
      'duplicate port names',
      gw({ servers: [http(), http({ port: { number: 8080, name: 'http', protocol: 'HTTP' } })] }),
      ['E PTC2017 spec.servers[1].port.name | port names in servers must be unique: duplicate name http'],
    ],
    [
      'bad bind',
      gw({ servers: [http({ bind: 'localhost' })] }),
      ['E PTC2018 spec.servers[0].bind | localhost is not a valid IP'],
    ],
    [
      'unix bind with a port',
      gw({ servers: [http({ bind: 'unix://tmp/x' })] }),
      [
        'E PTC2018 spec.servers[0].bind | tmp/x is not an absolute path to a file',
        'E PTC2018 spec.servers[0].bind | port number must be 0 for unix domain socket: number:80 protocol:"HTTP" name:"http"',
      ],
    ],
    [
      'HTTPS without tls',
      gw({ servers: [https(undefined)] }),
      ['E PTC2019 spec.servers[0].port.protocol | server must have TLS settings for HTTPS/TLS protocols'],
    ],
    [
      'SIMPLE on HTTP',
      gw({ servers: [http({ tls: { httpsRedirect: true, mode: 'SIMPLE', credentialName: 'c' } })] }),
      ['E PTC2020 spec.servers[0].tls | server cannot have TLS settings for plain text HTTP ports'],
    ],
    [
      'tls on TCP',
      gw({
        servers: [
          http({
            port: { number: 31400, name: 'tcp', protocol: 'TCP' },
            tls: { mode: 'SIMPLE', credentialName: 'c' },
          }),
        ],
      }),
      ['E PTC2020 spec.servers[0].tls | server cannot have TLS settings for non HTTPS/TLS ports'],
    ],
    [
      'httpsRedirect on HTTPS',
      gw({ servers: [https({ mode: 'SIMPLE', credentialName: 'c', httpsRedirect: true })] }),
      [
        'W PTC2021 spec.servers[0].tls.httpsRedirect | tls.httpsRedirect should only be used with http servers',
      ],
    ],
    [
      'HTTPS with credentialName and no mode',
      gw({ servers: [https({ credentialName: 'c' })] }),
      ['W PTC2031 spec.servers[0].tls | PASSTHROUGH mode does not use certificates, they will be ignored'],
    ],
    [
      'SIMPLE without certificate',
      gw({ servers: [https({ mode: 'SIMPLE' })] }),
      [
        'E PTC2030 spec.servers[0].tls.serverCertificate | SIMPLE TLS requires a server certificate',
        'E PTC2030 spec.servers[0].tls.privateKey | SIMPLE TLS requires a private key',
      ],
    ],
    [
      'MUTUAL with files but no CA',
      gw({ servers: [https({ mode: 'MUTUAL', serverCertificate: '/c', privateKey: '/k' })] }),
      ['E PTC2030 spec.servers[0].tls.caCertificates | MUTUAL TLS requires a client CA bundle'],
    ],
    [
      'ISTIO_MUTUAL with certificate',
      gw({ servers: [https({ mode: 'ISTIO_MUTUAL', credentialName: 'c' })] }),
      [
        'E PTC2030 spec.servers[0].tls.credentialName | ISTIO_MUTUAL TLS cannot have associated credentialName',
      ],
    ],
    [
      'two certificate sources',
      gw({
        servers: [https({ mode: 'SIMPLE', credentialName: 'c', serverCertificate: '/c', privateKey: '/k' })],
      }),
      [
        'E PTC2030 spec.servers[0].tls | only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified',
      ],
    ],
    [
      'CRL with SIMPLE',
      gw({ servers: [https({ mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k', caCrl: '/crl' })] }),
      ['E PTC2030 spec.servers[0].tls.caCrl | CRL is not supported with SIMPLE TLS'],
    ],
    [
      'bad and duplicate ciphers, TLS 1.1 without ciphers',
      gw({
        servers: [
          https({ mode: 'SIMPLE', credentialName: 'c', cipherSuites: ['AES128-SHA', 'AES128-SHA', 'BOGUS'] }),
          https(
            { mode: 'SIMPLE', credentialName: 'c', minProtocolVersion: 'TLSV1_1' },
            { port: { number: 8443, name: 'h2', protocol: 'HTTPS' } },
          ),
        ],
      }),
      [
        'W PTC2031 spec.servers[0].tls.cipherSuites | ignoring invalid cipher suites: [BOGUS]',
        'W PTC2031 spec.servers[0].tls.cipherSuites | ignoring duplicate cipher suites: [AES128-SHA]',
        'W PTC2031 spec.servers[1].tls.minProtocolVersion | TLS version below TLSV1_2 require setting compatible ciphers as by default they no longer include compatible ciphers.',
      ],
    ],
    [
      'more than 2 tlsCertificates',
      gw({
        servers: [
          https({
            mode: 'SIMPLE',
            tlsCertificates: [
              { serverCertificate: '/a', privateKey: '/a' },
              { serverCertificate: '/b', privateKey: '/b' },
              { serverCertificate: '/c' },
            ],
          }),
        ],
      }),
      [
        'W PTC2031 spec.servers[0].tls.tlsCertificates | SIMPLE TLS can support up to 2 server certificates',
        'E PTC2030 spec.servers[0].tls.tlsCertificates[2].privateKey | SIMPLE TLS requires a private key',
      ],
    ],
  ])('%s', (_title, resource, expected) => {
    expect(run(resource)).toEqual(expected)
  })

  it('attaches the resource with the default namespace', () => {
    const [d] = validateGateway(gw({}))
    expect(d?.resource).toEqual({ kind: 'Gateway', namespace: 'default', name: 'gw' })
  })
})
