import type { ServiceEntryResource, ServicePort, WorkloadEntry } from '@portico/core'
import fc from 'fast-check'
import {
  cidr,
  dnsLabel,
  fqdn,
  labels,
  networkingApiVersion,
  objectMeta,
  portNumber,
  type SizeOptions,
  uniqueList,
} from './primitives.js'

/** Options of `arbitraries.serviceEntry`. */
export interface ServiceEntryArbitraryOptions extends SizeOptions {
  /** The entry's hosts (default: one to three FQDNs, sometimes a wildcard). */
  readonly hosts?: fc.Arbitrary<string[]>
  /** The entry's namespace (default: drawn, sometimes absent). */
  readonly namespace?: string
}

const HTTP_LIKE = ['HTTP', 'HTTP2', 'GRPC', 'HTTPS', 'TLS', 'http'] as const
const OTHER = ['TCP', 'MONGO', 'REDIS', 'MYSQL'] as const

/** Service ports with unique numbers and names; `httpOnly` keeps to HTTP/TLS-class protocols. */
export function servicePorts(httpOnly: boolean, options: SizeOptions = {}): fc.Arbitrary<ServicePort[]> {
  const protocol = httpOnly
    ? fc.constantFrom(...HTTP_LIKE)
    : fc.option(fc.constantFrom(...HTTP_LIKE, ...OTHER), { nil: undefined, freq: 5 })
  const port = fc
    .record(
      {
        number: portNumber,
        name: fc.oneof(fc.constantFrom('http', 'https', 'grpc', 'tcp', 'web'), dnsLabel),
        protocol,
        targetPort: portNumber,
      },
      { requiredKeys: httpOnly ? ['number', 'name', 'protocol'] : ['number', 'name'] },
    )
    .map((p): ServicePort => {
      const { protocol: proto, ...rest } = p
      return proto === undefined ? rest : { ...rest, protocol: proto }
    })
  return uniqueList(port, (p) => p.number, 1, 3, options).filter(
    (ports) => new Set(ports.map((p) => p.name)).size === ports.length,
  )
}

function endpoint(portNames: readonly string[], address: fc.Arbitrary<string>): fc.Arbitrary<WorkloadEntry> {
  return fc.record(
    {
      address,
      ports: fc
        .subarray([...portNames])
        .chain((names) =>
          fc.tuple(...names.map((n) => fc.integer({ min: 1, max: 65535 }).map((p) => [n, p] as const))),
        )
        .map((pairs) => Object.fromEntries(pairs)),
      labels: labels(2),
      weight: fc.integer({ min: 1, max: 100 }),
      locality: fc.constantFrom('us-east1/us-east1-b', 'eu-west1', 'us-central1/us-central1-a/rack1'),
      network: fc.constantFrom('network1', 'network2'),
    },
    { requiredKeys: ['address'] },
  )
}

/**
 * A valid `ServiceEntry`: hosts (no `*`), unique ports, and a resolution with the endpoints it
 * allows: NONE (none, CIDR addresses), STATIC (IP endpoints or a workload selector), DNS
 * (FQDN/IP endpoints, or FQDN hosts alone), DNS_ROUND_ROBIN (at most one endpoint).
 */
export function serviceEntryArbitrary(
  options: ServiceEntryArbitraryOptions = {},
): fc.Arbitrary<ServiceEntryResource> {
  const hosts =
    options.hosts ??
    fc.uniqueArray(
      fc.oneof(
        { weight: 8, arbitrary: fqdn },
        { weight: 2, arbitrary: fqdn.map((h) => `*.${h}`) },
        // A partial wildcard is only a warning on a ServiceEntry.
        { weight: 1, arbitrary: fqdn.map((h) => `*${h}`) },
      ),
      { minLength: 1, maxLength: 3 },
    )
  return fc
    .record({
      apiVersion: networkingApiVersion,
      metadata: objectMeta(options.namespace === undefined ? {} : { namespace: options.namespace }),
      hosts,
      resolution: fc.constantFrom(
        'NONE' as const,
        'STATIC' as const,
        'DNS' as const,
        'DNS_ROUND_ROBIN' as const,
        undefined,
      ),
      location: fc.option(fc.constantFrom('MESH_EXTERNAL' as const, 'MESH_INTERNAL' as const), {
        nil: undefined,
      }),
      exportTo: fc.option(fc.constantFrom<string[]>(['.'], ['*'], ['~']), { nil: undefined, freq: 4 }),
      selector: fc.boolean(),
    })
    .chain(({ apiVersion, metadata, hosts, resolution, location, exportTo, selector }) => {
      const multi = hosts.length > 1 && resolution !== undefined && resolution !== 'NONE'
      const dnsWithoutEndpoints =
        (resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') && hosts.some((h) => h.startsWith('*'))
      return servicePorts(multi, options).chain((ports) => {
        const names = ports.map((p) => p.name)
        let rest: fc.Arbitrary<Partial<ServiceEntryResource['spec']>>
        switch (resolution) {
          case undefined:
          case 'NONE':
            rest = fc.record(
              { addresses: fc.array(fc.oneof(cidr, fc.ipV4()), { minLength: 1, maxLength: 2 }) },
              { requiredKeys: [] },
            )
            break
          case 'STATIC':
            rest =
              ports.length === 1 && hosts.length === 1 && selector && metadata.name.length % 3 === 0
                ? // A unix domain socket endpoint: one service port, no endpoint ports.
                  dnsLabel.map((socket) => ({ endpoints: [{ address: `unix:///var/run/${socket}.sock` }] }))
                : selector
                  ? labels(2)
                      .filter((l) => Object.keys(l).length > 0)
                      .map((l) => ({ workloadSelector: { labels: l } }))
                  : fc.record(
                      {
                        addresses: fc.array(fc.oneof(cidr, fc.ipV4()), { minLength: 1, maxLength: 2 }),
                        endpoints: fc.array(endpoint(names, fc.ipV4()), { minLength: 1, maxLength: 3 }),
                      },
                      { requiredKeys: ['endpoints'] },
                    )
            break
          case 'DNS':
            rest = fc.record(
              {
                endpoints: fc.array(endpoint(names, fc.oneof(fqdn, fc.ipV4())), {
                  minLength: dnsWithoutEndpoints ? 1 : 0,
                  maxLength: 3,
                }),
              },
              { requiredKeys: dnsWithoutEndpoints ? ['endpoints'] : [] },
            )
            break
          case 'DNS_ROUND_ROBIN':
            rest = fc.record(
              { endpoints: fc.array(endpoint(names, fqdn), { minLength: 1, maxLength: 1 }) },
              { requiredKeys: dnsWithoutEndpoints ? ['endpoints'] : [] },
            )
            break
        }
        return rest.map(
          (extra): ServiceEntryResource => ({
            apiVersion,
            kind: 'ServiceEntry',
            metadata,
            spec: {
              hosts,
              ports,
              ...(resolution === undefined ? {} : { resolution }),
              ...(location === undefined ? {} : { location }),
              ...extra,
              ...(exportTo === undefined ? {} : { exportTo }),
            },
          }),
        )
      })
    })
}
