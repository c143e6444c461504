import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import {
  describeRoutes,
  explainRequest,
  formatGatewayApiStatus,
  formatRoutes,
  type ResourceKey,
  requestFactsFor,
  route,
} from '@portico/core'
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/metrics.js'
import { type MetricsSnapshot, mergeSnapshots, renderSnapshot } from '../metrics/snapshot.js'
import { createJwksCache } from '../policy/jwks-cache.js'
import { type AdminAllowedHosts, createAdminHostCheck } from './host-check.js'
import type { ChangeOutcome, ManagedGateway } from './managed.js'
import { ADMIN_PAGE_CSP, adminPageView, renderAdminPage } from './page.js'
import { type AdminChange, type AdminPeers, applyChange, type PeerOutcome } from './peers.js'
import { trafficSummary } from './traffic.js'

/** Options of {@link startAdmin}. */
export interface AdminOptions {
  /** Port (default 15000; 0 picks one). */
  readonly port?: number
  /** Address (default `127.0.0.1`). A non-loopback address needs `allowRemote`. */
  readonly host?: string
  /**
   * Allow binding a non-loopback address. The admin endpoint changes the running configuration
   * and has no authentication, so it stays on loopback unless this is set.
   */
  readonly allowRemote?: boolean
  /**
   * Host names the endpoint answers for besides `localhost` (and names under `.localhost`), IP
   * addresses and `host`: a request whose `Host` names anything else is refused with 403, so that a
   * web page cannot reach the endpoint by re-pointing its own name at it (DNS rebinding). Add the
   * names operators use to reach a remote endpoint (`.example.com` allows the names under it);
   * `'all'` turns the check off (e.g. behind a proxy that checks names itself).
   */
  readonly allowedHosts?: AdminAllowedHosts
  /** Largest request body accepted (default 4 MiB). */
  readonly maxBodyBytes?: number
  /**
   * Other processes serving the same gateway (cluster workers): their metrics are merged into
   * `/stats/prometheus`, and each accepted change is passed on to them before the answer.
   */
  readonly peers?: AdminPeers
}

/** A running admin endpoint. */
export interface AdminServer extends AsyncDisposable {
  readonly address: { readonly address: string; readonly port: number }
  close(): Promise<void>
}

/** Default admin port, as Envoy's and Istio's proxies use. */
export const DEFAULT_ADMIN_PORT = 15000

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i

/** True when `host` is a loopback address. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host)
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength
      if (size > limit) {
        reject(new HttpError(413, `request body larger than ${limit} bytes`))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.once('error', reject)
  })
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  })
  res.end(body)
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json', `${JSON.stringify(value, null, 2)}\n`)
}

/** Secrets keep their keys but never their values in a dump. */
function redact(resource: unknown): unknown {
  const r = resource as { kind?: string; data?: Record<string, string>; stringData?: Record<string, string> }
  if (r.kind !== 'Secret') return resource
  const hide = (d: Record<string, string> | undefined) =>
    d === undefined ? undefined : Object.fromEntries(Object.keys(d).map((k) => [k, '[redacted]']))
  return { ...r, data: hide(r.data), stringData: hide(r.stringData) }
}

const PTC_PEER_DIVERGED = 'PTC4213'

function outcomeStatus(outcome: ChangeOutcome): number {
  if (outcome.ok) return 200
  if (outcome.diagnostics.some((d) => d.code === PTC_PEER_DIVERGED)) return 500
  return outcome.diagnostics.some((d) => d.code === 'PTC4205') ? 409 : 422
}

function peerFailure(failed: PeerOutcome): string {
  const reason =
    failed.error ??
    failed.outcome?.diagnostics
      .filter((d) => d.severity === 'error')
      .map((d) => `${d.code} ${d.message}`)
      .join('; ') ??
    'no answer'
  return `worker ${failed.peer} did not take the change this one accepted (${reason}); the workers now serve different configurations`
}

/** This process's metrics snapshot merged with the peers' (those that answered in time). */
async function mergedSnapshot(
  local: () => MetricsSnapshot,
  peers: AdminPeers | undefined,
): Promise<{
  merged: MetricsSnapshot
  others: { snapshots: readonly MetricsSnapshot[]; missing: readonly string[]; error?: string }
}> {
  if (peers === undefined) return { merged: local(), others: { snapshots: [], missing: [] } }
  const asked = peers.metrics().catch((error: unknown) => ({
    snapshots: [] as MetricsSnapshot[],
    missing: [] as string[],
    error: error instanceof Error ? error.message : String(error),
  }))
  const own = local()
  const others = await asked
  return { merged: mergeSnapshots([own, ...others.snapshots]), others }
}

/** The peers' figures merged with `local`, plus how many processes reported. */
async function mergedMetrics(local: () => MetricsSnapshot, peers: AdminPeers): Promise<string> {
  const { merged, others } = await mergedSnapshot(local, peers)
  const reporting = 1 + others.snapshots.length
  const text = renderSnapshot({
    families: [
      ...merged.families,
      {
        type: 'gauge',
        name: 'portico_workers',
        help: 'Processes serving this gateway, as far as the admin endpoint knows.',
        series: [{ labels: {}, value: reporting + others.missing.length }],
      },
      {
        type: 'gauge',
        name: 'portico_workers_reporting',
        help: 'Processes whose figures this scrape includes.',
        series: [{ labels: {}, value: reporting }],
      },
    ],
  })
  if (others.error !== undefined) return `# portico: only this worker's figures: ${others.error}\n${text}`
  if (others.missing.length === 0) return text
  return `# portico: no figures from worker ${others.missing.join(', ')} in time; the sums leave them out\n${text}`
}

/**
 * The admin endpoint of a managed gateway (Envoy's admin port, 15000 by default, loopback only).
 * It answers only requests whose `Host` names it (see {@link AdminOptions.allowedHosts}) and takes
 * no change from a web page of another origin (403):
 * - `GET /ready`: 200 `LIVE` while every listener is up, 503 otherwise (`LOADING` until a config
 *   source's first configuration is served, `DRAINING` while draining);
 * - `GET /source`: the config source, its connection, and the applied and last rejected revision
 *   (with that revision's diagnostics), as JSON (404 without a source);
 * - `GET /config_dump`: version, resources (Secret values redacted) and compiled listeners, routes and clusters as JSON;
 * - `GET /routes`: the route table as `portico routes` prints it (`?format=json` for JSON);
 * - `GET /stats/prometheus`: Istio's standard metrics and process gauges (with `peers`, summed over
 *   every process, with `portico_workers` and `portico_workers_reporting`);
 * - `POST /healthcheck/fail` and `/healthcheck/ok`: make `/ready` fail (to take the gateway out of a
 *   load balancer before a drain) and pass again, as Envoy's admin does;
 * - `POST /config` (create), `PUT /config` (replace), `POST /config/apply` (apply),
 *   `DELETE /config` (delete the resources of a YAML body) and `DELETE /config/<kind>/<name>?namespace=`:
 *   YAML or JSON bodies (`?namespace=` places the body's resources as kubectl's `-n` does); the answer is the {@link ChangeOutcome} as JSON (200 accepted, 422 refused;
 *   with `peers`, 500 and PTC4213 when a peer did not take a change this process accepted).
 */
export async function startAdmin(gateway: ManagedGateway, options: AdminOptions = {}): Promise<AdminServer> {
  const host = options.host ?? '127.0.0.1'
  if (!isLoopback(host) && options.allowRemote !== true) {
    throw new Error(
      `the admin endpoint changes the running configuration and has no authentication; it binds ${host} only with allowRemote`,
    )
  }
  const limit = options.maxBodyBytes ?? 4 * 1024 * 1024
  const sockets = new Set<Socket>()
  let healthFailed = false
  const peers = options.peers
  // `GET /explain` runs the security filters too; remote key sets are fetched as the gateway does.
  const jwks = createJwksCache()
  const checkHost = createAdminHostCheck(host, options.allowedHosts)

  // One change at a time, here and at every peer, so that all apply them in the same order.
  let changing: Promise<unknown> = Promise.resolve()
  function change(request: AdminChange): Promise<ChangeOutcome> {
    const task = async (): Promise<ChangeOutcome> => {
      const local = await applyChange(gateway, request)
      if (!local.ok || peers === undefined) return local
      let others: readonly PeerOutcome[]
      try {
        others = await peers.change(request)
      } catch (error) {
        others = [{ peer: 'all', error: error instanceof Error ? error.message : String(error) }]
      }
      const failed = others.filter((o) => o.outcome?.ok !== true)
      if (failed.length === 0) return local
      return {
        ...local,
        ok: false,
        diagnostics: [
          ...local.diagnostics,
          ...failed.map((f) => ({
            severity: 'error' as const,
            code: PTC_PEER_DIVERGED,
            message: peerFailure(f),
          })),
        ],
      }
    }
    const run = changing.then(task, task)
    changing = run.catch(() => {})
    return run
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refused = checkHost(req.method ?? 'GET', req.headers.host, req.headers.origin)
    if (refused !== undefined) throw new HttpError(refused.status, refused.message)
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1))
    const method = req.method ?? 'GET'
    const file = query.get('file') ?? '<admin>'

    if (method === 'GET' || method === 'HEAD') {
      switch (path) {
        case '/ready':
          if (healthFailed) return send(res, 503, 'text/plain', 'FAILED\n')
          if (gateway.ready) return send(res, 200, 'text/plain', 'LIVE\n')
          // Not loaded yet: the config source has not delivered a valid configuration.
          return send(res, 503, 'text/plain', gateway.source?.loaded === false ? 'LOADING\n' : 'DRAINING\n')
        case '/config_dump':
          return json(res, 200, {
            version: gateway.version,
            resources: gateway.snapshot.resources.map(redact),
            listeners: Object.entries(gateway.addresses).map(([port, a]) => ({
              port: Number(port),
              address: a.address,
              listenPort: a.port,
              protocol: a.protocol,
            })),
            compiled: describeRoutes(gateway.config),
            diagnostics: gateway.config.diagnostics,
            ...(gateway.source === undefined ? {} : { source: gateway.source }),
          })
        case '/gateway_api_status': {
          const status = gateway.config.gatewayApi ?? { gatewayClassName: 'istio', gateways: [], routes: [] }
          return query.get('format') === 'text'
            ? send(res, 200, 'text/plain; charset=utf-8', `${formatGatewayApiStatus(status)}\n`)
            : json(res, 200, status)
        }
        case '/source':
          if (gateway.source === undefined) throw new HttpError(404, 'this gateway has no config source')
          return json(res, 200, gateway.source)
        case '/routes': {
          const table = describeRoutes(gateway.config)
          return query.get('format') === 'json'
            ? json(res, 200, table)
            : send(res, 200, 'text/plain; charset=utf-8', `${formatRoutes(table)}\n`)
        }
        case '/stats/prometheus':
          return send(
            res,
            200,
            PROMETHEUS_CONTENT_TYPE,
            peers === undefined
              ? gateway.metrics.render()
              : await mergedMetrics(() => gateway.metrics.snapshot(), peers),
          )
        case '/': {
          const page = renderAdminPage(adminPageView(gateway))
          res.writeHead(200, {
            'content-type': 'text/html; charset=utf-8',
            'content-length': Buffer.byteLength(page),
            'cache-control': 'no-store',
            'content-security-policy': ADMIN_PAGE_CSP,
            'x-content-type-options': 'nosniff',
            'referrer-policy': 'no-referrer',
            'x-frame-options': 'DENY',
          })
          return void res.end(method === 'HEAD' ? undefined : page)
        }
        case '/favicon.ico':
          res.writeHead(204, { 'cache-control': 'max-age=86400' })
          return void res.end()
        case '/stats/traffic': {
          const { merged } = await mergedSnapshot(() => gateway.metrics.snapshot(), peers)
          return json(res, 200, { version: gateway.version, ...trafficSummary(merged) })
        }
        case '/config_history':
          return json(res, 200, {
            version: gateway.version,
            entries: gateway.history.entries,
            lastRefused: gateway.history.lastRefused ?? null,
          })
        case '/resource': {
          const namespace = query.get('namespace')
          const name = query.get('name')
          const kind = query.get('kind')
          const found = gateway.snapshot.resources.filter(
            (r) =>
              r.metadata.name === name &&
              (r.metadata.namespace ?? 'default') === (namespace ?? 'default') &&
              (kind === null || r.kind.toLowerCase() === kind.toLowerCase()),
          )
          if (found.length === 0)
            throw new HttpError(404, `no resource ${namespace ?? 'default'}/${name ?? ''}`)
          return json(res, 200, found.map(redact))
        }
        case '/explain': {
          const port = query.get('port')
          if (port !== null && !/^\d+$/.test(port))
            throw new HttpError(400, `port must be a port number, not "${port}"`)
          const facts = requestFactsFor(
            query.get('method') ?? 'GET',
            query.get('url') ?? '',
            query.getAll('header'),
            port === null ? undefined : Number(port),
          )
          if (!facts.ok) return send(res, 400, 'text/plain; charset=utf-8', `${facts.error}\n`)
          return query.get('format') === 'json'
            ? json(res, 200, route(gateway.config, facts.facts))
            : send(
                res,
                200,
                'text/plain; charset=utf-8',
                await explainRequest(gateway.config, facts.facts, { keys: jwks }),
              )
        }
        case '/help':
          return send(
            res,
            200,
            'text/plain',
            'portico admin\n  GET / (the admin page)\n  GET /ready\n  POST /healthcheck/fail, /healthcheck/ok\n  GET /config_dump\n  GET /source\n  GET /routes\n  GET /gateway_api_status\n  GET /stats/prometheus\n  GET /stats/traffic\n  GET /config_history\n  GET /resource?namespace=&name=[&kind=]\n  GET /explain?method=&url=[&header=][&port=]\n  POST|PUT /config, POST /config/apply, DELETE /config[/<kind>/<name>]\n',
          )
        default:
          throw new HttpError(404, `no admin page ${path}`)
      }
    }

    if (method === 'POST' && (path === '/healthcheck/fail' || path === '/healthcheck/ok')) {
      healthFailed = path === '/healthcheck/fail'
      return send(res, 200, 'text/plain', 'OK\n')
    }

    if (
      path === '/config' ||
      path === '/config/create' ||
      path === '/config/replace' ||
      path === '/config/apply'
    ) {
      let operation: 'create' | 'replace' | 'apply' | 'delete'
      if (path === '/config/apply') operation = 'apply'
      else if (path === '/config/create') operation = 'create'
      else if (path === '/config/replace') operation = 'replace'
      else if (method === 'POST') operation = 'create'
      else if (method === 'PUT') operation = 'replace'
      else if (method === 'PATCH') operation = 'apply'
      else if (method === 'DELETE') operation = 'delete'
      else throw new HttpError(405, `${method} is not allowed on ${path}`)
      if (operation !== 'delete' && method !== 'POST' && method !== 'PUT' && method !== 'PATCH') {
        throw new HttpError(405, `${method} is not allowed on ${path}`)
      }
      const body = await readBody(req, limit)
      const namespace = query.get('namespace') ?? undefined
      const outcome = await change({ operation, body, file, ...(namespace ? { namespace } : {}) })
      return json(res, outcomeStatus(outcome), outcome)
    }

    const match = /^\/config\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(path)
    if (match !== null && method === 'DELETE') {
      const [, kind = '', a = '', b] = match
      const key: ResourceKey =
        b === undefined
          ? {
              kind: decodeURIComponent(kind),
              name: decodeURIComponent(a),
              namespace: query.get('namespace') ?? undefined,
            }
          : { kind: decodeURIComponent(kind), namespace: decodeURIComponent(a), name: decodeURIComponent(b) }
      const outcome = await change({ operation: 'delete', key })
      return json(res, outcomeStatus(outcome), outcome)
    }
    throw new HttpError(404, `no admin endpoint ${method} ${path}`)
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500
      if (!res.headersSent)
        json(res, status, { ok: false, error: error instanceof Error ? error.message : String(error) })
      else res.destroy()
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? DEFAULT_ADMIN_PORT, host, () => {
      server.removeListener('error', reject)
      resolve()
    })
  })
  const where = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      jwks.close()
      server.close(() => resolve())
      server.closeIdleConnections()
      setTimeout(() => {
        for (const s of sockets) s.destroy()
      }, 1000).unref()
    })
    return closing
  }
  return { address: { address: where.address, port: where.port }, close, [Symbol.asyncDispose]: close }
}
