// Helpers the benchmark scripts share.
import { spawnSync } from 'node:child_process'
import { get as httpGet } from 'node:http'
import { createServer } from 'node:net'
import { join } from 'node:path'

/** The status of `GET path` on 127.0.0.1:`port` with `host` as Host (0 when the request fails), body discarded. */
export function statusOf(port, path, host) {
  return new Promise((res) => {
    const q = httpGet({ host: '127.0.0.1', port, path, headers: host ? { host } : {}, agent: false }, (r) => {
      r.resume()
      r.on('end', () => res(r.statusCode))
    })
    q.on('error', () => res(0))
  })
}

/** A TCP port free on 127.0.0.1 at the time of asking. */
export async function freePort() {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port
      s.close(() => res(p))
    })
  })
}

/** A self-signed P-256 certificate for `host` written by openssl into `dir` as tls.crt and tls.key. */
export function selfSignedCertificate(dir, host) {
  const crt = join(dir, 'tls.crt')
  const key = join(dir, 'tls.key')
  spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      crt,
      '-days',
      '2',
      '-subj',
      `/CN=${host}`,
      '-addext',
      `subjectAltName=DNS:${host}`,
    ],
    { stdio: 'ignore' },
  )
  return { crt, key }
}

/**
 * The seed-shaped configuration every benchmark puts in front of its upstream: a Gateway on 80
 * (and on 443 with TLS 1.3 when a certificate is given), a ServiceEntry for the upstream on
 * 127.0.0.1, and the VirtualService routing /status and /delay to it.
 */
export function benchConfigYaml({ host, upstreamPort, cert }) {
  const https = cert
    ? `  - port: { number: 443, name: https, protocol: HTTPS }
    hosts: ["${host}"]
    tls: { mode: SIMPLE, serverCertificate: ${cert.crt}, privateKey: ${cert.key}, minProtocolVersion: TLSV1_3 }
`
    : ''
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: httpbin-gateway }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: ["${host}"]
${https}---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: httpbin }
spec:
  hosts: [httpbin.default.svc.cluster.local]
  location: MESH_INTERNAL
  ports: [{ number: 8000, name: http, protocol: HTTP }]
  resolution: STATIC
  endpoints:
  - address: 127.0.0.1
    ports: { http: ${upstreamPort} }
    labels: { version: v1 }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin }
spec:
  hosts: ["${host}"]
  gateways: [httpbin-gateway]
  http:
  - match: [{ uri: { prefix: /status } }, { uri: { prefix: /delay } }]
    route: [{ destination: { host: httpbin, port: { number: 8000 } } }]
`
}
