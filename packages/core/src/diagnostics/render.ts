import type { Diagnostic } from './diagnostic.js'

/**
 * One line per diagnostic, as `portico validate` prints it:
 * `file:line:col  error  CODE  message  (Kind ns/name  field.path)`.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.source ? `${d.source.file}:${d.source.line}:${d.source.column}` : '-'
  const context: string[] = []
  if (d.resource) context.push(`${d.resource.kind} ${d.resource.namespace}/${d.resource.name}`)
  if (d.path) context.push(d.path)
  const tail = context.length > 0 ? `  (${context.join('  ')})` : ''
  return `${where}  ${d.severity}  ${d.code}  ${d.message}${tail}`
}

/** All diagnostics as text, errors first within a file, in source order otherwise. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return sortDiagnostics(diagnostics).map(formatDiagnostic).join('\n')
}

/** Stable order: by file, line, column, then severity (errors first), then code. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => {
    const fa = a.source?.file ?? ''
    const fb = b.source?.file ?? ''
    if (fa !== fb) return fa < fb ? -1 : 1
    const la = a.source?.line ?? 0
    const lb = b.source?.line ?? 0
    if (la !== lb) return la - lb
    const ca = a.source?.column ?? 0
    const cb = b.source?.column ?? 0
    if (ca !== cb) return ca - cb
    if (a.severity !== b.severity) return a.severity === 'error' ? -1 : 1
    return a.code < b.code ? -1 : a.code > b.code ? 1 : 0
  })
}
