// Prints two kubernetes.io/tls Secrets, httpbin-credential and bookinfo-credential, each with a
// fresh certificate signed by one generated CA, plus the CA certificate as a comment so that
// clients can trust it:  node examples/https-sni/make-secrets.mjs > /tmp/sni-secrets.yaml
import { createCertificate, createCertificateAuthority, tlsSecretYaml } from '@portico/testing'

const ca = createCertificateAuthority({ commonName: 'Example CA' })
const out = []
for (const [name, host] of [
  ['httpbin-credential', 'httpbin.example.com'],
  ['bookinfo-credential', 'bookinfo.example.com'],
]) {
  const { cert, key } = createCertificate({ commonName: host, ca })
  out.push(tlsSecretYaml({ name, cert, key }))
}
process.stdout.write(`# CA certificate:\n${ca.cert.replace(/^/gm, '# ')}\n${out.join('---\n')}`)
