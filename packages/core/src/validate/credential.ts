import { createPrivateKey, X509Certificate } from 'node:crypto'
import { type SecretResource, secretValue } from '../resources/secret.js'

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g

/** What a gateway needs from a credential Secret, and when. */
export interface CredentialCheck {
  /** MUTUAL/OPTIONAL_MUTUAL: a CA for client certificates is needed too. */
  readonly mutual: boolean
  /** The `<name>-cacert` Secret beside it, where Istio also looks for the CA. */
  readonly caSecret?: SecretResource | undefined
  /** The instant the certificates must be valid at. */
  readonly now: Date
}

/**
 * Why a Secret named by a Gateway's `credentialName` cannot serve, or `undefined` when it can
 * (Istio's `ExtractCertInfo` and `ValidateCertificate`, plus what Node's TLS would refuse): no
 * non-empty `tls.crt`/`tls.key` (or `cert`/`key`) pair, a certificate that is not PEM or does not
 * parse, one outside its validity period at `now`, a private key that does not parse or does not
 * belong to the certificate, and for MUTUAL no CA (`ca.crt`/`cacert` in the Secret or in
 * `<name>-cacert`) or one that is not a PEM certificate.
 */
export function credentialProblem(secret: SecretResource, check: CredentialCheck): string | undefined {
  const value = (key: string) => secretValue(secret, key)
  let certKey = 'cert'
  let keyKey = 'key'
  if (!(nonEmpty(value('cert')) && nonEmpty(value('key')))) {
    certKey = 'tls.crt'
    keyKey = 'tls.key'
  }
  const cert = value(certKey)
  const key = value(keyKey)
  if (!nonEmpty(cert) || !nonEmpty(key)) {
    if (cert !== undefined && key !== undefined)
      return `found keys "${certKey}" and "${keyKey}", but they were empty`
    const found = Object.keys({ ...secret.data, ...secret.stringData }).sort()
    return `found secret, but didn't have expected keys (cert and key) or (tls.crt and tls.key); found: ${found.join(', ')}`
  }
  const certProblem = certificateProblem(cert, certKey, check.now)
  if (certProblem !== undefined) return certProblem
  try {
    const leaf = new X509Certificate((cert.match(CERTIFICATE_BLOCK) as RegExpMatchArray)[0])
    if (!leaf.checkPrivateKey(createPrivateKey(key)))
      return `${keyKey} does not belong to the certificate in ${certKey}`
  } catch (error) {
    return `${keyKey} is not a usable private key: ${reason(error)}`
  }
  if (!check.mutual) return undefined
  for (const [source, where] of [
    [secret, ''],
    [check.caSecret, ` of Secret ${check.caSecret?.metadata.name ?? ''}`],
  ] as const) {
    if (source === undefined) continue
    for (const caKey of ['ca.crt', 'cacert']) {
      const ca = secretValue(source, caKey)
      if (!nonEmpty(ca)) continue
      const problem = certificateProblem(ca, `${caKey}${where}`, check.now)
      return problem
    }
  }
  return `MUTUAL TLS needs a CA for client certificates: no ca.crt or cacert in the Secret, and no ${secret.metadata.name}-cacert Secret holding one`
}

/** Why a PEM certificate (chain) is unusable at `now`, or `undefined`. */
function certificateProblem(pem: string, key: string, now: Date): string | undefined {
  const blocks = pem.match(CERTIFICATE_BLOCK)
  if (blocks === null) return `${key} is not a PEM certificate`
  for (const block of blocks) {
    let cert: X509Certificate
    try {
      cert = new X509Certificate(block)
    } catch (error) {
      return `${key} does not parse as an X.509 certificate: ${reason(error)}`
    }
    const from = new Date(cert.validFrom)
    const to = new Date(cert.validTo)
    if (now < from || now > to) {
      return `the certificate in ${key} (subject ${cert.subject.replace(/\n/g, ', ')}) is expired or not yet valid: valid from ${from.toISOString()} to ${to.toISOString()}`
    }
  }
  return undefined
}

const nonEmpty = (text: string | undefined): text is string => text !== undefined && text.trim() !== ''

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error))
