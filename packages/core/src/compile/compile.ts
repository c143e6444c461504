import type { Diagnostic, ResourceRef, SourceLocation } from '../diagnostics/diagnostic.js'
import { sourceOf } from '../load/source.js'
import { intersectHosts, parseServerHost, serverHostsForNamespace } from '../model/hosts.js'
import { MESH_GATEWAY, resolveGatewayName, resolveShortname } from '../model/names.js'
import { namespaceOf, type Snapshot, type SnapshotResource } from '../model/snapshot.js'
import { compilePolicies } from '../policy/compile.js'
import { DEFAULT_GATEWAY_LABELS, DEFAULT_GATEWAY_NAMESPACE } from '../policy/scope.js'
import { destinationRuleSpecSchema } from '../resources/destination-rule.js'
import { type GatewaySpec, gatewaySpecSchema, type Server } from '../resources/gateway.js'
import { secretValue } from '../resources/secret.js'
import { authorizationPolicySpecSchema, requestAuthenticationSpecSchema } from '../resources/security.js'
import { serviceEntrySpecSchema } from '../resources/service-entry.js'
import {
  type HTTPRoute,
  type VirtualServiceSpec,
  virtualServiceSpecSchema,
} from '../resources/virtual-service.js'
import { type RegistryService, type SecretLookup, ServiceCatalog } from './clusters.js'
import {
  GATEWAY_API_ORIGIN,
  type GatewayApiOrigin,
  INVALID_BACKEND,
  KUBERNETES_GATEWAY_CREDENTIAL,
  type TranslatedL4Rule,
  type TranslatedRule,
  translateGatewayApi,
} from './gateway-api.js'
import { createHostTable } from './host-table.js'
import { type RouteContext, type SourcedRoute, translateHttpRoutes, weighted } from './http-routes.js'
import { RouteIndex } from './route-index.js'
import { firstTcpRule } from './tcp-routes.js'
import type {
  Cluster,
  CompiledConfig,
  CompiledListener,
  CompiledRoute,
  CompiledServer,
  ListenerProtocol,
  PathPolicy,
  PemSource,
  RequestView,
  RouteActionSpec,
  RouteOrigin,
  RouteTable,
  ServerTls,
  TcpRouteEntry,
  TlsRouteEntry,
  VirtualHost,
  WeightedDestination,
} from './types.js'

/** Options of {@link compile}. */
export interface CompileOptions {
  /** Labels of this gateway process; Gateways whose selector is not a subset are ignored. Default `istio=ingressgateway`. */
  readonly labels?: Readonly<Record<string, string>>
  /** Gateway port → listen port; recorded on each listener as `listenPort` (the server applies it). */
  readonly portMap?: ReadonlyMap<number, number> | Readonly<Record<number, number>>
  /** Programmatic service registry: FQDN → ports and endpoints (next to ServiceEntries). */
  readonly services?: ReadonlyMap<string, RegistryService> | Readonly<Record<string, RegistryService>>
  /** Path normalization applied by `route()` (default Istio `BASE`). */
  readonly pathPolicy?: PathPolicy
  /** The GatewayClass whose Gateway API Gateways this process serves (default `istio`). */
  readonly gatewayClassName?: string
  /** 404 (Istio, default) or 421 for a TLS request whose authority belongs to another server of the port. */
  readonly misdirectedStatus?: 404 | 421
  /** Namespace this gateway runs in, for security policy scope (default `istio-system`). */
  readonly namespace?: string
  /** Source positions of resources, for route origins and diagnostics (default: the loader's `sourceOf`). */
  readonly locate?: (
    resource: SnapshotResource,
    path: readonly (string | number)[],
  ) => SourceLocation | undefined
}

/** The result of a pure stage. */
export interface CompileResult {
  readonly value: CompiledConfig
  readonly diagnostics: readonly Diagnostic[]
}

type Res = SnapshotResource & {
  readonly spec?: unknown
  readonly data?: Readonly<Record<string, string>>
  readonly stringData?: Readonly<Record<string, string>>
}

const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB'])

interface ServerEntry {
  readonly gateway: Res
  readonly ref: ResourceRef
  readonly server: Server
  readonly index: number
  readonly protocol: string
  readonly kind: 'HTTP' | 'TLS' | 'TCP'
}

interface BoundVs {
  readonly vs: Res
  readonly ref: ResourceRef
  readonly spec: VirtualServiceSpec
  readonly hosts: string[]
  readonly gateways: Set<string>
}

const refKey = (r: { namespace: string; name: string }) => `${r.namespace}/${r.name}`

function serverKind(server: Server): { kind: 'HTTP' | 'TLS' | 'TCP'; protocol: string } {
  const protocol = server.port.protocol.toUpperCase()
  if (HTTP_PROTOCOLS.has(protocol)) return { kind: 'HTTP', protocol }
  if (protocol === 'HTTPS' || protocol === 'TLS') return { kind: 'TLS', protocol }
  return { kind: 'TCP', protocol }
}

const TLS_VERSIONS = {
  TLSV1_0: 'TLSv1',
  TLSV1_1: 'TLSv1.1',
  TLSV1_2: 'TLSv1.2',
  TLSV1_3: 'TLSv1.3',
} as const

const SEED_CERT_DIR = '/etc/istio/ingressgateway-certs/'

/**
 * Compiles a snapshot into what one gateway process serves (Istio's gateway.go for the
 * selected Gateways): listeners per port, servers (one merged `http.<port>` for plaintext HTTP,
 * one per TLS server chosen by SNI), virtual hosts from VirtualServices bound by `gateways`
 * and intersected with server hosts, ordered routes with precompiled matchers, and clusters from
 * ServiceEntries, the registry and DestinationRules. Never throws on user input.
 */
export function compile(snapshot: Snapshot<SnapshotResource>, options: CompileOptions = {}): CompileResult {
  const diagnostics: Diagnostic[] = []
  const labels = options.labels ?? DEFAULT_GATEWAY_LABELS
  const list = (kind: string) =>
    (snapshot.list(kind) as readonly Res[]).filter((r) => wellFormed(r, diagnostics))
  const locator =
    (resource: Res) =>
    (path: readonly (string | number)[]): SourceLocation | undefined =>
      options.locate !== undefined ? options.locate(resource, path) : sourceOf(resource)?.locate(path)

  const secrets = list('Secret')
  const findSecret = (name: string, namespaces: readonly string[]) => {
    for (const ns of namespaces) {
      const s = secrets.find((x) => x.metadata.name === name && namespaceOf(x) === ns)
      if (s !== undefined) return s
    }
    return undefined
  }
  const pem = (secret: Res, keys: readonly string[]): PemSource | undefined => {
    for (const k of keys) {
      const text = secretValue(secret, k)
      if (text !== undefined) {
        return {
          kind: 'inline',
          pem: text,
          secret: { kind: 'Secret', namespace: namespaceOf(secret), name: secret.metadata.name },
        }
      }
    }
    return undefined
  }
  const secretLookup: SecretLookup = (name) => {
    const s = findSecret(name, [...new Set(secrets.map(namespaceOf))])
    if (s === undefined) return undefined
    const cert = pem(s, ['tls.crt', 'cert'])
    const key = pem(s, ['tls.key', 'key'])
    const ca = pem(s, ['ca.crt', 'cacert'])
    return {
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
      ...(ca === undefined ? {} : { ca }),
    }
  }

  // 0. The Gateway API kinds and Kubernetes Services, translated into Istio's (as Istio does).
  const gatewayApi = hasGatewayApi(snapshot)
    ? translateGatewayApi(snapshot, {
        ...(options.gatewayClassName === undefined ? {} : { gatewayClassName: options.gatewayClassName }),
        hostKnown: (() => {
          const known = new ServiceCatalog(list('ServiceEntry'), [], options.services)
          return (host: string) => known.service(host) !== undefined
        })(),
      })
    : undefined

  // 1. Gateways that select this process, servers grouped by port (first server's kind wins).
  const gateways = [
    ...list('Gateway').filter((g) => {
      const selector = (g.spec as GatewaySpec | undefined)?.selector
      return selector === undefined || Object.entries(selector).every(([k, v]) => labels[k] === v)
    }),
    ...((gatewayApi?.gateways ?? []) as Res[]),
  ]
  const byPort = new Map<number, ServerEntry[]>()
  for (const gateway of gateways) {
    const ref: ResourceRef = { kind: 'Gateway', namespace: namespaceOf(gateway), name: gateway.metadata.name }
    const servers = (gateway.spec as GatewaySpec | undefined)?.servers ?? []
    servers.forEach((server, index) => {
      const { kind, protocol } = serverKind(server)
      const entries = byPort.get(server.port.number) ?? []
      const first = entries[0]
      if (first !== undefined && first.kind !== kind) {
        diagnostics.push({
          severity: 'warning',
          code: 'PTC4001',
          message: `server skipped: port ${server.port.number} already serves ${first.kind} (from Gateway ${refKey(first.ref)}); ${kind} cannot share it`,
          resource: ref,
          path: `spec.servers[${index}]`,
          ...withSource(locator(gateway)(['spec', 'servers', index])),
        })
        return
      }
      entries.push({ gateway, ref, server, index, protocol, kind })
      byPort.set(server.port.number, entries)
    })
  }

  // 2. VirtualServices bound to a selected gateway (no `gateways` = mesh only).
  const vsList: BoundVs[] = []
  for (const vs of [...list('VirtualService'), ...((gatewayApi?.virtualServices ?? []) as Res[])]) {
    const spec = vs.spec as VirtualServiceSpec | undefined
    if (spec === undefined) continue
    const ns = namespaceOf(vs)
    const gws = new Set<string>()
    for (const g of spec.gateways ?? []) {
      const r = resolveGatewayName(g, ns)
      if (r !== MESH_GATEWAY) gws.add(refKey(r))
    }
    if (gws.size === 0) continue
    vsList.push({
      vs,
      ref: { kind: 'VirtualService', namespace: ns, name: vs.metadata.name },
      spec,
      hosts: (spec.hosts ?? []).map((h) => resolveShortname(h, ns).toLowerCase()),
      gateways: gws,
    })
  }

  const catalog = new ServiceCatalog(
    list('ServiceEntry'),
    list('DestinationRule'),
    gatewayApi === undefined || gatewayApi.services.size === 0
      ? options.services
      : new Map([...registryEntries(options.services), ...gatewayApi.services]),
  )
  const referenced = new Map<string, { host: string; port: number; subset: string | undefined }>()
  const resolver = {
    servicePorts: (host: string) => catalog.servicePorts(host),
    reference: (name: string, host: string, port: number, subset: string | undefined) => {
      if (!referenced.has(name)) referenced.set(name, { host, port, subset })
    },
  }

  const routeCache = new Map<string, CompiledRoute[]>()
  const actionCache = new Map<string, RouteActionSpec>()
  const routesFor = (b: BoundVs, entry: ServerEntry): CompiledRoute[] => {
    const gwKey = refKey(entry.ref)
    const key = `${refKey(b.ref)}|${entry.server.port.number}|${gwKey}`
    const cached = routeCache.get(key)
    if (cached !== undefined) return cached
    const ctx: RouteContext = {
      virtualService: b.ref,
      serverPort: entry.server.port.number,
      gatewayAllowed: (names) =>
        names.some((n) => {
          const r = resolveGatewayName(n, b.ref.namespace)
          return r !== MESH_GATEWAY && refKey(r) === gwKey
        }),
      resolver,
      diagnostics,
      actionCache,
      labels,
    }
    const routes = translateHttpRoutes(expandDelegates(b, snapshot, locator), ctx)
    routeCache.set(key, routes)
    return routes
  }

  // A VirtualService binds when it names the gateway and its `exportTo` (default `*`) makes it
  // visible in the gateway's namespace (`.` = its own namespace).
  const visibleIn = (b: BoundVs, namespace: string) => {
    const exportTo = b.spec.exportTo
    if (exportTo === undefined || exportTo.length === 0) return true
    return exportTo.some((e) => e === '*' || e === namespace || (e === '.' && b.ref.namespace === namespace))
  }
  const boundTo = (entry: ServerEntry) =>
    vsList.filter((b) => b.gateways.has(refKey(entry.ref)) && visibleIn(b, entry.ref.namespace))

  // 3. Route tables.
  const buildTable = (name: string, entries: readonly ServerEntry[], port: number): RouteTable => {
    const vhosts = new Map<string, { routes: CompiledRoute[]; requireTls: boolean; from: Set<string> }>()
    for (const entry of entries) {
      const requireTls = entry.kind === 'HTTP' && entry.server.tls?.httpsRedirect === true
      const gwNs = entry.ref.namespace
      for (const b of boundTo(entry)) {
        const serverHosts = serverHostsForNamespace(entry.server.hosts, b.ref.namespace, gwNs)
        const hosts = intersectHosts(serverHosts, b.hosts)
        if (hosts.length === 0) continue
        const routes = routesFor(b, entry)
        const vsKey = refKey(b.ref)
        for (const host of hosts) {
          let vh = vhosts.get(host)
          if (vh === undefined) {
            vh = { routes: [], requireTls, from: new Set() }
            vhosts.set(host, vh)
          }
          if (requireTls) vh.requireTls = true
          // A VirtualService bound to several gateways of the port contributes its routes once.
          if (vh.from.has(vsKey)) continue
          vh.from.add(vsKey)
          for (const r of routes) vh.routes.push(r)
        }
      }
      if (requireTls) {
        for (const h of entry.server.hosts) {
          const host = parseServerHost(h, gwNs).host
          const vh = vhosts.get(host)
          if (vh === undefined) vhosts.set(host, { routes: [], requireTls: true, from: new Set() })
          else vh.requireTls = true
        }
      }
    }
    const virtualHosts: VirtualHost[] = []
    for (const [host, vh] of vhosts) {
      // Istio SortVHostRoutes: catch-all routes of merged VirtualServices move last, order kept.
      const ordered = [...vh.routes.filter((r) => !r.catchAll), ...vh.routes.filter((r) => r.catchAll)]
      virtualHosts.push(makeVirtualHost(`${host}:${port}`, [host], ordered, vh.requireTls))
    }
    if (virtualHosts.length === 0) virtualHosts.push(makeVirtualHost(`blackhole:${port}`, ['*'], [], false))
    const table = createHostTable(virtualHosts.flatMap((v) => v.domains.map((d) => [d, v] as const)))
    return { name, virtualHosts, findVirtualHost: (host) => table.find(host) }
  }

  const serverTls = (entry: ServerEntry): ServerTls | undefined => {
    const tls = entry.server.tls
    if (tls === undefined || entry.kind !== 'TLS') return undefined
    const mode = tls.mode ?? 'PASSTHROUGH'
    let certificate: PemSource | undefined
    let privateKey: PemSource | undefined
    let caCertificates: PemSource | undefined
    const credential = tls.credentialName ?? tls.credentialNames?.[0]
    if (credential !== undefined) {
      // A Gateway API listener's certificateRef names its Secret's namespace (checked against
      // ReferenceGrants in translation); an Istio Gateway's credentialName is looked up by name.
      const translated =
        GATEWAY_API_ORIGIN in entry.gateway && credential.startsWith(KUBERNETES_GATEWAY_CREDENTIAL)
      const [secretNs, secretName] = translated
        ? (credential.slice(KUBERNETES_GATEWAY_CREDENTIAL.length).split('/') as [string, string])
        : [undefined, credential]
      const s = findSecret(
        secretName,
        secretNs === undefined ? [entry.ref.namespace, 'istio-system'] : [secretNs],
      )
      if (s === undefined) {
        diagnostics.push({
          severity: 'warning',
          code: 'PTC4003',
          message: `TLS credential ${credential} not found: Secret ${credential} in namespace ${entry.ref.namespace} or istio-system`,
          resource: entry.ref,
          path: `spec.servers[${entry.index}].tls.credentialName`,
          ...withSource(locator(entry.gateway)(['spec', 'servers', entry.index, 'tls', 'credentialName'])),
        })
      } else {
        certificate = pem(s, ['tls.crt', 'cert'])
        privateKey = pem(s, ['tls.key', 'key'])
        caCertificates = pem(s, ['ca.crt', 'cacert'])
        if (caCertificates === undefined) {
          const ca = findSecret(`${credential}-cacert`, [namespaceOf(s)])
          if (ca !== undefined) caCertificates = pem(ca, ['ca.crt', 'cacert'])
        }
      }
    } else {
      const seed = findSecret('istio-ingressgateway-certs', ['istio-system'])
      const fromPath = (path: string | undefined): PemSource | undefined => {
        if (path === undefined) return undefined
        if (seed !== undefined && path.startsWith(SEED_CERT_DIR)) {
          const inline = pem(seed, [path.slice(SEED_CERT_DIR.length)])
          if (inline !== undefined) return inline
        }
        return { kind: 'file', path }
      }
      const first = tls.tlsCertificates?.[0]
      certificate = fromPath(tls.serverCertificate ?? first?.serverCertificate)
      privateKey = fromPath(tls.privateKey ?? first?.privateKey)
      caCertificates = fromPath(tls.caCertificates ?? first?.caCertificates)
    }
    const min = tls.minProtocolVersion
    const max = tls.maxProtocolVersion
    return {
      mode,
      ...(certificate === undefined ? {} : { certificate }),
      ...(privateKey === undefined ? {} : { privateKey }),
      ...(caCertificates === undefined ? {} : { caCertificates }),
      ...(credential === undefined ? {} : { credentialName: credential }),
      subjectAltNames: tls.subjectAltNames ?? [],
      minVersion: min === undefined || min === 'TLS_AUTO' ? 'TLSv1.2' : TLS_VERSIONS[min],
      ...(max === undefined || max === 'TLS_AUTO' ? {} : { maxVersion: TLS_VERSIONS[max] }),
      ...(tls.cipherSuites === undefined || tls.cipherSuites.length === 0
        ? {}
        : { cipherSuites: tls.cipherSuites }),
    }
  }

  const l4Destinations = (
    b: BoundVs,
    route: {
      route?:
        | {
            destination: {
              host: string
              port?: { number?: number | undefined } | undefined
              subset?: string | undefined
            }
            weight?: number | undefined
          }[]
        | undefined
    },
    serverPort: number,
  ) => {
    const dests: WeightedDestination[] = (route.route ?? []).map((d) => {
      const host = resolveShortname(d.destination.host, b.ref.namespace)
      const ports = catalog.servicePorts(host)
      const port = d.destination.port?.number ?? (ports?.length === 1 ? ports[0]! : serverPort)
      const subset = d.destination.subset === '' ? undefined : d.destination.subset
      const clusterName = `outbound|${port}|${subset ?? ''}|${host}`
      // A Gateway API backendRef that does not resolve: its connections are refused.
      const invalid = (d as { [INVALID_BACKEND]?: true })[INVALID_BACKEND] === true
      if (!invalid) resolver.reference(clusterName, host, port, subset)
      return {
        host,
        port,
        ...(subset === undefined ? {} : { subset }),
        weight: d.weight ?? 0,
        clusterName,
        headers: { request: { set: [], add: [], remove: [] }, response: { set: [], add: [], remove: [] } },
        ...(invalid ? { invalid: true as const } : {}),
      }
    })
    return weighted(dests)
  }

  const gatewayOk = (b: BoundVs, entry: ServerEntry, names: readonly string[] | undefined) =>
    names === undefined ||
    names.length === 0 ||
    names.some((n) => {
      const r = resolveGatewayName(n, b.ref.namespace)
      return r !== MESH_GATEWAY && refKey(r) === refKey(entry.ref)
    })

  const passthrough = (entry: ServerEntry): TlsRouteEntry[] => {
    const out: TlsRouteEntry[] = []
    const seen = new Set<string>()
    const port = entry.server.port.number
    for (const b of boundTo(entry)) {
      const serverHosts = serverHostsForNamespace(entry.server.hosts, b.ref.namespace, entry.ref.namespace)
      if (intersectHosts(serverHosts, b.hosts).length === 0) continue
      ;(b.spec.tls ?? []).forEach((rule, i) => {
        rule.match.forEach((m, j) => {
          if (m.port !== undefined && m.port !== 0 && m.port !== port) return
          if (!gatewayOk(b, entry, m.gateways)) return
          const sni = m.sniHosts.map((h) => h.toLowerCase()).filter((h) => !seen.has(h))
          if (sni.length === 0) return
          for (const h of sni) seen.add(h)
          const translated = (rule as TranslatedL4Rule)[GATEWAY_API_ORIGIN]
          out.push({
            origin:
              translated === undefined
                ? {
                    virtualService: b.ref,
                    routeIndex: i,
                    matchIndex: j,
                    ...withSource(locator(b.vs)(['spec', 'tls', i, 'match', j])),
                  }
                : l4Origin(translated),
            sniHosts: sni,
            ...l4Destinations(b, rule, port),
          })
        })
      })
    }
    return out
  }

  const tcpRoute = (entry: ServerEntry): TcpRouteEntry | undefined => {
    const port = entry.server.port.number
    const bound = boundTo(entry).filter(
      (b) =>
        intersectHosts(
          serverHostsForNamespace(entry.server.hosts, b.ref.namespace, entry.ref.namespace),
          b.hosts,
        ).length > 0,
    )
    const choice = firstTcpRule(
      bound,
      (b) => b.spec.tcp,
      (b) => ({ port, namesGateway: (names) => gatewayOk(b, entry, names) }),
    )
    if (choice === undefined) return undefined
    const b = choice.candidate
    const i = choice.index
    const translated = (b.spec.tcp![i] as TranslatedL4Rule)[GATEWAY_API_ORIGIN]
    return {
      origin:
        translated === undefined
          ? { virtualService: b.ref, routeIndex: i, ...withSource(locator(b.vs)(['spec', 'tcp', i])) }
          : l4Origin(translated),
      ...l4Destinations(b, b.spec.tcp![i]!, port),
    }
  }

  // 4. Listeners.
  const listeners = new Map<number, CompiledListener>()
  const portMap = options.portMap
  const listenPortOf = (port: number): number | undefined =>
    portMap === undefined
      ? undefined
      : portMap instanceof Map
        ? portMap.get(port)
        : (portMap as Record<number, number>)[port]
  for (const [port, entries] of [...byPort.entries()].sort((a, b) => a[0] - b[0])) {
    const first = entries[0]!
    const listenPort = listenPortOf(port)
    const bind = first.server.bind
    if (first.kind === 'HTTP') {
      const name = `http.${port}`
      const server: CompiledServer = {
        name,
        gateways: dedupeRefs(entries.map((e) => e.ref)),
        hosts: [...new Set(entries.flatMap((e) => e.server.hosts.map((h) => parseServerHost(h).host)))],
        protocol: first.protocol,
        httpsRedirect: entries.some((e) => e.server.tls?.httpsRedirect === true),
        http: buildTable(name, entries, port),
        ...withSource(locator(first.gateway)(['spec', 'servers', first.index])),
      }
      listeners.set(
        port,
        makeListener(
          name,
          port,
          'HTTP',
          [server],
          entries.some((e) => e.protocol !== 'HTTP'),
          bind,
          listenPort,
        ),
      )
      continue
    }
    const servers: CompiledServer[] = []
    const seenHosts = new Set<string>()
    const seenNames = new Set<string>()
    for (const entry of entries) {
      const hosts = entry.server.hosts.map((h) => parseServerHost(h).host)
      const name =
        entry.kind === 'TLS'
          ? `https.${port}.${entry.server.port.name}.${entry.ref.name}.${entry.ref.namespace}`
          : `tcp.${port}`
      const dup = hosts.find((h) => seenHosts.has(h))
      if (dup !== undefined || seenNames.has(name) || (entry.kind === 'TCP' && servers.length > 0)) {
        diagnostics.push({
          severity: 'warning',
          code: 'PTC4004',
          message:
            dup !== undefined
              ? `server skipped: host ${dup} is already served on port ${port} (duplicate TLS host)`
              : `server skipped: port ${port} already has a server named ${name}`,
          resource: entry.ref,
          path: `spec.servers[${entry.index}]`,
          ...withSource(locator(entry.gateway)(['spec', 'servers', entry.index])),
        })
        continue
      }
      for (const h of hosts) seenHosts.add(h)
      seenNames.add(name)
      const tls = serverTls(entry)
      const base = {
        name,
        gateways: [entry.ref],
        hosts,
        protocol: entry.protocol,
        httpsRedirect: false,
        ...(tls === undefined ? {} : { tls }),
        ...withSource(locator(entry.gateway)(['spec', 'servers', entry.index])),
      }
      const terminated = tls !== undefined && tls.mode !== 'PASSTHROUGH' && tls.mode !== 'AUTO_PASSTHROUGH'
      if (entry.kind === 'TCP') {
        const tcp = tcpRoute(entry)
        servers.push({ ...base, ...(tcp === undefined ? {} : { tcp }) })
      } else if (!terminated) {
        servers.push({ ...base, passthrough: passthrough(entry) })
      } else if (entry.protocol === 'TLS') {
        const tcp = tcpRoute(entry)
        servers.push({ ...base, ...(tcp === undefined ? {} : { tcp }) })
      } else {
        servers.push({ ...base, http: buildTable(name, [entry], port) })
      }
    }
    const protocol: ListenerProtocol =
      first.kind === 'TCP' ? 'TCP' : first.protocol === 'TLS' ? 'TLS' : 'HTTPS'
    const lname = first.kind === 'TCP' ? `tcp.${port}` : `https.${port}`
    listeners.set(port, makeListener(lname, port, protocol, servers, false, bind, listenPort))
  }

  // 5. Clusters: every port of every known service, subsets of its DestinationRules, and every
  //    referenced destination that resolves (wildcard ServiceEntries included).
  const clusters = new Map<string, Cluster>()
  const addCluster = (name: string, host: string, port: number, subset: string | undefined) => {
    if (clusters.has(name)) return
    const c = catalog.cluster(name, host, port, subset, secretLookup, diagnostics)
    if (c !== undefined) clusters.set(name, c)
  }
  for (const host of catalog.hosts()) {
    for (const port of catalog.servicePorts(host) ?? []) {
      addCluster(`outbound|${port}||${host}`, host, port, undefined)
      for (const rule of catalog.rulesFor(host)) {
        for (const s of rule.subsets ?? [])
          addCluster(`outbound|${port}|${s.name}|${host}`, host, port, s.name)
      }
    }
  }
  for (const [name, r] of referenced) addCluster(name, r.host, r.port, r.subset)

  // 6. Security policies that reach this gateway (root namespace or its own; selector, targetRefs).
  const policies = compilePolicies(
    list('RequestAuthentication'),
    list('AuthorizationPolicy'),
    {
      labels,
      namespace: options.namespace ?? DEFAULT_GATEWAY_NAMESPACE,
      // A Gateway API Gateway is served as one synthesized Gateway per listener, `<name>/<listener>`.
      gateways: gateways.map((g) => ({
        namespace: namespaceOf(g),
        name: g.metadata.name.split('/')[0] ?? '',
      })),
    },
    (resource, path) => locator(resource as Res)(path),
    diagnostics,
  )

  const value: CompiledConfig = {
    version: snapshot.version,
    listeners,
    clusters,
    diagnostics,
    ...(options.pathPolicy === undefined ? {} : { pathPolicy: options.pathPolicy }),
    ...(options.misdirectedStatus === undefined ? {} : { misdirectedStatus: options.misdirectedStatus }),
    ...(gatewayApi === undefined ? {} : { gatewayApi: gatewayApi.status }),
    ...(policies === undefined ? {} : { policies }),
  }
  return { value, diagnostics }
}

const GATEWAY_API_KINDS = [
  'Gateway.gateway.networking.k8s.io',
  'HTTPRoute',
  'GRPCRoute',
  'TLSRoute',
  'TCPRoute',
  'Service',
]

/** The origin of a `tls`/`tcp` rule translated from a TLSRoute or TCPRoute: the route and its rule. */
function l4Origin(origin: GatewayApiOrigin): RouteOrigin {
  return {
    virtualService: origin.route,
    routeIndex: origin.ruleIndex,
    ...(origin.name === undefined ? {} : { name: origin.name }),
    ...withSource(origin.source),
  }
}

function hasGatewayApi(snapshot: Snapshot<SnapshotResource>): boolean {
  return GATEWAY_API_KINDS.some((k) => snapshot.list(k).length > 0)
}

function registryEntries(
  services: ReadonlyMap<string, RegistryService> | Readonly<Record<string, RegistryService>> | undefined,
): [string, RegistryService][] {
  if (services === undefined) return []
  return services instanceof Map ? [...services.entries()] : Object.entries(services)
}

const SPEC_SCHEMAS: Readonly<Record<string, { safeParse(value: unknown): { success: boolean } }>> = {
  Gateway: gatewaySpecSchema,
  VirtualService: virtualServiceSpecSchema,
  ServiceEntry: serviceEntrySpecSchema,
  DestinationRule: destinationRuleSpecSchema,
  RequestAuthentication: requestAuthenticationSpecSchema,
  AuthorizationPolicy: authorizationPolicySpecSchema,
}

const isStringRecord = (v: unknown) =>
  v === undefined ||
  (typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === 'string'))

const checked = new WeakMap<object, boolean>()

/** Loader-produced resources passed the schema already; others are checked once per object. */
function shapeOk(r: Res): boolean {
  if (sourceOf(r) !== undefined) return true
  const known = checked.get(r)
  if (known !== undefined) return known
  const schema = SPEC_SCHEMAS[r.kind]
  const ok =
    schema !== undefined
      ? schema.safeParse(r.spec).success
      : r.kind !== 'Secret' || (isStringRecord(r.data) && isStringRecord(r.stringData))
  checked.set(r, ok)
  return ok
}

/**
 * Compilation trusts the schema: a resource whose shape does not match it (one built in code and
 * never validated) is left out with PTC4005 instead of making compile() throw.
 */
function wellFormed(r: Res, diagnostics: Diagnostic[]): boolean {
  const meta = r.metadata as unknown
  const metaOk =
    typeof meta === 'object' &&
    meta !== null &&
    typeof r.metadata.name === 'string' &&
    (r.metadata.namespace === undefined || typeof r.metadata.namespace === 'string')
  const ok = metaOk && shapeOk(r)
  if (!ok) {
    diagnostics.push({
      severity: 'warning',
      code: 'PTC4005',
      message: `${r.kind} left out of compilation: it does not match the ${r.kind} schema (validate it first)`,
      ...(metaOk ? { resource: { kind: r.kind, namespace: namespaceOf(r), name: r.metadata.name } } : {}),
    })
  }
  return ok
}

function withSource(source: SourceLocation | undefined): { source?: SourceLocation } {
  return source === undefined ? {} : { source }
}

function dedupeRefs(refs: readonly ResourceRef[]): ResourceRef[] {
  const seen = new Set<string>()
  return refs.filter((r) => {
    const k = refKey(r)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

function makeVirtualHost(
  name: string,
  domains: string[],
  routes: CompiledRoute[],
  requireTls: boolean,
): VirtualHost {
  return new IndexedVirtualHost(name, domains, routes, requireTls)
}

class IndexedVirtualHost implements VirtualHost {
  readonly #index: RouteIndex
  constructor(
    readonly name: string,
    readonly domains: readonly string[],
    readonly routes: readonly CompiledRoute[],
    readonly requireTls: boolean,
  ) {
    this.#index = new RouteIndex(routes)
  }
  matchRoute(request: RequestView): CompiledRoute | undefined {
    return this.#index.first(request)
  }
}

function makeListener(
  name: string,
  port: number,
  protocol: ListenerProtocol,
  servers: CompiledServer[],
  h2c: boolean,
  bind: string | undefined,
  listenPort: number | undefined,
): CompiledListener {
  const withHost = servers.filter((s) => !s.hosts.includes('*'))
  const table = createHostTable(withHost.flatMap((s) => s.hosts.map((h) => [h, s] as const)))
  const any = servers.find((s) => s.hosts.includes('*'))
  return {
    name,
    port,
    protocol,
    h2c,
    servers,
    ...(bind === undefined ? {} : { bind }),
    ...(listenPort === undefined ? {} : { listenPort }),
    selectServer: (sni) => {
      if (protocol === 'HTTP' || protocol === 'TCP') return servers[0]
      if (sni === undefined || sni === '') return any
      return table.find(sni.toLowerCase()) ?? any
    },
  }
}

/**
 * The HTTP routes of a VirtualService with delegation expanded (Istio `MergeHTTPRoutes`, one
 * level): a root route with `delegate` is replaced by the delegate's routes, each match merged
 * with the root's (delegate fields first, the root filling the gaps; maps unioned) and dropped
 * when its path leaves the root's (an exact must equal it, a prefix must extend it); route-level
 * fields fall back to the root's.
 */
function expandDelegates(
  b: BoundVs,
  snapshot: Snapshot<SnapshotResource>,
  locator: (r: Res) => (path: readonly (string | number)[]) => SourceLocation | undefined,
): SourcedRoute[] {
  const out: SourcedRoute[] = []
  const http = b.spec.http ?? []
  http.forEach((route, index) => {
    const origin = (route as TranslatedRule)[GATEWAY_API_ORIGIN]
    if (origin !== undefined) {
      const source = origin.source
      out.push({
        route,
        virtualService: origin.route,
        index: origin.ruleIndex,
        locate: () => source,
        matchIndexes: origin.matchIndexes,
      })
      return
    }
    if (route.delegate === undefined) {
      out.push({ route, virtualService: b.ref, index, locate: locator(b.vs) })
      return
    }
    const ns = route.delegate.namespace ?? b.ref.namespace
    const name = route.delegate.name ?? ''
    const target = snapshot.get('VirtualService', ns, name) as Res | undefined
    const spec = target?.spec as VirtualServiceSpec | undefined
    if (target === undefined || spec === undefined || !virtualServiceSpecSchema.safeParse(spec).success)
      return
    const ref: ResourceRef = { kind: 'VirtualService', namespace: ns, name }
    ;(spec.http ?? []).forEach((d, di) => {
      if (d.delegate !== undefined) return
      const merged = mergeDelegate(route, d)
      if (merged !== undefined)
        out.push({ route: merged, virtualService: ref, index: di, locate: locator(target) })
    })
  })
  return out
}

function mergeDelegate(root: HTTPRoute, d: HTTPRoute): HTTPRoute | undefined {
  const { delegate: _ignored, ...rootRest } = root
  const base: HTTPRoute = { ...rootRest, ...d }
  const rootMatches = root.match ?? []
  const delegateMatches = d.match ?? []
  if (rootMatches.length === 0) return base
  if (delegateMatches.length === 0) return { ...base, match: rootMatches }
  const merged: NonNullable<HTTPRoute['match']> = []
  for (const dm of delegateMatches) {
    for (const rm of rootMatches) {
      const ru = rm.uri
      const du = dm.uri
      if (ru !== undefined && du !== undefined) {
        if (ru.exact !== undefined && du.exact !== ru.exact) continue
        if (ru.prefix !== undefined && !(du.prefix ?? du.exact ?? '\u0000').startsWith(ru.prefix)) continue
        if (ru.regex !== undefined && du.regex !== ru.regex) continue
      }
      merged.push({
        ...rm,
        ...dm,
        ...(rm.headers || dm.headers ? { headers: { ...rm.headers, ...dm.headers } } : {}),
        ...(rm.queryParams || dm.queryParams
          ? { queryParams: { ...rm.queryParams, ...dm.queryParams } }
          : {}),
        ...(rm.withoutHeaders || dm.withoutHeaders
          ? { withoutHeaders: { ...rm.withoutHeaders, ...dm.withoutHeaders } }
          : {}),
      })
    }
  }
  return merged.length === 0 ? undefined : { ...base, match: merged }
}
