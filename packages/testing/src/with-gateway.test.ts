import { isK8sGateway, loadResources, parseResources, type Resource } from '@portico/core'
import { describe, expect, it } from 'vitest'
import { createCertificate, tlsSecretYaml } from './certs.js'
import { InvalidConfigError, withGateway } from './with-gateway.js'

const example = (file: string) => new URL(`../../../examples/httpbin/${file}`, import.meta.url).pathname

/** The seed's Gateway and VirtualService; its certificate comes from the Secret Istio mounts at that path. */
async function seedConfig(): Promise<{ resources: Resource[]; ca: string }> {
  const loaded = await loadResources([example('gateway.yaml'), example('virtualservice.yaml')])
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
  const cert = createCertificate({ commonName: 'httpbin.example.com' })
  const secret = parseResources(
    tlsSecretYaml({ name: 'istio-ingressgateway-certs', namespace: 'istio-system', ...cert }),
    'secret.yaml',
  )
  return { resources: [...loaded.resources, ...secret.resources], ca: cert.cert }
}

describe('withGateway', () => {
  it('serves the seed config over real sockets: /status/200 through the gateway, /headers is a 404', async () => {
    const { resources, ca } = await seedConfig()
    await withGateway(resources, async ({ request, gateway, httpbin }) => {
      expect(Object.keys(gateway.addresses).sort()).toEqual(['443', '80'])
      expect(gateway.addresses[80]!.address).toBe('127.0.0.1')
      expect(gateway.addresses[80]!.port).not.toBe(80)
      expect(httpbin.port).toBeGreaterThan(0)

      const ok = await request('http://httpbin.example.com/status/200')
      expect(ok.status).toBe(200)
      expect(ok.headers.server).toBe('portico')
      expect(ok.headers['x-envoy-upstream-service-time']).toBeDefined()

      const missing = await request('http://httpbin.example.com/headers')
      expect(missing.status).toBe(404)
      expect(missing.body.length).toBe(0)

      const teapot = await request('https://httpbin.example.com/status/418', { ca })
      expect(teapot.status).toBe(418)
      expect(teapot.text()).toContain('teapot')
      expect(teapot.peerCertificate?.subject.CN).toBe('httpbin.example.com')
    })
  })

  it('names the gateway port from the URL, and refuses a port the gateway does not serve', async () => {
    const { resources } = await seedConfig()
    await withGateway({ resources }, async ({ request }) => {
      expect((await request('http://httpbin.example.com:80/status/201')).status).toBe(201)
      await expect(request('http://httpbin.example.com:8080/status/200')).rejects.toThrow(
        'the gateway does not serve port 8080',
      )
    })
  })

  it('closes the gateway and httpbin when the callback throws, and passes the error on', async () => {
    const { resources } = await seedConfig()
    let ports: number[] = []
    const failure = new Error('assertion failed inside')
    await expect(
      withGateway(resources, async ({ gateway, httpbin }) => {
        ports = [gateway.addresses[80]!.port, httpbin.port]
        throw failure
      }),
    ).rejects.toBe(failure)
    expect(ports).toHaveLength(2)
    for (const port of ports) {
      const refused = await fetch(`http://127.0.0.1:${port}/status/200`).then(
        () => 'answered',
        () => 'refused',
      )
      expect(refused).toBe('refused')
    }
  })

  it('returns what the callback returns', async () => {
    const { resources } = await seedConfig()
    await expect(
      withGateway(
        resources,
        async ({ request }) => (await request('http://httpbin.example.com/status/202')).status,
      ),
    ).resolves.toBe(202)
  })

  it('rejects an invalid config with its diagnostics formatted, before starting anything', async () => {
    const { resources } = await seedConfig()
    const broken = resources.map((r) =>
      r.kind === 'VirtualService'
        ? { ...r, spec: { ...r.spec, http: [{ ...r.spec.http![0]!, timeout: '0s' }] } }
        : r,
    )
    const error = await withGateway(broken, () => 'unreachable').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidConfigError)
    const invalid = error as InvalidConfigError
    expect(invalid.code).toBe('PORTICO_INVALID_CONFIG')
    expect(invalid.diagnostics.length).toBeGreaterThan(0)
    expect(invalid.message).toContain('spec.http[0].timeout')
    expect(invalid.message).toContain('duration must be greater than 1ms')
  })

  it('uses the programmatic services and process labels it is given', async () => {
    const { resources } = await seedConfig()
    const relabelled = resources.map((r) =>
      r.kind === 'Gateway' && !isK8sGateway(r) ? { ...r, spec: { ...r.spec, selector: { app: 'edge' } } } : r,
    )
    await withGateway({ resources: relabelled, labels: { app: 'edge' } }, async ({ request }) => {
      expect((await request('http://httpbin.example.com/status/200')).status).toBe(200)
    })
    await withGateway({ resources: relabelled }, async ({ gateway }) => {
      expect(Object.keys(gateway.addresses)).toEqual([])
    })
    const retargeted = resources.map((r) =>
      r.kind === 'VirtualService'
        ? {
            ...r,
            spec: {
              ...r.spec,
              http: [
                {
                  route: [
                    { destination: { host: 'backend.default.svc.cluster.local', port: { number: 9000 } } },
                  ],
                },
              ],
            },
          }
        : r,
    )
    await withGateway({ resources: retargeted }, async ({ request, httpbin }) => {
      expect((await request('http://httpbin.example.com/status/200')).status).toBe(503)
      await withGateway(
        {
          resources: retargeted,
          services: {
            'backend.default.svc.cluster.local': {
              ports: [{ number: 9000, name: 'http', protocol: 'HTTP' }],
              endpoints: [{ address: '127.0.0.1', port: httpbin.port }],
            },
          },
        },
        async (inner) => {
          expect((await inner.request('http://httpbin.example.com/status/203')).status).toBe(203)
        },
      )
    })
  })
})
