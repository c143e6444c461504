import type { GatewaySpec, SecretResource, ServiceEntrySpec, VirtualServiceSpec } from '@portico/core'
import { stringify } from 'yaml'
import type { CertificatePair } from './certs.js'

/**
 * A step of Istio's "Control Ingress Traffic" task, the seed scenario:
 * `1` a Gateway with HTTP on port 80; `2` HTTPS on 443 added beside it; `3` the HTTP port removed.
 * Each step also has the VirtualService (`/status` and `/delay` to `httpbin:8000`) and httpbin as a
 * STATIC ServiceEntry.
 */
export type SeedStep = 1 | 2 | 3

/** Options of {@link seedResources} and {@link seedYaml}. */
export interface SeedOptions {
  /** Address of httpbin's endpoint in the ServiceEntry (default `127.0.0.1`). */
  readonly httpbinHost?: string
  /** Port of httpbin's endpoint, e.g. `startHttpbin().port` (default `8000`). */
  readonly httpbinPort?: number
  /** Labels of httpbin's endpoint (default none), for DestinationRule subsets. */
  readonly httpbinLabels?: Readonly<Record<string, string>>
  /**
   * The HTTPS server's certificate and key as PEM (steps 2 and 3). The task's way: the resources
   * gain the Secret `istio-system/istio-ingressgateway-certs`, which the Gateway's
   * `/etc/istio/ingressgateway-certs/tls.{crt,key}` paths resolve to. Without it (and without
   * `certificateFiles`) those paths are read from disk.
   */
  readonly certificate?: CertificatePair
  /**
   * The HTTPS server's certificate and key as files (`serverCertificate` and `privateKey`), e.g.
   * what `writeTlsFiles()` returns. Wins over `certificate`.
   */
  readonly certificateFiles?: { readonly cert: string; readonly key: string }
  /** Path prefixes the VirtualService routes to httpbin (default the task's `/status` and `/delay`). */
  readonly prefixes?: readonly string[]
}

/** An Istio resource of the seed: its kind, name and typed `spec`. */
export type SeedResource<K extends string, S> = {
  /** `networking.istio.io/v1alpha3`, as the task writes it (`v1` for the ServiceEntry). */
  readonly apiVersion: string
  /** The resource kind. */
  readonly kind: K
  /** Name, in the `default` namespace. */
  readonly metadata: { readonly name: string }
  /** The resource's spec. */
  readonly spec: S
}

/** The resources of one seed step, in the order the task applies them. */
export type SeedResources = [
  gateway: SeedResource<'Gateway', GatewaySpec>,
  virtualService: SeedResource<'VirtualService', VirtualServiceSpec>,
  serviceEntry: SeedResource<'ServiceEntry', ServiceEntrySpec>,
  ...secret: SecretResource[],
]

/** The Gateway's name in the seed, which the VirtualService binds to. */
export const SEED_GATEWAY = 'httpbin-gateway'
/** The host the seed's Gateway serves (`curl --resolve httpbin.example.com:…`). */
export const SEED_HOST = 'httpbin.example.com'
/** Where the task mounts the ingress certificate; the Secret {@link SEED_SECRET} backs these paths. */
export const SEED_CERT_PATHS = {
  cert: '/etc/istio/ingressgateway-certs/tls.crt',
  key: '/etc/istio/ingressgateway-certs/tls.key',
} as const
/** The task's TLS Secret: `istio-ingressgateway-certs` in `istio-system`. */
export const SEED_SECRET = { name: 'istio-ingressgateway-certs', namespace: 'istio-system' } as const

/**
 * The resources of the seed scenario (Istio's "Control Ingress Traffic" task) at `step`, typed and
 * ready for `createGateway({ config: { resources } })`, `compile(createSnapshot(resources))` or a
 * managed gateway's `create()`.
 *
 * @example
 * ```ts
 * const httpbin = await startHttpbin()
 * const gw = await createGateway({
 *   config: { resources: seedResources(1, { httpbinPort: httpbin.port }) },
 *   ports: { 80: 0 },
 * })
 * ```
 */
export function seedResources(step: SeedStep = 1, options: SeedOptions = {}): SeedResources {
  const http = { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [SEED_HOST] }
  const files = options.certificateFiles ?? SEED_CERT_PATHS
  const https = {
    port: { number: 443, name: 'https', protocol: 'HTTPS' },
    tls: { mode: 'SIMPLE' as const, serverCertificate: files.cert, privateKey: files.key },
    hosts: [SEED_HOST],
  }
  const servers = step === 1 ? [http] : step === 2 ? [http, https] : [https]
  const endpoint = {
    address: options.httpbinHost ?? '127.0.0.1',
    ports: { http: options.httpbinPort ?? 8000 },
    ...(options.httpbinLabels === undefined ? {} : { labels: { ...options.httpbinLabels } }),
  }
  const resources: SeedResources = [
    {
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'Gateway',
      metadata: { name: SEED_GATEWAY },
      spec: { selector: { istio: 'ingressgateway' }, servers },
    },
    {
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'VirtualService',
      metadata: { name: 'httpbin' },
      spec: {
        hosts: ['*'],
        gateways: [SEED_GATEWAY],
        http: [
          {
            match: (options.prefixes ?? ['/status', '/delay']).map((prefix) => ({ uri: { prefix } })),
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
        endpoints: [endpoint],
      },
    },
  ]
  if (step !== 1 && options.certificate !== undefined && options.certificateFiles === undefined) {
    resources.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { ...SEED_SECRET },
      type: 'kubernetes.io/tls',
      data: {
        'tls.crt': Buffer.from(options.certificate.cert).toString('base64'),
        'tls.key': Buffer.from(options.certificate.key).toString('base64'),
      },
    })
  }
  return resources
}

/** The YAML documents of one seed step, in the order of {@link SeedResources}. */
export type SeedYamlDocuments = [
  gateway: string,
  virtualService: string,
  serviceEntry: string,
  ...secret: string[],
]

/**
 * The seed's documents as YAML, one string per resource of {@link seedResources} (same order), for
 * tests that apply them one at a time.
 */
export function seedYamlDocuments(step: SeedStep = 1, options: SeedOptions = {}): SeedYamlDocuments {
  return seedResources(step, options).map((resource) => stringify(resource)) as SeedYamlDocuments
}

/**
 * The seed at `step` as one multi-document YAML stream (the documents of {@link seedResources}
 * separated by `---`), to write to a file for `portico serve -f`, post to the admin endpoint, or
 * load with `parseResources()`.
 *
 * @example
 * ```ts
 * await writeFile(join(dir, 'seed.yaml'), seedYaml(2, { httpbinPort: httpbin.port, certificate: pair }))
 * ```
 */
export function seedYaml(step: SeedStep = 1, options: SeedOptions = {}): string {
  return seedYamlDocuments(step, options).join('---\n')
}
