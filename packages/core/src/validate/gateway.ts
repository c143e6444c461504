import type { Diagnostic, FieldPath } from '../diagnostics/diagnostic.js'
import { isIpAddress } from '../model/names.js'
import type { GatewayResource, Port, Server, ServerTLSSettings } from '../resources/index.js'
import { CODES } from './codes.js'
import { validateMetadata } from './metadata.js'
import {
  checkNamespaceSlashHostAll,
  checkPort,
  checkProtocol,
  isHttpProtocol,
  isTlsProtocol,
  parseProtocol,
} from './primitives.js'
import { Report } from './report.js'

const UNIX_PREFIX = 'unix://'

/** The cipher suite names Istio accepts on a Gateway server (`security.IsValidCipherSuite`). */
const CIPHER_SUITES = new Set([
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA',
  'AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-SHA',
  'AES256-SHA',
  'DES-CBC3-SHA',
])

/**
 * Judges one Gateway the way Istio's admission webhook does (`ValidateGateway`, `validateServer`,
 * `validateServerPort`, `validateServerBind`, `validateTLSOptions`): errors are what Istio
 * rejects, warnings what it admits with a message.
 */
export function validateGateway(resource: GatewayResource): Diagnostic[] {
  const report = new Report(resource)
  validateMetadata(resource, report)
  const servers = resource.spec.servers ?? []
  if (servers.length === 0) {
    report.error(CODES.gatewayNoServers, 'gateway must have at least one server', ['spec', 'servers'])
  }
  const portNames = new Set<string>()
  for (const [i, server] of servers.entries()) {
    const at: FieldPath = ['spec', 'servers', i]
    validateServer(report, server, at)
    const name = server.port.name
    if (portNames.has(name)) {
      report.error(
        CODES.serverDuplicatePortName,
        `port names in servers must be unique: duplicate name ${name}`,
        [...at, 'port', 'name'],
      )
    }
    portNames.add(name)
    if (!isHttpProtocol(parseProtocol(server.port.protocol)) && server.tls?.httpsRedirect === true) {
      report.warning(CODES.httpsRedirectNonHttp, 'tls.httpsRedirect should only be used with http servers', [
        ...at,
        'tls',
        'httpsRedirect',
      ])
    }
  }
  return report.diagnostics
}

function validateServer(report: Report, server: Server, at: FieldPath): void {
  const hosts = server.hosts ?? []
  if (hosts.length === 0) {
    report.error(CODES.serverNoHosts, 'server config must contain at least one host', [...at, 'hosts'])
  }
  for (const [j, host] of hosts.entries()) {
    for (const message of checkNamespaceSlashHostAll(host))
      report.error(CODES.serverHost, message, [...at, 'hosts', j])
  }
  const bind = server.bind ?? ''
  const portOk = validateServerPort(report, server.port, bind, [...at, 'port'])
  validateServerBind(report, server.port, bind, at)
  if (server.tls !== undefined) validateTlsOptions(report, server.tls, [...at, 'tls'])
  if (!portOk) return
  const protocol = parseProtocol(server.port.protocol)
  if (isTlsProtocol(protocol) && server.tls === undefined) {
    report.error(CODES.serverTlsRequired, 'server must have TLS settings for HTTPS/TLS protocols', [
      ...at,
      'port',
      'protocol',
    ])
  } else if (!isTlsProtocol(protocol) && server.tls !== undefined) {
    const tls = server.tls
    if (isHttpProtocol(protocol)) {
      const passthrough =
        tls.mode === undefined || tls.mode === 'PASSTHROUGH' || tls.mode === 'AUTO_PASSTHROUGH'
      if (
        !passthrough ||
        nonEmpty(tls.caCertificates) ||
        nonEmpty(tls.privateKey) ||
        nonEmpty(tls.serverCertificate)
      ) {
        report.error(CODES.serverTlsNotAllowed, 'server cannot have TLS settings for plain text HTTP ports', [
          ...at,
          'tls',
        ])
      }
    } else {
      report.error(CODES.serverTlsNotAllowed, 'server cannot have TLS settings for non HTTPS/TLS ports', [
        ...at,
        'tls',
      ])
    }
  }
}

/** Returns false when the port has an error (Istio then skips the protocol/TLS pairing rules). */
function validateServerPort(report: Report, port: Port, bind: string, at: FieldPath): boolean {
  const before = report.diagnostics.length
  report.check(CODES.serverProtocol, checkProtocol(port.protocol, 'gateway'), [...at, 'protocol'])
  if (port.number > 0 || !bind.startsWith(UNIX_PREFIX)) {
    report.check(CODES.serverPortNumber, checkPort(port.number), [...at, 'number'])
  }
  if (port.targetPort !== undefined && port.targetPort > 0) {
    report.error(CODES.serverTargetPort, 'targetPort has no impact on Gateways', [...at, 'targetPort'])
  }
  if (port.name === '') {
    report.error(CODES.serverPortName, `port name must be set: ${describePort(port)}`, [...at, 'name'])
  }
  return report.diagnostics.length === before
}

function validateServerBind(report: Report, port: Port, bind: string, at: FieldPath): void {
  const path = [...at, 'bind']
  if (bind.startsWith(UNIX_PREFIX)) {
    const address = bind.slice(UNIX_PREFIX.length)
    if (address === '') report.error(CODES.serverBind, 'unix address must not be empty', path)
    else if (!address.startsWith('@') && (!address.startsWith('/') || address.endsWith('/'))) {
      report.error(CODES.serverBind, `${address} is not an absolute path to a file`, path)
    }
    if (port.number !== 0) {
      report.error(
        CODES.serverBind,
        `port number must be 0 for unix domain socket: ${describePort(port)}`,
        path,
      )
    }
  } else if (bind !== '' && !isIpAddress(bind)) {
    report.error(CODES.serverBind, `${bind} is not a valid IP`, path)
  }
}

function validateTlsOptions(report: Report, tls: ServerTLSSettings, at: FieldPath): void {
  const ciphers = tls.cipherSuites ?? []
  if (
    (tls.minProtocolVersion === 'TLSV1_0' || tls.minProtocolVersion === 'TLSV1_1') &&
    ciphers.length === 0
  ) {
    report.warning(
      CODES.serverTlsWarning,
      'TLS version below TLSV1_2 require setting compatible ciphers as by default they no longer include compatible ciphers.',
      [...at, 'minProtocolVersion'],
    )
  }
  const invalid = new Set<string>()
  const valid = new Set<string>()
  const duplicate = new Set<string>()
  for (const cs of ciphers) {
    if (!isValidCipherSuite(cs)) invalid.add(cs)
    else if (valid.has(cs)) duplicate.add(cs)
    else valid.add(cs)
  }
  if (invalid.size > 0) {
    report.warning(CODES.serverTlsWarning, `ignoring invalid cipher suites: ${goList(invalid)}`, [
      ...at,
      'cipherSuites',
    ])
  }
  if (duplicate.size > 0) {
    report.warning(CODES.serverTlsWarning, `ignoring duplicate cipher suites: ${goList(duplicate)}`, [
      ...at,
      'cipherSuites',
    ])
  }

  const mode = tls.mode ?? 'PASSTHROUGH'
  const tlsCertificates = tls.tlsCertificates ?? []
  const credentialNames = tls.credentialNames ?? []
  if (mode === 'ISTIO_MUTUAL') {
    const forbid = (set: boolean, what: string, field: string): void => {
      if (set)
        report.error(CODES.serverTls, `ISTIO_MUTUAL TLS cannot have associated ${what}`, [...at, field])
    }
    forbid(nonEmpty(tls.serverCertificate), 'server certificate', 'serverCertificate')
    forbid(nonEmpty(tls.privateKey), 'private key', 'privateKey')
    forbid(nonEmpty(tls.caCertificates), 'CA bundle', 'caCertificates')
    forbid(tlsCertificates.length > 0, 'tlsCertificates', 'tlsCertificates')
    forbid(nonEmpty(tls.credentialName), 'credentialName', 'credentialName')
    forbid(credentialNames.length > 0, 'credentialNames', 'credentialNames')
    return
  }
  if (mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH') {
    if (
      nonEmpty(tls.caCrl) ||
      nonEmpty(tls.serverCertificate) ||
      nonEmpty(tls.privateKey) ||
      nonEmpty(tls.caCertificates) ||
      tlsCertificates.length > 0 ||
      nonEmpty(tls.credentialName) ||
      credentialNames.length > 0
    ) {
      report.warning(CODES.serverTlsWarning, `${mode} mode does not use certificates, they will be ignored`, [
        ...at,
      ])
    }
  }
  let sources = 0
  if (nonEmpty(tls.serverCertificate) && nonEmpty(tls.privateKey)) sources++
  if (nonEmpty(tls.credentialName)) sources++
  if (credentialNames.length > 0) sources++
  if (tlsCertificates.length > 0) sources++
  if (sources > 1) {
    report.error(
      CODES.serverTls,
      'only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified',
      [...at],
    )
  }
  const terminating = mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL'
  if (terminating && (nonEmpty(tls.credentialName) || credentialNames.length > 0)) return
  if (terminating) {
    const prefix = prefixOf(mode)
    if (mode !== 'SIMPLE' && !nonEmpty(tls.caCertificates)) {
      report.error(CODES.serverTls, `${prefix} requires a client CA bundle`, [...at, 'caCertificates'])
    }
    if (tlsCertificates.length > 2) {
      report.warning(CODES.serverTlsWarning, `${prefix} can support up to 2 server certificates`, [
        ...at,
        'tlsCertificates',
      ])
    }
    const certs: { cert?: string | undefined; key?: string | undefined; path: FieldPath }[] =
      tlsCertificates.length > 0
        ? tlsCertificates.map((c, k) => ({
            cert: c.serverCertificate,
            key: c.privateKey,
            path: [...at, 'tlsCertificates', k],
          }))
        : [{ cert: tls.serverCertificate, key: tls.privateKey, path: at }]
    for (const c of certs) {
      if (!nonEmpty(c.cert))
        report.error(CODES.serverTls, `${prefix} requires a server certificate`, [
          ...c.path,
          'serverCertificate',
        ])
      if (!nonEmpty(c.key))
        report.error(CODES.serverTls, `${prefix} requires a private key`, [...c.path, 'privateKey'])
    }
  }
  if (nonEmpty(tls.caCrl)) {
    if (nonEmpty(tls.credentialName)) {
      report.error(
        CODES.serverTls,
        'CRL is not supported with credentialName. CRL has to be specified in the credential',
        [...at, 'caCrl'],
      )
    }
    if (mode === 'SIMPLE')
      report.error(CODES.serverTls, 'CRL is not supported with SIMPLE TLS', [...at, 'caCrl'])
  }
}

/** Istio's `IsValidCipherSuite`: a known name, `ALL`, empty, or an expression not led by a letter or digit. */
function isValidCipherSuite(cs: string): boolean {
  if (cs === '' || cs === 'ALL') return true
  if (!/^[\p{L}\p{N}]/u.test(cs)) return true
  return CIPHER_SUITES.has(cs)
}

function prefixOf(mode: string): string {
  return mode === 'SIMPLE' ? 'SIMPLE TLS' : 'MUTUAL TLS'
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== ''
}

/** Go's `%v` of a sorted string list: `[a b c]`. */
function goList(values: Iterable<string>): string {
  return `[${[...values].sort().join(' ')}]`
}

/** A Port as Go's `%v` prints the proto message (fields with values only). */
function describePort(port: Port): string {
  const parts: string[] = []
  if (port.number !== 0) parts.push(`number:${port.number}`)
  if (port.protocol !== '') parts.push(`protocol:${JSON.stringify(port.protocol)}`)
  if (port.name !== '') parts.push(`name:${JSON.stringify(port.name)}`)
  return parts.join(' ')
}
