import type { Diagnostic } from '../diagnostics/diagnostic.js'

/** Renders a diagnostic compactly for table tests: `E PTC2012 spec.servers[0].hosts[0] | message`. */
export function brief(d: Diagnostic): string {
  return `${d.severity === 'error' ? 'E' : 'W'} ${d.code} ${d.path ?? ''} | ${d.message}`
}
