import type { Diagnostic } from '../diagnostics/diagnostic.js'
import type { ServiceEntryResource } from '../resources/index.js'
import { type AnalysisContext, exportScopes, fullName, nsOf } from './analyze-context.js'
import { CODES } from './codes.js'
import { Report } from './report.js'

/**
 * Istio's ConflictingServiceEntryProtocolAnalyzer (IST0177): ServiceEntries visible in a common
 * namespace that declare one host and port with different protocols (compared case-insensitively,
 * unset counting as its own value). Each ServiceEntry involved is reported once, at its name.
 */
export function analyzeServiceEntryProtocols(ctx: AnalysisContext): Diagnostic[] {
  interface Entry {
    readonly se: ServiceEntryResource
    readonly protocol: string
    readonly scopes: 'all' | Set<string>
  }
  const byHostPort = new Map<string, { host: string; port: number; entries: Entry[] }>()
  for (const se of ctx.serviceEntries) {
    const scopes = exportScopes(se.spec.exportTo, nsOf(se))
    for (const host of se.spec.hosts ?? []) {
      for (const p of se.spec.ports ?? []) {
        const key = `${host}:${p.number}`
        const group = byHostPort.get(key) ?? { host, port: p.number, entries: [] }
        group.entries.push({ se, protocol: (p.protocol ?? '').toUpperCase(), scopes })
        byHostPort.set(key, group)
      }
    }
  }
  const overlap = (a: Entry, b: Entry): boolean =>
    a.scopes === 'all' || b.scopes === 'all' || [...a.scopes].some((ns) => (b.scopes as Set<string>).has(ns))
  const reported = new Set<ServiceEntryResource>()
  const diagnostics: Diagnostic[] = []
  for (const { host, port, entries } of byHostPort.values()) {
    for (const entry of entries) {
      if (reported.has(entry.se)) continue
      const peers = entries.filter((e) => overlap(entry, e))
      const protocols = [...new Set(peers.map((e) => e.protocol))].sort()
      if (protocols.length < 2) continue
      const names = [...new Set(peers.map((e) => fullName(e.se)))].sort()
      reported.add(entry.se)
      const report = new Report(entry.se)
      report.warning(
        CODES.conflictingServiceEntryProtocol,
        `Multiple ServiceEntries (${names.join(', ')}) define the same host ${JSON.stringify(host)} and port ${port} with conflicting protocols (${protocols.join(', ')}).`,
        ['metadata', 'name'],
      )
      diagnostics.push(...report.diagnostics)
    }
  }
  return diagnostics
}
