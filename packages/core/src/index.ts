export type {
  Diagnostic,
  FieldPath,
  ResourceRef,
  Severity,
  SourceLocation,
} from './diagnostics/diagnostic.js'
export { formatPath, hasErrors } from './diagnostics/diagnostic.js'
export { formatDiagnostic, formatDiagnostics, sortDiagnostics } from './diagnostics/render.js'
