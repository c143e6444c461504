import { describeAction } from './describe.js'
import type { CompiledConfig, WeightedDestination } from './types.js'

/** A node of the routing picture; `id` is safe in Mermaid and DOT (`n0`, `n1`, …). */
export interface RouteGraphNode {
  readonly id: string
  /** Column: a listener, a host (virtual host or SNI), a route, or where requests end up. */
  readonly kind: 'listener' | 'host' | 'route' | 'destination'
  /** The text to show (config names; render it escaped). */
  readonly label: string
  /** For routes: the VirtualService and rule (`default/httpbin http[0].match[1]`). */
  readonly origin?: string
  /** For routes: `file:line:column` when the VirtualService came from a file. */
  readonly source?: string
}

/** An edge; `label` is the rule order (`[0]`) from a host or the weight (`80%`) to a destination. */
export interface RouteGraphEdge {
  readonly from: string
  readonly to: string
  readonly label?: string
}

/** Listeners → hosts → routes → destinations, as {@link routeGraph} builds it. */
export interface RouteGraph {
  readonly nodes: readonly RouteGraphNode[]
  readonly edges: readonly RouteGraphEdge[]
}

function percent(weight: number, total: number): string {
  return `${Math.round((weight / total) * 1000) / 10}%`
}

/**
 * The compiled configuration as a graph: each listener points to its hosts (virtual hosts, SNI
 * names of passthrough servers), each host to its routes in order, each route to the clusters
 * it sends to (with weights) or to its redirect / direct answer. Clusters are shared nodes.
 */
export function routeGraph(compiled: CompiledConfig): RouteGraph {
  const nodes: RouteGraphNode[] = []
  const edges: RouteGraphEdge[] = []
  const byKey = new Map<string, string>()
  const node = (key: string, make: Omit<RouteGraphNode, 'id'>): string => {
    const known = byKey.get(key)
    if (known !== undefined) return known
    const id = `n${nodes.length}`
    nodes.push({ id, ...make })
    byKey.set(key, id)
    return id
  }
  const forward = (from: string, destinations: readonly WeightedDestination[]): void => {
    const total = destinations.reduce((sum, d) => sum + d.weight, 0)
    if (destinations.length === 0) {
      edges.push({ from, to: node('end:none', { kind: 'destination', label: 'no destination (503)' }) })
    }
    for (const d of destinations) {
      const missing = compiled.clusters.has(d.clusterName) ? '' : ' (no such cluster: 503)'
      const to = node(`cluster:${d.clusterName}`, {
        kind: 'destination',
        label: `${d.clusterName}${missing}`,
      })
      edges.push(destinations.length === 1 ? { from, to } : { from, to, label: percent(d.weight, total) })
    }
  }
  for (const listener of compiled.listeners.values()) {
    const l = node(`listener:${listener.name}`, {
      kind: 'listener',
      label: `${listener.name} (${listener.protocol})`,
    })
    for (const server of listener.servers) {
      for (const vh of server.http?.virtualHosts ?? []) {
        const h = node(`host:${server.name}:${vh.name}`, { kind: 'host', label: vh.domains.join(', ') })
        edges.push({ from: l, to: h })
        if (vh.requireTls || vh.routes.length === 0) {
          const end = vh.requireTls ? 'redirect 301 https' : 'not found (404)'
          edges.push({ from: h, to: node(`end:${end}`, { kind: 'destination', label: end }) })
          continue
        }
        vh.routes.forEach((r, i) => {
          const vs = r.origin.virtualService
          const match = r.origin.matchIndex === undefined ? '' : `.match[${r.origin.matchIndex}]`
          const source = r.origin.source
          const id = node(`route:${server.name}:${vh.name}:${i}`, {
            kind: 'route',
            label:
              r.origin.name === undefined ? r.matchDescription : `${r.origin.name}: ${r.matchDescription}`,
            origin: `${vs.namespace}/${vs.name} http[${r.origin.routeIndex}]${match}`,
            ...(source === undefined ? {} : { source: `${source.file}:${source.line}:${source.column}` }),
          })
          edges.push({ from: h, to: id, label: `[${i}]` })
          if (r.action.kind === 'route') forward(id, r.action.route.destinations)
          else {
            const end = describeAction(r.action)
            edges.push({ from: id, to: node(`end:${end}`, { kind: 'destination', label: end }) })
          }
        })
      }
      for (const p of server.passthrough ?? []) {
        const h = node(`sni:${server.name}:${p.sniHosts.join(',')}`, {
          kind: 'host',
          label: `SNI ${p.sniHosts.join(', ')} (passthrough)`,
        })
        edges.push({ from: l, to: h })
        forward(h, p.destinations)
      }
      if (server.tcp !== undefined) {
        const h = node(`tcp:${server.name}`, { kind: 'host', label: `${server.name} (tcp)` })
        edges.push({ from: l, to: h })
        forward(h, server.tcp.destinations)
      }
    }
  }
  return { nodes, edges }
}

/** Mermaid's entity form of characters that end or reinterpret a quoted label. */
function mermaidText(text: string): string {
  return text.replace(/[#"<>&]/g, (c) => `#${c.charCodeAt(0)};`)
}

function routeText(n: RouteGraphNode): string {
  return n.origin === undefined ? n.label : `${n.label}\n${n.origin}`
}

/** The graph as a Mermaid flowchart (left to right), e.g. for a pull request's description. */
export function formatMermaid(graph: RouteGraph): string {
  const shape: Record<RouteGraphNode['kind'], [string, string]> = {
    listener: ['[/', '/]'],
    host: ['([', '])'],
    route: ['[', ']'],
    destination: ['[(', ')]'],
  }
  const lines = ['flowchart LR']
  for (const n of graph.nodes) {
    const [open, close] = shape[n.kind]
    lines.push(`  ${n.id}${open}"${mermaidText(routeText(n)).replace(/\n/g, '<br/>')}"${close}`)
  }
  for (const e of graph.edges) {
    lines.push(
      e.label === undefined
        ? `  ${e.from} --> ${e.to}`
        : `  ${e.from} -->|"${mermaidText(e.label)}"| ${e.to}`,
    )
  }
  return `${lines.join('\n')}\n`
}

/** A DOT string literal (backslash, quote and line breaks escaped). */
function dotText(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`
}

/** The graph in Graphviz DOT (`dot -Tsvg`), left to right. */
export function formatDot(graph: RouteGraph): string {
  const shape: Record<RouteGraphNode['kind'], string> = {
    listener: 'parallelogram',
    host: 'ellipse',
    route: 'box',
    destination: 'cylinder',
  }
  const lines = ['digraph routes {', '  rankdir=LR;', '  node [fontname="Helvetica", fontsize=10];']
  for (const n of graph.nodes)
    lines.push(`  ${n.id} [shape=${shape[n.kind]}, label=${dotText(routeText(n))}];`)
  for (const e of graph.edges) {
    lines.push(`  ${e.from} -> ${e.to}${e.label === undefined ? '' : ` [label=${dotText(e.label)}]`};`)
  }
  lines.push('}')
  return `${lines.join('\n')}\n`
}
