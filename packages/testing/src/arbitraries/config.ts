import type {
  Destination,
  DestinationRuleResource,
  GatewayResource,
  Resource,
  ServiceEntryResource,
  Subset,
  VirtualServiceResource,
} from '@portico/core'
import fc from 'fast-check'
import { trafficPolicyArbitrary } from './destination-rule.js'
import { gatewayServers } from './gateway.js'
import {
  baseDomain,
  dnsLabel,
  list,
  networkingApiVersion,
  type SizeOptions,
  uniqueList,
} from './primitives.js'
import { httpRouteArbitrary } from './virtual-service.js'

/** Options of `arbitraries.config`. */
export interface ConfigArbitraryOptions extends SizeOptions {
  /** Most Gateways (default 2). */
  readonly maxGateways?: number
  /** Most VirtualServices (default 3). */
  readonly maxVirtualServices?: number
  /** Most backend services, each with a ServiceEntry (default 3). */
  readonly maxServices?: number
  /** Most HTTP rules per VirtualService (default 4). */
  readonly maxRoutes?: number
  /** Plaintext HTTP servers only, so the config can be served without certificates (default false). */
  readonly plaintext?: boolean
  /** Namespaces to place resources in (default `default` and `prod`). */
  readonly namespaces?: readonly string[]
}

interface Service {
  readonly name: string
  readonly namespace: string
  readonly port: number
  readonly fqdn: string
  readonly subsets: readonly string[]
}

const VERSIONS = ['v1', 'v2', 'v3'] as const

/** The ServiceEntry of a service: STATIC, one HTTP port, one labelled endpoint per version. */
function serviceEntryOf(
  service: Service,
  versions: readonly string[],
  ports: readonly number[],
): ServiceEntryResource {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: service.name, namespace: service.namespace },
    spec: {
      hosts: [service.fqdn],
      location: 'MESH_INTERNAL',
      ports: [{ number: service.port, name: 'http', protocol: 'HTTP' }],
      resolution: 'STATIC',
      endpoints: versions.map((version, i) => ({
        address: `127.0.0.${i + 1}`,
        ports: { http: ports[i] ?? 20_000 + i },
        labels: { app: service.name, version },
      })),
    },
  }
}

/**
 * A coherent, valid config set: Gateways (selector `istio: ingressgateway`, HTTP and
 * terminating HTTPS servers under per-Gateway domains, so no two Gateways conflict),
 * VirtualServices bound to them by `name` or `ns/name` with hosts their servers admit,
 * ServiceEntries (STATIC, labelled endpoints) for every destination, and DestinationRules whose
 * subsets select those labels. Resources come in load order: Gateways, ServiceEntries,
 * DestinationRules, VirtualServices.
 */
export function configArbitrary(options: ConfigArbitraryOptions = {}): fc.Arbitrary<Resource[]> {
  const namespaces = options.namespaces ?? ['default', 'prod']
  const namespace = fc.constantFrom(...namespaces)

  const service = fc
    .record({
      name: dnsLabel,
      namespace,
      port: fc.constantFrom(8000, 80, 9080, 5000),
      versions: fc.uniqueArray(fc.constantFrom(...VERSIONS), { minLength: 1, maxLength: 3 }),
      // Below Linux's ephemeral range, so an endpoint rarely lands on a listener a test started.
      ports: fc.array(fc.integer({ min: 20000, max: 32000 }), { minLength: 3, maxLength: 3 }),
      rule: fc.boolean(),
      policy: fc.option(trafficPolicyArbitrary(), { nil: undefined }),
    })
    .map(({ name, namespace, port, versions, ports, rule, policy }) => {
      const svc: Service = {
        name,
        namespace,
        port,
        fqdn: `${name}.${namespace}.svc.cluster.local`,
        subsets: rule ? versions : [],
      }
      const se = serviceEntryOf(svc, versions, ports)
      const dr: DestinationRuleResource | undefined = rule
        ? {
            apiVersion: 'networking.istio.io/v1',
            kind: 'DestinationRule',
            metadata: { name, namespace },
            spec: {
              host: name,
              ...(policy === undefined ? {} : { trafficPolicy: policy }),
              subsets: versions.map((v): Subset => ({ name: v, labels: { version: v } })),
            },
          }
        : undefined
      return { svc, se, dr }
    })
  const services = uniqueList(service, (s) => s.svc.name, 1, options.maxServices ?? 3, options)

  const gateway = fc
    .record({ name: dnsLabel, namespace, domain: baseDomain, apiVersion: networkingApiVersion })
    .chain(({ name, namespace, domain, apiVersion }) =>
      gatewayServers({
        ...options,
        domains: [domain],
        httpOnly: true,
        plaintext: options.plaintext ?? false,
        certificateFiles: true,
        namespacedHosts: false,
        maxServers: 3,
      }).map(
        (servers): GatewayResource => ({
          apiVersion,
          kind: 'Gateway',
          metadata: { name, namespace },
          spec: { selector: { istio: 'ingressgateway' }, servers },
        }),
      ),
    )
  const gateways = uniqueList(
    gateway,
    (g) => (g.spec.servers?.[0]?.hosts[0] ?? '').split('.').slice(-2).join('.'),
    1,
    options.maxGateways ?? 2,
    options,
  ).map((gws) => {
    // Names are unique per namespace; suffix repeated names with their position.
    const seen = new Set<string>()
    return gws.map((g, i) => {
      const key = `${g.metadata.namespace}/${g.metadata.name}`
      const name = seen.has(key) ? `${g.metadata.name}-${i}` : g.metadata.name
      seen.add(`${g.metadata.namespace}/${name}`)
      return { ...g, metadata: { ...g.metadata, name } }
    })
  })

  return fc.tuple(gateways, services).chain(([gws, svcs]) => {
    const virtualService = fc
      .record({
        gateway: fc.constantFrom(...gws),
        name: dnsLabel,
        namespace,
        apiVersion: networkingApiVersion,
      })
      .chain(({ gateway, name, namespace: vsNs, apiVersion }) => {
        const gwNs = gateway.metadata.namespace ?? 'default'
        const ref = gwNs === vsNs ? gateway.metadata.name : `${gwNs}/${gateway.metadata.name}`
        const servers = gateway.spec.servers ?? []
        const serverHosts = [...new Set(servers.flatMap((s) => s.hosts))]
        const ports = [...new Set(servers.map((s) => s.port.number))]
        const candidates = fc
          .tuple(
            ...serverHosts.map((h) =>
              h.startsWith('*.')
                ? fc.oneof(
                    fc.constant(h),
                    dnsLabel.map((l) => `${l}${h.slice(1)}`),
                  )
                : fc.constant(h),
            ),
          )
          .chain((hosts) => fc.shuffledSubarray(hosts, { minLength: 1 }))
          .map(nonOverlapping)
        const destination: fc.Arbitrary<Destination> = fc.constantFrom(...svcs).chain(({ svc }) =>
          fc
            .record(
              {
                host: fc.constantFrom(svc.fqdn, ...(svc.namespace === vsNs ? [svc.name] : [])),
                subset: svc.subsets.length > 0 ? fc.constantFrom(...svc.subsets) : fc.constant(undefined),
                port: fc.constant({ number: svc.port }),
              },
              { requiredKeys: ['host'] },
            )
            .map(
              (d): Destination =>
                d.subset === undefined ? { host: d.host, ...(d.port ? { port: d.port } : {}) } : d,
            ),
        )
        return candidates.chain((hosts) =>
          list(
            httpRouteArbitrary({
              ...options,
              destination,
              ports,
              authorities: hosts.filter((h) => !h.includes('*')),
            }),
            1,
            options.maxRoutes ?? 4,
            options,
          ).map(
            (http): VirtualServiceResource => ({
              apiVersion,
              kind: 'VirtualService',
              metadata: { name, namespace: vsNs },
              spec: { hosts, gateways: [ref], http },
            }),
          ),
        )
      })
    const virtualServices = uniqueList(
      virtualService,
      (vs) => `${vs.metadata.namespace}/${vs.metadata.name}`,
      1,
      options.maxVirtualServices ?? 3,
      options,
    )
    return virtualServices.map((vss): Resource[] => [
      ...gws,
      ...svcs.map((s) => s.se),
      ...svcs.flatMap((s) => (s.dr === undefined ? [] : [s.dr])),
      ...vss,
    ])
  })
}

/** True when two host names can name the same request host (`*.a.com` covers `b.a.com`). */
export function hostsOverlap(a: string, b: string): boolean {
  if (a === b || a === '*' || b === '*') return true
  if (a.startsWith('*.') && b.endsWith(a.slice(1))) return true
  if (b.startsWith('*.') && a.endsWith(b.slice(1))) return true
  return false
}

function nonOverlapping(hosts: readonly string[]): string[] {
  const kept: string[] = []
  for (const h of hosts) if (!kept.some((k) => hostsOverlap(k, h))) kept.push(h)
  return kept
}
