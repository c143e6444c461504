import { fileURLToPath } from 'node:url'
import { loadResources, parseResources, type Resource, validate } from '@portico/core'
import { createGateway } from '@portico/server'
import {
  createCertificate,
  createCertificateAuthority,
  request,
  startHttpbin,
  tlsSecretYaml,
} from '@portico/testing'
import { describe, expect, it } from 'vitest'

const dir = fileURLToPath(new URL('.', import.meta.url))

/** The example's files, the two Secrets make-secrets.mjs prints, and httpbin on `httpbinPort`. */
async function exampleResources(ca: { cert: string; key: string }, httpbinPort: number): Promise<Resource[]> {
  const loaded = await loadResources([dir])
  expect(loaded.diagnostics).toEqual([])
  const secrets = parseResources(
    [
      tlsSecretYaml({
        name: 'httpbin-credential',
        ...createCertificate({ commonName: 'httpbin.example.com', ca }),
      }),
      tlsSecretYaml({
        name: 'bookinfo-credential',
        ...createCertificate({ commonName: 'bookinfo.example.com', ca }),
      }),
    ].join('---\n'),
    'secrets.yaml',
  )
  expect(secrets.diagnostics).toEqual([])
  const resources = loaded.resources.map((r) =>
    r.kind === 'ServiceEntry'
      ? { ...r, spec: { ...r.spec, endpoints: [{ address: '127.0.0.1', ports: { http: httpbinPort } }] } }
      : r,
  )
  return [...resources, ...secrets.resources]
}

describe('examples/https-sni', () => {
  it('serves two hosts on one port, each with its own certificate', async () => {
    const ca = createCertificateAuthority({ commonName: 'Example CA' })
    await using httpbin = await startHttpbin()
    const resources = await exampleResources(ca, httpbin.port)
    expect(validate(resources)).toEqual([])
    await using gateway = await createGateway({ config: { resources }, ports: { 443: 0 } })
    const https = gateway.addresses[443]
    if (https === undefined) throw new Error('port 443 is not served')

    const a = await request(
      { host: https.address, port: https.port },
      {
        url: 'https://httpbin.example.com/status/200',
        ca: ca.cert,
        http2: true,
      },
    )
    expect(a.status).toBe(200)
    expect(a.protocol).toBe('h2')
    expect(a.peerCertificate?.subject.CN).toBe('httpbin.example.com')

    const b = await request(
      { host: https.address, port: https.port },
      { url: 'https://bookinfo.example.com/', ca: ca.cert },
    )
    expect(b.status).toBe(200)
    expect(b.text()).toBe('bookinfo\n')
    expect(b.peerCertificate?.subject.CN).toBe('bookinfo.example.com')

    // SNI picks the server: httpbin's certificate never answers for bookinfo, and an unknown
    // name fails the handshake.
    await expect(
      request({ host: https.address, port: https.port }, { url: 'https://other.example.com/', ca: ca.cert }),
    ).rejects.toThrow()
  })

  it('make-secrets.mjs prints Secrets that complete the example', async () => {
    const { execFile } = await import('node:child_process')
    const text = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [`${dir}make-secrets.mjs`], { cwd: dir }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    )
    const secrets = parseResources(text, 'secrets.yaml')
    expect(secrets.diagnostics).toEqual([])
    expect(secrets.resources.map((r) => r.metadata.name)).toEqual([
      'httpbin-credential',
      'bookinfo-credential',
    ])
    const loaded = await loadResources([dir])
    expect(validate([...loaded.resources, ...secrets.resources])).toEqual([])
  })
})
