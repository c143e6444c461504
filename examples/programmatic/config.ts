// Resources built in TypeScript with Portico's typed models: the compiler checks field names and
// enum values as you type, and the same objects validate and serve exactly like loaded YAML.
import type {
  DestinationRuleResource,
  GatewayResource,
  Resource,
  ServiceEntryResource,
  VirtualServiceResource,
} from '@portico/core'

/** A Gateway for `host` on port 80. */
export function gateway(name: string, host: string): GatewayResource {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name },
    spec: {
      selector: { istio: 'ingressgateway' },
      servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [host] }],
    },
  }
}

/** One service per team, routed by path prefix: `/<team>/…` → `<team>:8080`, prefix kept. */
export function teamRoutes(
  gatewayName: string,
  host: string,
  teams: readonly string[],
): VirtualServiceResource {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'teams' },
    spec: {
      hosts: [host],
      gateways: [gatewayName],
      http: teams.map((team) => ({
        name: team,
        match: [{ uri: { prefix: `/${team}/` } }],
        route: [{ destination: { host: team, port: { number: 8080 } } }],
        timeout: '5s',
        retries: { attempts: 2, retryOn: 'connect-failure,503' },
      })),
    },
  }
}

/** Where each team's service runs: a STATIC ServiceEntry per team. */
export function teamServices(
  teams: Readonly<Record<string, { address: string; port: number }>>,
): ServiceEntryResource[] {
  return Object.entries(teams).map(([team, where]) => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: team },
    spec: {
      hosts: [`${team}.default.svc.cluster.local`],
      location: 'MESH_INTERNAL',
      ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }],
      resolution: 'STATIC',
      endpoints: [{ address: where.address, ports: { http: where.port } }],
    },
  }))
}

/** Round-robin for every team service. */
export function roundRobin(team: string): DestinationRuleResource {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: team },
    spec: { host: team, trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } },
  }
}

/** The whole configuration for `teams`. */
export function buildConfig(teams: Readonly<Record<string, { address: string; port: number }>>): Resource[] {
  const names = Object.keys(teams)
  return [
    gateway('teams-gateway', 'teams.example.com'),
    teamRoutes('teams-gateway', 'teams.example.com', names),
    ...teamServices(teams),
    ...names.map(roundRobin),
  ]
}
