import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto'
import { createSecureContext, type SecureContext, type SecureContextOptions, type TLSSocket } from 'node:tls'
import type { CompiledServer, PemSource, ServerTls } from '@portico/core'
import { PorticoServerError } from '../errors.js'
import { readPem } from '../pem.js'

/**
 * Envoy's default server cipher list for TLS ≤ 1.2 (ECDHE key exchange with AEAD ciphers only),
 * flattened from BoringSSL's equal-preference groups into OpenSSL syntax.
 */
export const ENVOY_TLS12_CIPHERS: readonly string[] = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
]

/** TLS 1.3 suites: not configurable in Envoy, so always all three. */
export const TLS13_CIPHERS: readonly string[] = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
]

/** Envoy's default curves. */
export const ENVOY_CURVES = 'X25519:P-256'

/** The options of one terminating TLS server, certificates read and validated. */
export interface ServerTlsOptions extends SecureContextOptions {
  readonly requestCert: boolean
  readonly rejectUnauthorized: boolean
}

/** A terminated server's TLS material, ready for a Node TLS server. */
export interface LoadedServerTls {
  readonly options: ServerTlsOptions
  /** The same material as one context (for SNICallback-style users and for checks). */
  readonly context: SecureContext
  readonly mode: ServerTls['mode']
  readonly subjectAltNames: readonly string[]
}

function describe(source: PemSource): string {
  return source.kind === 'file'
    ? `file ${source.path}`
    : `Secret ${source.secret.namespace}/${source.secret.name}`
}

/**
 * Reads and checks a terminating server's certificate, key and CA, and returns the Node TLS
 * options that enforce its mode, versions and ciphers. Throws a {@link PorticoServerError}
 * naming the server and the file when something is missing, unreadable or mismatched.
 */
export function loadServerTls(server: CompiledServer): LoadedServerTls {
  const tls = server.tls
  if (tls === undefined) {
    throw new PorticoServerError('PTC4103', `server ${server.name}: TLS settings are missing`)
  }
  if (tls.mode === 'ISTIO_MUTUAL' || tls.mode === 'AUTO_PASSTHROUGH') {
    throw new PorticoServerError('PTC4105', `server ${server.name}: TLS mode ${tls.mode} is not supported`)
  }
  if (tls.certificate === undefined || tls.privateKey === undefined) {
    const via = tls.credentialName === undefined ? '' : ` (credentialName ${tls.credentialName})`
    throw new PorticoServerError('PTC4103', `server ${server.name}: no server certificate and key${via}`)
  }
  const cert = readPem(tls.certificate, server.name, 'certificate')
  const key = readPem(tls.privateKey, server.name, 'private key')
  const mutual = tls.mode === 'MUTUAL' || tls.mode === 'OPTIONAL_MUTUAL'
  let ca: string | undefined
  if (mutual) {
    if (tls.caCertificates === undefined) {
      throw new PorticoServerError('PTC4103', `server ${server.name}: ${tls.mode} needs caCertificates`)
    }
    ca = readPem(tls.caCertificates, server.name, 'CA certificates')
  }
  const ciphers = [...(tls.cipherSuites ?? ENVOY_TLS12_CIPHERS), ...TLS13_CIPHERS].join(':')
  const options: ServerTlsOptions = {
    cert,
    key,
    ...(ca === undefined ? {} : { ca }),
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion ?? 'TLSv1.3',
    ciphers,
    ecdhCurve: ENVOY_CURVES,
    honorCipherOrder: true,
    requestCert: mutual,
    rejectUnauthorized: tls.mode === 'MUTUAL',
  }
  checkPair(server.name, tls.certificate, cert, tls.privateKey, key)
  let context: SecureContext
  try {
    context = createSecureContext(options)
  } catch (error) {
    const files = [
      tls.certificate,
      tls.privateKey,
      ...(mutual && tls.caCertificates ? [tls.caCertificates] : []),
    ]
    const reason = error instanceof Error ? error.message : String(error)
    const mismatch = /key values mismatch/i.test(reason)
    throw new PorticoServerError(
      'PTC4102',
      mismatch
        ? `server ${server.name}: certificate ${describe(tls.certificate)} does not match private key ${describe(tls.privateKey)}`
        : `server ${server.name}: invalid TLS material (${files.map(describe).join(', ')}): ${reason}`,
      { cause: error },
    )
  }
  return { options, context, mode: tls.mode, subjectAltNames: tls.subjectAltNames }
}

/**
 * Checks that the first certificate of a chain belongs to the private key. OpenSSL alone does
 * not catch a key of another algorithm (it keeps one certificate slot per key type).
 */
function checkPair(
  serverName: string,
  certSource: PemSource,
  cert: string,
  keySource: PemSource,
  key: string,
): void {
  let x509: X509Certificate
  let privateKey: KeyObject
  try {
    x509 = new X509Certificate(cert)
  } catch (error) {
    throw new PorticoServerError(
      'PTC4102',
      `server ${serverName}: certificate ${describe(certSource)} is not valid PEM`,
      {
        cause: error,
      },
    )
  }
  try {
    privateKey = createPrivateKey(key)
  } catch (error) {
    throw new PorticoServerError(
      'PTC4102',
      `server ${serverName}: private key ${describe(keySource)} is not valid PEM`,
      {
        cause: error,
      },
    )
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new PorticoServerError(
      'PTC4102',
      `server ${serverName}: certificate ${describe(certSource)} does not match private key ${describe(keySource)}`,
    )
  }
}

/** The SAN values of a peer certificate (`DNS:a, URI:b, IP Address:c` → `[a, b, c]`). */
export function peerSubjectAltNames(socket: TLSSocket): string[] {
  const san = socket.getPeerCertificate()?.subjectaltname
  if (typeof san !== 'string' || san === '') return []
  return san.split(', ').map((entry) => {
    const colon = entry.indexOf(':')
    return colon < 0 ? entry : entry.slice(colon + 1)
  })
}

/**
 * Whether a terminated connection may proceed: MUTUAL needs a verified client certificate whose
 * SANs include one of `subjectAltNames` (when listed); OPTIONAL_MUTUAL refuses only a presented
 * certificate that does not verify.
 */
export function acceptsPeer(socket: TLSSocket, tls: LoadedServerTls): boolean {
  if (tls.mode !== 'MUTUAL' && tls.mode !== 'OPTIONAL_MUTUAL') return true
  const cert = socket.getPeerCertificate()
  const presented = cert !== null && typeof cert === 'object' && Object.keys(cert).length > 0
  if (!presented) return tls.mode === 'OPTIONAL_MUTUAL'
  if (!socket.authorized) return false
  if (tls.subjectAltNames.length === 0) return true
  const names = peerSubjectAltNames(socket)
  return tls.subjectAltNames.some((wanted) => names.includes(wanted))
}
