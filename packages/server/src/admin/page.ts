import { createHash, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describeRoutes, type PemSource, type RoutesDescription, routeGraph } from '@portico/core'
import { renderRouteSvg } from './diagram-svg.js'
import { escapeHtml } from './escape.js'
import type { ConfigHistory } from './history.js'
import type { ManagedGateway, SourceStatus } from './managed.js'

/** A certificate served on a TLS listener, as the admin page shows it. */
export interface CertificateView {
  readonly subject?: string
  readonly subjectAltName?: string
  /** Expiry as an ISO 8601 time. */
  readonly validTo?: string
  /** Whole days until expiry (negative once expired). */
  readonly daysLeft?: number
  /** Why the certificate could not be read. */
  readonly error?: string
}

/** Everything the admin page shows, gathered from a managed gateway by {@link adminPageView}. */
export interface AdminPageView {
  readonly version: number
  /** Gateway port → where it listens. */
  readonly addresses: Readonly<
    Record<string, { readonly address: string; readonly port: number; readonly protocol: string }>
  >
  readonly table: RoutesDescription
  /** TLS servers' certificates by server name. */
  readonly certificates: Readonly<Record<string, CertificateView>>
  /** Listener port → `Server.bind`, when set. */
  readonly binds: Readonly<Record<string, string>>
  /** The routing graph as inline SVG (already escaped). */
  readonly graphSvg: string
  readonly history: ConfigHistory
  readonly source?: SourceStatus
  /** Now, for expiry arithmetic (tests pass a fixed time). */
  readonly now: Date
}

/** Days before expiry from which a certificate is highlighted. */
export const EXPIRY_WARNING_DAYS = 30

function readPem(source: PemSource): string {
  return source.kind === 'file' ? readFileSync(source.path, 'utf8') : source.pem
}

function certificateView(source: PemSource, now: Date): CertificateView {
  try {
    const cert = new X509Certificate(readPem(source))
    const validTo = new Date(cert.validTo)
    return {
      subject: cert.subject.replace(/\n/g, ', '),
      ...(cert.subjectAltName === undefined ? {} : { subjectAltName: cert.subjectAltName }),
      validTo: validTo.toISOString(),
      daysLeft: Math.floor((validTo.getTime() - now.getTime()) / 86_400_000),
    }
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) }
  }
}

/** Gathers what the admin page shows from a running managed gateway (certificates are read now). */
export function adminPageView(gateway: ManagedGateway, now = new Date()): AdminPageView {
  const config = gateway.config
  const certificates: Record<string, CertificateView> = {}
  const binds: Record<string, string> = {}
  for (const listener of config.listeners.values()) {
    if (listener.bind !== undefined) binds[String(listener.port)] = listener.bind
    for (const server of listener.servers) {
      const cert = server.tls?.certificate
      if (cert !== undefined) certificates[server.name] = certificateView(cert, now)
    }
  }
  return {
    version: gateway.version,
    addresses: gateway.addresses,
    table: describeRoutes(config),
    certificates,
    binds,
    graphSvg: renderRouteSvg(routeGraph(config)),
    history: gateway.history,
    ...(gateway.source === undefined ? {} : { source: gateway.source }),
    now,
  }
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1b1f24; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #dde1e6; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre, .mono { font-family: ui-monospace, monospace; font-size: 12.5px; }
pre { background: #f6f8fa; padding: .6rem; overflow: auto; white-space: pre-wrap; }
.expiring { background: #fff1d6; } .expired { background: #fde2e1; } .refused { color: #a4161a; }
.muted { color: #5c6670; } .graph { overflow: auto; border: 1px solid #dde1e6; padding: .5rem; }
form label { display: inline-block; margin: 0 .8rem .4rem 0; vertical-align: top; } input[name=url], #host-filter { width: 28rem; } input[name=method], input[name=port] { width: 5rem; } textarea { width: 28rem; height: 3.5rem; display: block; }
#notice { background: #e7f0ff; padding: .4rem .6rem; }
`

// Runs in the page: counters refresh every second, the host filter, the explain form. Values
// reach the DOM as text only (textContent), never as markup.
const SCRIPT = `
'use strict'
const fmt = (v) => (v === undefined ? '–' : String(v))
const version = Number(document.body.dataset.version)
async function refresh() {
  try {
    const res = await fetch('stats/traffic', { cache: 'no-store' })
    if (!res.ok) return
    const data = await res.json()
    const routes = new Map(data.routes.map((r) => [r.routeConfig + '\\u0000' + r.routeName, r]))
    for (const row of document.querySelectorAll('tr[data-route-name]')) {
      const f = routes.get(row.dataset.routeConfig + '\\u0000' + row.dataset.routeName)
      fill(row, f)
    }
    const clusters = new Map(data.clusters.map((c) => [c.cluster, c]))
    for (const row of document.querySelectorAll('tr[data-cluster]')) fill(row, clusters.get(row.dataset.cluster))
    document.getElementById('updated').textContent = new Date().toLocaleTimeString()
    if (data.version !== version) {
      const notice = document.getElementById('notice')
      notice.hidden = false
      notice.textContent = 'The configuration is now version ' + data.version + ' (this page shows ' + version + '): reload to see it.'
    }
  } catch {}
}
function fill(row, f) {
  for (const cell of row.querySelectorAll('td[data-stat]')) {
    const key = cell.dataset.stat
    cell.textContent = f === undefined ? (key === 'requests' || key.startsWith('status') ? '0' : '–') : fmt(f[key])
  }
}
refresh()
setInterval(refresh, 1000)
const filter = document.getElementById('host-filter')
filter.addEventListener('input', () => {
  const want = filter.value.trim().toLowerCase()
  for (const row of document.querySelectorAll('tr[data-route-name]')) {
    row.hidden = want !== '' && !row.dataset.domains.toLowerCase().includes(want)
  }
})
document.getElementById('explain').addEventListener('submit', async (event) => {
  event.preventDefault()
  const form = event.target
  const params = new URLSearchParams()
  params.set('method', form.elements.method.value)
  params.set('url', form.elements.url.value)
  for (const line of form.elements.headers.value.split('\\n')) if (line.trim() !== '') params.append('header', line.trim())
  if (form.elements.port.value.trim() !== '') params.set('port', form.elements.port.value.trim())
  const out = document.getElementById('explain-result')
  const res = await fetch('explain?' + params.toString(), { cache: 'no-store' })
  out.textContent = await res.text()
})
`

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`

/**
 * The admin page's Content-Security-Policy: nothing loads from elsewhere, only the page's own
 * script and style run (by hash), fetches go to the admin endpoint itself, forms only submit to
 * it, and it cannot be framed.
 */
export const ADMIN_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

const e = escapeHtml

function table(header: readonly string[], rows: readonly string[], empty: string): string {
  if (rows.length === 0) return `<p class="muted">${e(empty)}</p>`
  return `<table><thead><tr>${header.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`
}

const STAT_CELLS = ['requests', 'status4xx', 'status5xx', 'p50Ms', 'p99Ms']
  .map((k) => `<td class="num" data-stat="${k}">–</td>`)
  .join('')
const STAT_HEADER = ['requests', '4xx', '5xx', 'p50 ms', 'p99 ms']

function listenersSection(view: AdminPageView): string {
  const rows: string[] = []
  for (const l of view.table.listeners) {
    const at = view.addresses[String(l.port)]
    const where = at === undefined ? 'not listening' : `${at.address}:${at.port}`
    for (const s of l.servers) {
      const cert = view.certificates[s.name]
      let certText = ''
      let cls = ''
      if (cert !== undefined) {
        if (cert.error !== undefined) certText = `unreadable: ${cert.error}`
        else {
          const days = cert.daysLeft ?? 0
          certText = `${cert.subject ?? ''} — expires ${cert.validTo?.slice(0, 10) ?? '?'} (${days < 0 ? `expired ${-days} days ago` : `in ${days} days`})`
          if (days < 0) cls = ' class="expired"'
          else if (days <= EXPIRY_WARNING_DAYS) cls = ' class="expiring"'
        }
      }
      rows.push(
        `<tr${cls}><td>${e(String(l.port))}</td><td class="mono">${e(where)}</td><td>${e(l.protocol)} / ${e(s.protocol)}</td><td class="mono">${e(view.binds[String(l.port)] ?? '')}</td><td class="mono">${e(s.name)}</td><td>${e(s.hosts.join(', '))}</td><td>${e(s.tls?.mode ?? '')}</td><td class="cert">${e(certText)}</td></tr>`,
      )
    }
  }
  return table(
    ['port', 'listens on', 'protocol', 'bind', 'server', 'hosts', 'TLS', 'certificate'],
    rows,
    'No listeners.',
  )
}

function resourceLink(origin: string): string {
  const ref = /^([^/\s]+)\/([^\s]+)/.exec(origin)
  if (ref === null) return e(origin)
  const href = `resource?namespace=${encodeURIComponent(ref[1] as string)}&name=${encodeURIComponent(ref[2] as string)}`
  return `<a href="${e(href)}">${e(origin)}</a>`
}

function routesSection(view: AdminPageView): string {
  const rows = view.table.routes.map(
    (r) =>
      `<tr data-route-config="${e(r.routeConfig)}" data-route-name="${e(r.routeName ?? '-')}" data-domains="${e(r.domains.join(' '))}"><td class="mono">${e(r.routeConfig)}</td><td>${e(r.domains.join(', '))}</td><td class="mono">${e(r.match)}</td><td class="mono">${e(r.action)}</td><td class="mono">${resourceLink(r.origin)}</td><td class="mono">${e(r.source ?? '')}</td><td class="mono">${e(r.routeName ?? '-')}</td>${STAT_CELLS}</tr>`,
  )
  return `<p><label>Filter by host <input type="text" id="host-filter" placeholder="httpbin.example.com" autocomplete="off"></label></p>
<p class="muted">Counters are per route name (one HTTP rule, whichever of its match entries matched) and summed over the workers.</p>
${table(['route config', 'domains', 'match', 'action', 'VirtualService', 'file:line', 'route name', ...STAT_HEADER], rows, 'No routes.')}`
}

function clustersSection(view: AdminPageView): string {
  const rows = view.table.clusters.map(
    (c) =>
      `<tr data-cluster="${e(c.name)}"><td class="mono">${e(c.name)}</td><td>${e(c.loadBalancer)}</td><td class="mono">${e(c.endpoints.join(', ') || '(none: 503)')}</td>${STAT_CELLS}</tr>`,
  )
  return table(['cluster', 'load balancer', 'endpoints', ...STAT_HEADER], rows, 'No upstream clusters.')
}

function changeText(changes: AdminPageView['history']['entries'][number]['changes']): string {
  return changes
    .map((c) => `${c.action} ${c.resource.kind} ${c.resource.namespace}/${c.resource.name}`)
    .join('; ')
}

function diagnosticsText(diagnostics: AdminPageView['history']['entries'][number]['diagnostics']): string {
  return diagnostics
    .map((d) => {
      const where = d.source === undefined ? '' : `${d.source.file}:${d.source.line}:${d.source.column}: `
      const what =
        d.resource === undefined
          ? ''
          : ` (${d.resource.kind} ${d.resource.namespace}/${d.resource.name}${d.path === undefined ? '' : ` ${d.path}`})`
      return `${where}${d.severity} ${d.code} ${d.message}${what}`
    })
    .join('\n')
}

function historySection(view: AdminPageView): string {
  const rows = [...view.history.entries]
    .reverse()
    .map(
      (h) =>
        `<tr${h.ok ? '' : ' class="refused"'}><td class="num">${e(String(h.version))}</td><td class="mono">${e(h.time)}</td><td>${e(h.operation)}</td><td>${h.ok ? 'accepted' : 'refused'}</td><td>${e(changeText(h.changes) || '(nothing changed)')}</td></tr>`,
    )
  const refused = view.history.lastRefused
  const last =
    refused === undefined
      ? '<p class="muted">No change has been refused.</p>'
      : `<h3>Last refused change</h3><p>${e(refused.operation)} at ${e(refused.time)} (version ${e(String(refused.version))} kept): ${e(changeText(refused.changes) || 'no resources')}</p><pre id="last-refused">${e(diagnosticsText(refused.diagnostics))}</pre>`
  return `${table(['version', 'time', 'operation', 'result', 'what changed'], rows, 'No changes yet.')}\n${last}`
}

function sourceSection(source: SourceStatus | undefined): string {
  if (source === undefined) return ''
  const parts = [
    `<dt>source</dt><dd class="mono">${e(source.name)}</dd>`,
    `<dt>connection</dt><dd>${e(source.connection)}${source.error === undefined ? '' : ` — ${e(source.error)}`}</dd>`,
    `<dt>applied revision</dt><dd>${e(String(source.appliedRevision ?? '–'))}</dd>`,
  ]
  if (source.rejectedRevision !== undefined)
    parts.push(
      `<dt>rejected revision</dt><dd class="refused">${e(String(source.rejectedRevision))}<pre>${e(diagnosticsText(source.rejectedDiagnostics))}</pre></dd>`,
    )
  return `<h2>Config source</h2><dl>${parts.join('')}</dl>`
}

/**
 * The admin page: one self-contained HTML document (no external resources) with the listeners and
 * their certificates, the route graph, the route table filterable by host with live counters per
 * route and per cluster, the configuration history and the explain form. Every value from the
 * configuration or from requests is escaped; the page's only script is {@link ADMIN_PAGE_CSP}'s.
 */
export function renderAdminPage(view: AdminPageView): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portico admin</title>
<style>${STYLE}</style>
</head>
<body data-version="${e(String(view.version))}">
<h1>Portico admin</h1>
<p class="muted">Configuration version <strong id="version">${e(String(view.version))}</strong> · counters updated <span id="updated">–</span> · read-only: changes go through <code>portico apply</code> · <a href="config_dump">config_dump</a> · <a href="stats/prometheus">metrics</a></p>
<p id="notice" hidden></p>
${sourceSection(view.source)}
<h2>Listeners</h2>
${listenersSection(view)}
<h2>Routing</h2>
<div class="graph">${view.graphSvg}</div>
<h2>Routes</h2>
${routesSection(view)}
<h2>Upstream clusters</h2>
${clustersSection(view)}
<h2>Configuration history</h2>
${historySection(view)}
<h2>Explain a request</h2>
<form id="explain" method="get" action="explain">
<label>Method <input type="text" name="method" value="GET" size="7"></label>
<label>URL <input type="text" name="url" placeholder="http://httpbin.example.com/status/200"></label>
<label>Gateway port <input type="text" name="port" size="5" placeholder="from URL"></label><br>
<label>Headers, one per line <textarea name="headers" placeholder="x-user: alice"></textarea></label>
<button type="submit">Explain</button>
</form>
<pre id="explain-result"></pre>
<script>${SCRIPT}</script>
</body>
</html>
`
}
