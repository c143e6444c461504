// Helpers the benchmark scripts share.
import { spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'

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
