import { compile, createSnapshot, parseResources, route, validate } from '@portico/core'
import { createGateway } from '@portico/server'
import { describe, expect, it } from 'vitest'
import { createCertificate } from './certs.js'
import { startHttpbin } from './httpbin/index.js'
import { request } from './request.js'
import { SEED_CERT_PATHS, type SeedStep, seedResources, seedYaml, seedYamlDocuments } from './seed.js'

const pair = createCertificate({ commonName: 'httpbin.example.com' })
const facts = (port: number, path: string) => ({
  port,
  authority: 'httpbin.example.com',
  path,
  scheme: 'http' as const,
  method: 'GET',
  headers: {},
})

describe('the seed fixture', () => {
  it('parses, validates clean and reads back equal to the typed resources, at every step', () => {
    for (const step of [1, 2, 3] as const satisfies readonly SeedStep[]) {
      for (const options of [{}, { httpbinPort: 18001, certificate: pair }]) {
        const parsed = parseResources(seedYaml(step, options), 'seed.yaml')
        expect(parsed.diagnostics).toEqual([])
        expect(validate(parsed.resources).filter((d) => d.severity === 'error')).toEqual([])
        expect(JSON.parse(JSON.stringify(parsed.resources))).toEqual(
          JSON.parse(JSON.stringify(seedResources(step, options))),
        )
      }
    }
  })

  it('follows the task: HTTP on 80, then HTTPS beside it, then HTTPS only', () => {
    const ports = (step: SeedStep) => [...compile(createSnapshot(seedResources(step))).value.listeners.keys()]
    expect(ports(1)).toEqual([80])
    expect(ports(2)).toEqual([80, 443])
    expect(ports(3)).toEqual([443])
    const c = compile(createSnapshot(seedResources(1))).value
    expect(route(c, facts(80, '/status/200'))).toMatchObject({ kind: 'route' })
    expect(route(c, facts(80, '/delay/1'))).toMatchObject({ kind: 'route' })
    expect(route(c, facts(80, '/headers'))).toMatchObject({ kind: 'notFound' })
  })

  it('puts httpbin where the options say and the certificate where the task keeps it', () => {
    const [, vs, se] = seedResources(1, { httpbinHost: '::1', httpbinPort: 4242, prefixes: ['/anything'] })
    expect(se.spec.endpoints).toEqual([{ address: '::1', ports: { http: 4242 } }])
    expect(vs.spec.http?.[0]?.match).toEqual([{ uri: { prefix: '/anything' } }])

    const withSecret = seedResources(2, { certificate: pair })
    expect(withSecret).toHaveLength(4)
    const tls = compile(createSnapshot(withSecret))
      .value.listeners.get(443)
      ?.selectServer('httpbin.example.com')?.tls
    expect(tls?.certificate).toMatchObject({ kind: 'inline', pem: pair.cert })
    expect(tls?.privateKey).toMatchObject({ kind: 'inline', pem: pair.key })

    const onDisk = compile(createSnapshot(seedResources(2))).value.listeners.get(443)
    expect(onDisk?.selectServer('httpbin.example.com')?.tls?.certificate).toEqual({
      kind: 'file',
      path: SEED_CERT_PATHS.cert,
    })
    const files = { cert: '/tmp/x/tls.crt', key: '/tmp/x/tls.key' }
    const withFiles = seedResources(3, { certificate: pair, certificateFiles: files })
    expect(withFiles).toHaveLength(3)
    expect(withFiles[0].spec.servers?.[0]?.tls).toMatchObject({
      serverCertificate: files.cert,
      privateKey: files.key,
    })
    expect(seedResources(1, { certificate: pair })).toHaveLength(3)
  })

  it('gives one YAML document per resource, in order', () => {
    const docs = seedYamlDocuments(2, { certificate: pair })
    expect(docs.map((d) => /^kind: (\w+)$/m.exec(d)?.[1])).toEqual([
      'Gateway',
      'VirtualService',
      'ServiceEntry',
      'Secret',
    ])
    expect(seedYaml(2, { certificate: pair })).toBe(docs.join('---\n'))
  })
})

describe('the seed served (the example of docs/testing-your-routes.md)', () => {
  it("step 1 over HTTP, then step 2 over HTTPS with the task's Secret, on real sockets", async () => {
    const httpbin = await startHttpbin()
    const gateway = await createGateway({
      config: { resources: seedResources(1, { httpbinPort: httpbin.port }) },
      ports: { 80: 0, 443: 0 },
    })
    try {
      const http = gateway.addresses[80]!.port
      expect((await request(http, { url: `http://httpbin.example.com:${http}/status/200` })).status).toBe(200)
      expect((await request(http, { url: `http://httpbin.example.com:${http}/headers` })).status).toBe(404)

      const certificate = createCertificate({ commonName: 'httpbin.example.com' })
      await gateway.update({ resources: seedResources(2, { httpbinPort: httpbin.port, certificate }) })
      const https = gateway.addresses[443]!.port
      const h2 = await request(https, {
        url: `https://httpbin.example.com:${https}/status/200`,
        http2: true,
        ca: certificate.cert,
      })
      expect([h2.protocol, h2.status]).toEqual(['h2', 200])
    } finally {
      await gateway.close()
      await httpbin.close()
    }
  })
})
