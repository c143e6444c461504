import { createSnapshot, type SnapshotResource } from '../model/snapshot.js'
import { type CompileOptions, compile } from './compile.js'
import type { CompiledConfig, RequestFacts } from './types.js'

/** A resource as the loader produces it (test fixtures only). */
export type TestResource = SnapshotResource & {
  readonly apiVersion?: string
  readonly spec?: unknown
  readonly [k: string]: unknown
}

/** Compiles plain resources (fixtures for tests and benchmarks). */
export function compileResources(
  resources: readonly TestResource[],
  options?: CompileOptions,
): CompiledConfig {
  return compile(createSnapshot(resources), options).value
}

/** Request facts with defaults: GET, http, no headers. */
export function facts(
  port: number,
  authority: string,
  path: string,
  extra: Partial<RequestFacts> = {},
): RequestFacts {
  return { port, authority, path, scheme: 'http', method: 'GET', headers: {}, ...extra }
}

/** The seed scenario (control-ingress-traffic), step 1 or 2, with httpbin as a STATIC ServiceEntry. */
export function seedResources(step: 1 | 2 | 3 = 1): TestResource[] {
  const http = { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['httpbin.example.com'] }
  const https = {
    port: { number: 443, name: 'https', protocol: 'HTTPS' },
    tls: {
      mode: 'SIMPLE',
      serverCertificate: '/etc/istio/ingressgateway-certs/tls.crt',
      privateKey: '/etc/istio/ingressgateway-certs/tls.key',
    },
    hosts: ['httpbin.example.com'],
  }
  const servers = step === 1 ? [http] : step === 2 ? [http, https] : [https]
  return [
    {
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'Gateway',
      metadata: { name: 'httpbin-gateway' },
      spec: { selector: { istio: 'ingressgateway' }, servers },
    },
    {
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'VirtualService',
      metadata: { name: 'httpbin' },
      spec: {
        hosts: ['*'],
        gateways: ['httpbin-gateway'],
        http: [
          {
            match: [{ uri: { prefix: '/status' } }, { uri: { prefix: '/delay' } }],
            route: [{ destination: { port: { number: 8000 }, host: 'httpbin' } }],
          },
        ],
      },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: 'httpbin' },
      spec: {
        hosts: ['httpbin.default.svc.cluster.local'],
        ports: [{ number: 8000, name: 'http', protocol: 'HTTP' }],
        resolution: 'STATIC',
        endpoints: [{ address: '127.0.0.1', ports: { http: 18001 }, labels: { version: 'v1' } }],
      },
    },
  ]
}
