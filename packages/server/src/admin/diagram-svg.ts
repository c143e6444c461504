import type { RouteGraph, RouteGraphNode } from '@portico/core'
import { escapeHtml } from './escape.js'

const COLUMNS: readonly RouteGraphNode['kind'][] = ['listener', 'host', 'route', 'destination']
const WIDTH: Record<RouteGraphNode['kind'], number> = {
  listener: 150,
  host: 190,
  route: 230,
  destination: 330,
}
const GAP = 70
const ROW = 48
const BOX = 36
const MAX_CHARS: Record<RouteGraphNode['kind'], number> = {
  listener: 22,
  host: 28,
  route: 34,
  destination: 52,
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

/**
 * The routing graph as an inline SVG, one column per kind (listeners, hosts, routes,
 * destinations), edges as curves with their labels (rule order, weights). Node texts are clipped
 * to fit; the full text is the node's `<title>`. Every text is escaped.
 */
export function renderRouteSvg(graph: RouteGraph): string {
  const x = new Map<RouteGraphNode['kind'], number>()
  let left = 10
  for (const kind of COLUMNS) {
    x.set(kind, left)
    left += WIDTH[kind] + GAP
  }
  const width = left - GAP + 10
  const position = new Map<string, { x: number; y: number; node: RouteGraphNode }>()
  const rows = new Map<RouteGraphNode['kind'], number>()
  for (const n of graph.nodes) {
    const row = rows.get(n.kind) ?? 0
    rows.set(n.kind, row + 1)
    position.set(n.id, { x: x.get(n.kind) as number, y: 10 + row * ROW, node: n })
  }
  const height = 20 + Math.max(1, ...rows.values()) * ROW
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="route-graph" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="listeners, hosts, routes and destinations">`,
  ]
  for (const e of graph.edges) {
    const a = position.get(e.from)
    const b = position.get(e.to)
    if (a === undefined || b === undefined) continue
    const x1 = a.x + WIDTH[a.node.kind]
    const y1 = a.y + BOX / 2
    const x2 = b.x
    const y2 = b.y + BOX / 2
    const mid = (x1 + x2) / 2
    out.push(
      `<path class="edge" d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}" fill="none" stroke="#8a94a6" stroke-width="1.2"/>`,
    )
    if (e.label !== undefined) {
      out.push(
        `<text class="edge-label" x="${x2 - 6}" y="${y2 - 4}" text-anchor="end" font-size="10" fill="#334">${escapeHtml(e.label)}</text>`,
      )
    }
  }
  const fill: Record<RouteGraphNode['kind'], string> = {
    listener: '#e3ecfa',
    host: '#eaf6ec',
    route: '#fff6e0',
    destination: '#f1e9fb',
  }
  for (const { x: nx, y, node } of position.values()) {
    const full = node.origin === undefined ? node.label : `${node.label}\n${node.origin}`
    const line2 = node.origin === undefined ? '' : clip(node.origin, MAX_CHARS[node.kind])
    out.push(
      `<g class="node node-${node.kind}"><title>${escapeHtml(full)}</title>`,
      `<rect x="${nx}" y="${y}" width="${WIDTH[node.kind]}" height="${BOX}" rx="6" fill="${fill[node.kind]}" stroke="#7a869a"/>`,
      `<text x="${nx + 8}" y="${y + (line2 === '' ? 22 : 15)}" font-size="11" fill="#111">${escapeHtml(clip(node.label, MAX_CHARS[node.kind]))}</text>`,
    )
    if (line2 !== '')
      out.push(`<text x="${nx + 8}" y="${y + 29}" font-size="9.5" fill="#555">${escapeHtml(line2)}</text>`)
    out.push('</g>')
  }
  out.push('</svg>')
  return out.join('\n')
}
