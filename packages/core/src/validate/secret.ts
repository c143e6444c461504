import type { Diagnostic } from '../diagnostics/diagnostic.js'
import type { SecretResource } from '../resources/index.js'
import { CODES } from './codes.js'
import { Report } from './report.js'

/** The Secret type Kubernetes checks for TLS keys. */
export const TLS_SECRET_TYPE = 'kubernetes.io/tls'

/**
 * Judges one Secret used as a `credentialName`: Kubernetes refuses a `kubernetes.io/tls` Secret
 * without `tls.crt` and `tls.key` (in `data` or `stringData`); another type carrying neither
 * that pair, nor Istio's generic `cert`/`key` pair, nor a CA (`ca.crt`, `cacert`: a
 * `<name>-cacert` Secret) is admitted but can serve nothing (warning). Base64 syntax of `data` is a schema rule.
 */
export function validateSecret(resource: SecretResource): Diagnostic[] {
  const report = new Report(resource)
  const has = (key: string): boolean =>
    Object.hasOwn(resource.data ?? {}, key) || Object.hasOwn(resource.stringData ?? {}, key)
  if (resource.type === TLS_SECRET_TYPE) {
    for (const key of ['tls.crt', 'tls.key']) {
      if (!has(key)) report.error(CODES.secretKeys, `data[${key}]: Required value`, ['data', key])
    }
  } else if (
    !(has('tls.crt') && has('tls.key')) &&
    !(has('cert') && has('key')) &&
    !has('ca.crt') &&
    !has('cacert')
  ) {
    report.warning(
      CODES.secretNoCertificate,
      'secret holds neither tls.crt/tls.key, cert/key nor ca.crt, so it cannot serve as a TLS credential',
      ['data'],
    )
  }
  return report.diagnostics
}
