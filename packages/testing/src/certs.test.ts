import { X509Certificate } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, createServer, type Server, type TLSSocket } from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type CertificatePair,
  createCertificate,
  createCertificateAuthority,
  tlsSecretYaml,
  writeTlsFiles,
} from './certs.js'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

async function serve(
  pair: CertificatePair,
  extra: { ca?: string; requestCert?: boolean } = {},
): Promise<number> {
  const server = createServer(
    { cert: pair.cert, key: pair.key, ...extra, rejectUnauthorized: extra.requestCert === true },
    (socket) => socket.end('ok'),
  )
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return (server.address() as { port: number }).port
}

function handshake(
  port: number,
  options: { ca: string; servername: string; cert?: string; key?: string },
): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ...options })
    socket.once('secureConnect', () => resolve(socket))
    socket.once('error', reject)
  })
}

describe('createCertificate', () => {
  for (const keyType of ['ecdsa', 'rsa'] as const) {
    it(`signs a ${keyType} server certificate that verifies against its CA in a TLS handshake`, async () => {
      const ca = createCertificateAuthority({ keyType })
      const server = createCertificate({
        commonName: 'httpbin.example.com',
        altNames: ['*.example.org', '127.0.0.1', '::1'],
        keyType,
        ca,
      })
      const x509 = new X509Certificate(server.cert)
      expect(x509.verify(new X509Certificate(ca.cert).publicKey)).toBe(true)
      expect(x509.checkIssued(new X509Certificate(ca.cert))).toBe(true)
      expect(x509.publicKey.asymmetricKeyType).toBe(keyType === 'rsa' ? 'rsa' : 'ec')
      expect(x509.subjectAltName).toBe(
        'DNS:httpbin.example.com, DNS:*.example.org, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
      )
      expect(x509.checkHost('httpbin.example.com')).toBe('httpbin.example.com')
      expect(x509.checkHost('a.example.org')).toBe('*.example.org')
      expect(x509.checkHost('a.b.example.org')).toBeUndefined()
      expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1')
      expect(x509.ca).toBe(false)
      const port = await serve(server)
      const socket = await handshake(port, { ca: ca.cert, servername: 'httpbin.example.com' })
      expect(socket.authorized).toBe(true)
      expect(socket.getPeerCertificate().subject.CN).toBe('httpbin.example.com')
      socket.destroy()
    })
  }

  it('fails the handshake for a name the certificate does not carry', async () => {
    const ca = createCertificateAuthority()
    const port = await serve(createCertificate({ commonName: 'httpbin.example.com', ca }))
    await expect(handshake(port, { ca: ca.cert, servername: 'other.example.com' })).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    })
  })

  it('rejects a certificate from another CA', async () => {
    const port = await serve(createCertificate({ commonName: 'a.test', ca: createCertificateAuthority() }))
    const other = createCertificateAuthority({ commonName: 'Other CA', keyType: 'rsa' })
    await expect(handshake(port, { ca: other.cert, servername: 'a.test' })).rejects.toHaveProperty('code')
  })

  it('makes a self-signed certificate like openssl req -x509 when no CA is given', async () => {
    const pair = createCertificate({ commonName: 'httpbin.example.com', keyType: 'rsa', days: 30 })
    const x509 = new X509Certificate(pair.cert)
    expect(x509.subject).toBe('CN=httpbin.example.com')
    expect(x509.issuer).toBe('CN=httpbin.example.com')
    expect(x509.verify(x509.publicKey)).toBe(true)
    const days = (Date.parse(x509.validTo) - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(29)
    expect(days).toBeLessThanOrEqual(30)
    expect(pair.key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
    const port = await serve(pair)
    const socket = await handshake(port, { ca: pair.cert, servername: 'httpbin.example.com' })
    expect(socket.authorized).toBe(true)
    socket.destroy()
  })

  it('signs client certificates the server accepts for mutual TLS', async () => {
    const ca = createCertificateAuthority()
    const port = await serve(createCertificate({ commonName: 'httpbin.example.com', ca }), {
      ca: ca.cert,
      requestCert: true,
    })
    const client = createCertificate({ commonName: 'client.example.com', ca, keyType: 'rsa' })
    const socket = await handshake(port, { ca: ca.cert, servername: 'httpbin.example.com', ...client })
    const answer = await new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString())))
    expect(answer).toBe('ok')
    socket.destroy()
  })
})

describe('TLS files and Secret documents', () => {
  it('writes tls.crt, tls.key and ca.crt', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portico-certs-'))
    try {
      const ca = createCertificateAuthority()
      const pair = createCertificate({ commonName: 'httpbin.example.com', ca })
      const paths = await writeTlsFiles(join(dir, 'nested'), { ...pair, ca: ca.cert })
      expect(await readFile(paths.cert, 'utf8')).toBe(pair.cert)
      expect(await readFile(paths.key, 'utf8')).toBe(pair.key)
      expect(await readFile(join(dir, 'nested', 'ca.crt'), 'utf8')).toBe(ca.cert)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('renders a kubernetes.io/tls Secret', () => {
    const pair = createCertificate({ commonName: 'httpbin.example.com' })
    const text = tlsSecretYaml({ name: 'istio-ingressgateway-certs', namespace: 'istio-system', ...pair })
    const b64 = (s: string) => Buffer.from(s).toString('base64')
    expect(text).toBe(
      [
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        '  name: "istio-ingressgateway-certs"',
        '  namespace: "istio-system"',
        'type: kubernetes.io/tls',
        'data:',
        `  tls.crt: ${b64(pair.cert)}`,
        `  tls.key: ${b64(pair.key)}`,
        '',
      ].join('\n'),
    )
  })
})
