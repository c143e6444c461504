import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { join } from 'node:path'
import forge from 'node-forge'

const { asn1 } = forge
type Asn1 = forge.asn1.Asn1

/** Key algorithm of a generated certificate. */
export type KeyType = 'ecdsa' | 'rsa'

/** A PEM certificate and its PEM (PKCS#8) private key. */
export interface CertificatePair {
  /** The certificate, PEM. */
  readonly cert: string
  /** The private key, PEM (PKCS#8). */
  readonly key: string
}

/** A certificate authority: pass it as `ca` to sign server and client certificates. */
export interface CertificateAuthority extends CertificatePair {
  /** The CA's common name. */
  readonly commonName: string
}

/** Options of {@link createCertificate}. */
export interface CreateCertificateOptions {
  /** Subject common name, e.g. `httpbin.example.com`. Added to the SANs unless it is already there. */
  readonly commonName: string
  /** Subject alternative names: DNS names (wildcards allowed) and IP addresses. */
  readonly altNames?: readonly string[]
  /** Validity in days from now (default 365). */
  readonly days?: number
  /** `ecdsa` (P-256, the default) or `rsa` (2048 bits). */
  readonly keyType?: KeyType
  /** Signing CA; without it the certificate is self-signed (as `openssl req -x509` makes it). */
  readonly ca?: CertificatePair
}

/** Options of {@link createCertificateAuthority}. */
export interface CreateCertificateAuthorityOptions {
  /** CA common name (default `Portico Test CA`). */
  readonly commonName?: string
  /** Validity in days (default 365). */
  readonly days?: number
  /** Key algorithm (default `ecdsa`). */
  readonly keyType?: KeyType
}

const keyCache = new Map<string, KeyObject>()

/** One key per algorithm and role per process: key generation dominates the cost of a certificate. */
function cachedKey(keyType: KeyType, role: 'ca' | 'leaf'): KeyObject {
  const id = `${keyType}:${role}`
  let key = keyCache.get(id)
  if (key === undefined) {
    key =
      keyType === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
        : generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey
    keyCache.set(id, key)
  }
  return key
}

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const

const U = asn1.Class.UNIVERSAL
const T = asn1.Type
const seq = (value: Asn1[]) => asn1.create(U, T.SEQUENCE, true, value)
const oid = (id: string) => asn1.create(U, T.OID, false, asn1.oidToDer(id).getBytes())
const octets = (bytes: string) => asn1.create(U, T.OCTETSTRING, false, bytes)
const bool = (v: boolean) => asn1.create(U, T.BOOLEAN, false, v ? '\xff' : '\x00')
const bin = (buf: Buffer) => buf.toString('binary')
const der = (node: Asn1) => Buffer.from(asn1.toDer(node).getBytes(), 'binary')

function nameOf(commonName: string): Asn1 {
  const utf8 = forge.util.encodeUtf8(commonName)
  return seq([asn1.create(U, T.SET, true, [seq([oid(OID.commonName), asn1.create(U, T.UTF8, false, utf8)])])])
}

function time(date: Date): Asn1 {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14)
  const year = date.getUTCFullYear()
  return year >= 1950 && year < 2050
    ? asn1.create(U, T.UTCTIME, false, `${iso.slice(2)}Z`)
    : asn1.create(U, T.GENERALIZEDTIME, false, `${iso}Z`)
}

function extension(id: string, critical: boolean, value: Asn1): Asn1 {
  return seq([oid(id), ...(critical ? [bool(true)] : []), octets(asn1.toDer(value).getBytes())])
}

function bitString(bytes: Buffer, unused = 0): Asn1 {
  return asn1.create(U, T.BITSTRING, false, String.fromCharCode(unused) + bin(bytes))
}

/** KeyUsage bits, first octet (digitalSignature is bit 0, the most significant). */
const KU = { digitalSignature: 0x80, keyEncipherment: 0x20, keyCertSign: 0x04, cRLSign: 0x02 }

function keyUsage(bits: number): Asn1 {
  let unused = 0
  while (unused < 7 && ((bits >> unused) & 1) === 0) unused++
  return bitString(Buffer.from([bits]), unused)
}

function generalNames(names: readonly string[]): Asn1 {
  return seq(
    names.map((name) => {
      const ipVersion = isIP(name)
      if (ipVersion === 0) return asn1.create(asn1.Class.CONTEXT_SPECIFIC, 2, false, name)
      return asn1.create(asn1.Class.CONTEXT_SPECIFIC, 7, false, bin(ipBytes(name, ipVersion)))
    }),
  )
}

function ipBytes(ip: string, version: number): Buffer {
  if (version === 4) return Buffer.from(ip.split('.').map(Number))
  const [head = '', tail = ''] = ip.split('::')
  const groups = (s: string) => (s === '' ? [] : s.split(':'))
  let h = groups(head)
  let t = groups(ip.includes('::') ? tail : '')
  const last = (t.length > 0 ? t : h).at(-1) ?? ''
  const expand = (g: string[]) =>
    g.flatMap((x) => {
      if (!x.includes('.')) return [x]
      const b = x.split('.').map(Number)
      return [((b[0]! << 8) | b[1]!).toString(16), ((b[2]! << 8) | b[3]!).toString(16)]
    })
  if (last.includes('.')) {
    h = expand(h)
    t = expand(t)
  }
  const fill = ip.includes('::') ? Array(8 - h.length - t.length).fill('0') : []
  const all = [...h, ...fill, ...t]
  const out = Buffer.alloc(16)
  for (const [i, g] of all.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2)
  return out
}

function spkiOf(key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: 'spki', format: 'der' })
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(spki: Buffer): Buffer {
  const node = asn1.fromDer(forge.util.createBuffer(bin(spki)))
  const bits = (node.value as Asn1[])[1]!.value as string
  return createHash('sha1')
    .update(Buffer.from(bits.slice(1), 'binary'))
    .digest()
}

/** The subject Name of a PEM certificate, as its exact DER. */
function subjectAsn1(certPem: string): Asn1 {
  const raw = new X509Certificate(certPem).raw
  const cert = asn1.fromDer(forge.util.createBuffer(bin(raw)))
  const tbs = (cert.value as Asn1[])[0]!.value as Asn1[]
  const hasVersion = tbs[0]!.tagClass === asn1.Class.CONTEXT_SPECIFIC
  return tbs[hasVersion ? 5 : 4]!
}

function signatureAlgorithm(key: KeyObject): Asn1 {
  return key.asymmetricKeyType === 'rsa'
    ? seq([oid(OID.sha256WithRsa), asn1.create(U, T.NULL, false, '')])
    : seq([oid(OID.ecdsaWithSha256)])
}

interface Build {
  subject: string
  issuer: Asn1 | undefined
  subjectKey: KeyObject
  signingKey: KeyObject
  days: number
  isCa: boolean
  altNames: readonly string[]
}

/**
 * Assembles the TBSCertificate with forge's ASN.1 writer and signs it with node:crypto, which
 * handles ECDSA and RSA alike (forge's own X.509 signer only knows RSA).
 */
function build(b: Build): string {
  const spki = spkiOf(b.subjectKey)
  const subjectName = nameOf(b.subject)
  const issuerName = b.issuer ?? subjectName
  const ski = keyIdentifier(spki)
  const aki = b.issuer === undefined ? ski : keyIdentifier(spkiOf(b.signingKey))
  const serial = randomBytes(16)
  serial[0] = (serial[0]! & 0x7f) | 0x01
  const now = Date.now()
  const usage = b.isCa
    ? KU.keyCertSign |
      KU.cRLSign |
      (b.issuer === undefined && b.altNames.length > 0 ? KU.digitalSignature : 0)
    : KU.digitalSignature | (b.subjectKey.asymmetricKeyType === 'rsa' ? KU.keyEncipherment : 0)
  const extensions: Asn1[] = [
    extension(OID.basicConstraints, true, seq(b.isCa ? [bool(true)] : [])),
    extension(OID.keyUsage, true, keyUsage(usage)),
    extension(OID.subjectKeyIdentifier, false, octets(bin(ski))),
    extension(
      OID.authorityKeyIdentifier,
      false,
      seq([asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, bin(aki))]),
    ),
  ]
  if (b.altNames.length > 0) {
    extensions.push(
      extension(OID.extKeyUsage, false, seq([oid(OID.serverAuth), oid(OID.clientAuth)])),
      extension(OID.subjectAltName, false, generalNames(b.altNames)),
    )
  }
  const sigAlg = signatureAlgorithm(b.signingKey)
  const tbs = seq([
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [asn1.create(U, T.INTEGER, false, '\x02')]),
    asn1.create(U, T.INTEGER, false, bin(serial)),
    sigAlg,
    issuerName,
    seq([time(new Date(now - 60 * 60 * 1000)), time(new Date(now + b.days * 24 * 60 * 60 * 1000))]),
    subjectName,
    asn1.fromDer(forge.util.createBuffer(bin(spki))),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 3, true, [seq(extensions)]),
  ])
  const tbsDer = der(tbs)
  const signature = sign('sha256', tbsDer, b.signingKey)
  const certDer = der(seq([tbs, signatureAlgorithm(b.signingKey), bitString(signature)]))
  const body = certDer.toString('base64').replace(/.{1,64}/g, '$&\n')
  return `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`
}

function pemKey(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString()
}

/**
 * A certificate for `commonName` (plus `altNames` as DNS / IP SANs), self-signed or signed by
 * `ca`: in one call what `openssl req -x509 -nodes -days 365 -newkey rsa:2048 -subj "/CN=..."`
 * produces. Keys are ECDSA P-256 unless `keyType: 'rsa'`, and are reused within the process.
 */
export function createCertificate(options: CreateCertificateOptions): CertificatePair {
  const keyType = options.keyType ?? 'ecdsa'
  const subjectKey = cachedKey(keyType, 'leaf')
  const altNames = [...new Set([options.commonName, ...(options.altNames ?? [])])]
  const ca = options.ca
  const cert = build({
    subject: options.commonName,
    issuer: ca === undefined ? undefined : subjectAsn1(ca.cert),
    subjectKey,
    signingKey: ca === undefined ? subjectKey : createPrivateKeyFromPem(ca.key),
    days: options.days ?? 365,
    isCa: ca === undefined,
    altNames,
  })
  return { cert, key: pemKey(subjectKey) }
}

const pemKeys = new Map<string, KeyObject>()

function createPrivateKeyFromPem(pem: string): KeyObject {
  let key = pemKeys.get(pem)
  if (key === undefined) {
    key = createPrivateKey(pem)
    pemKeys.set(pem, key)
  }
  return key
}

/** A self-signed CA certificate for signing server and client certificates (SIMPLE and MUTUAL TLS tests). */
export function createCertificateAuthority(
  options: CreateCertificateAuthorityOptions = {},
): CertificateAuthority {
  const commonName = options.commonName ?? 'Portico Test CA'
  const key = cachedKey(options.keyType ?? 'ecdsa', 'ca')
  const cert = build({
    subject: commonName,
    issuer: undefined,
    subjectKey: key,
    signingKey: key,
    days: options.days ?? 365,
    isCa: true,
    altNames: [],
  })
  return { cert, key: pemKey(key), commonName }
}

/** Paths written by {@link writeTlsFiles}. */
export interface TlsFiles {
  readonly cert: string
  readonly key: string
  readonly ca?: string
}

/** Writes `tls.crt`, `tls.key` and, when given, `ca.crt` into `dir` (created if missing). */
export async function writeTlsFiles(
  dir: string,
  files: { readonly cert: string; readonly key: string; readonly ca?: string },
): Promise<TlsFiles> {
  await mkdir(dir, { recursive: true })
  const cert = join(dir, 'tls.crt')
  const key = join(dir, 'tls.key')
  await writeFile(cert, files.cert)
  await writeFile(key, files.key, { mode: 0o600 })
  if (files.ca === undefined) return { cert, key }
  const ca = join(dir, 'ca.crt')
  await writeFile(ca, files.ca)
  return { cert, key, ca }
}

/** Options of {@link tlsSecretYaml}. */
export interface TlsSecretOptions {
  readonly name: string
  readonly namespace?: string
  readonly cert: string
  readonly key: string
  /** Optional CA bundle, stored as `ca.crt` (what Istio reads for MUTUAL). */
  readonly ca?: string
}

/** A `kubernetes.io/tls` Secret document, as `kubectl create secret tls` would store it. */
export function tlsSecretYaml(options: TlsSecretOptions): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64')
  const lines = [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    `  name: ${JSON.stringify(options.name)}`,
    ...(options.namespace === undefined ? [] : [`  namespace: ${JSON.stringify(options.namespace)}`]),
    'type: kubernetes.io/tls',
    'data:',
    `  tls.crt: ${b64(options.cert)}`,
    `  tls.key: ${b64(options.key)}`,
    ...(options.ca === undefined ? [] : [`  ca.crt: ${b64(options.ca)}`]),
  ]
  return `${lines.join('\n')}\n`
}
