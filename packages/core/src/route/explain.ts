import { formatOrigin, formatSource } from '../compile/describe.js'
import { authorityHost } from '../compile/host-table.js'
import type { CompiledConfig, RequestFacts, RouteDecision } from '../compile/types.js'
import { normalizeTarget } from './normalize.js'
import { RequestViewImpl } from './request-view.js'
import { route, serverFor } from './router.js'

function describeDecision(d: RouteDecision, compiled: CompiledConfig): string {
  switch (d.kind) {
    case 'route': {
      const clusters = d.forward.destinations
        .map(
          (x) => `${x.clusterName}${compiled.clusters.has(x.clusterName) ? '' : ' (no such cluster: 503)'}`,
        )
        .join(', ')
      return `route → ${clusters}; upstream ${d.upstreamAuthority} ${d.upstreamPath}`
    }
    case 'redirect':
      return `redirect ${d.status} → ${d.location}`
    case 'directResponse':
      return `direct response ${d.status}`
    case 'notFound':
      return `404 (${d.reason})`
    case 'reject':
      return `${d.status} (${d.reason})`
  }
}

/**
 * Explains how one request is routed, step by step (`portico … --explain`): listener, server by
 * SNI, normalized path, virtual host, every route tried in order, and the decision.
 */
export function explain(compiled: CompiledConfig, facts: RequestFacts): string {
  const lines: string[] = []
  const add = (label: string, text: string) => lines.push(`${label.padEnd(10)} ${text}`)
  add(
    'request',
    `${facts.method} ${facts.scheme}://${facts.authority}${facts.path} (gateway port ${facts.port}${facts.sni === undefined ? '' : `, SNI ${facts.sni}`})`,
  )
  const decision = route(compiled, facts)
  const listener = compiled.listeners.get(facts.port)
  if (listener === undefined) {
    add(
      'listener',
      `none on port ${facts.port} (ports: ${[...compiled.listeners.keys()].join(', ') || 'none'})`,
    )
  } else {
    add('listener', `${listener.name} (${listener.protocol})`)
    const server = serverFor(listener, facts.sni)
    if (server === undefined) {
      add('server', `none for SNI ${facts.sni ?? '(none)'}: the TLS handshake fails`)
    } else {
      add('server', `${server.name} (hosts ${server.hosts.join(', ')})`)
      const target = normalizeTarget(facts.path, compiled.pathPolicy)
      if (target.ok) {
        const p = target.query === '' ? target.path : `${target.path}?${target.query}`
        add('path', p === facts.path ? p : `${facts.path} → ${p} (normalized)`)
      } else {
        add('path', `${facts.path}: ${target.reason}`)
      }
      const host = authorityHost(facts.authority)
      const vhost = host === undefined ? undefined : server.http?.findVirtualHost(host)
      add(
        'host',
        `${facts.authority} → ${host ?? '(malformed)'}${vhost === undefined ? ' (no virtual host)' : ` → ${vhost.name}`}`,
      )
      if (vhost !== undefined && target.ok) {
        if (vhost.requireTls) add('tls', 'httpsRedirect: every request is redirected to https')
        const view = new RequestViewImpl(
          facts.scheme,
          facts.method,
          facts.authority,
          target.path,
          target.query,
          facts.headers,
          facts.claims,
        )
        if (vhost.routes.length === 0) add('routes', 'none')
        for (let i = 0; i < vhost.routes.length && !vhost.requireTls; i++) {
          const r = vhost.routes[i]!
          const ok = r.matches(view)
          const source = formatSource(r.origin.source)
          lines.push(
            `  ${ok ? '✓' : '✗'} [${i}] ${r.matchDescription}  ${formatOrigin(r.origin)}${source === undefined ? '' : ` (${source})`}`,
          )
          if (ok) break
        }
      }
    }
  }
  add('decision', describeDecision(decision, compiled))
  return `${lines.join('\n')}\n`
}
