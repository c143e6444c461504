/**
 * Istio Gateway/VirtualService models, validation, route compiler and the pure router.
 *
 * @packageDocumentation
 * @module @portico/core
 */
export * from './compile/index.js'
export type {
  Diagnostic,
  FieldPath,
  ResourceRef,
  Severity,
  SourceLocation,
} from './diagnostics/diagnostic.js'
export { formatPath, hasErrors } from './diagnostics/diagnostic.js'
export { formatDiagnostic, formatDiagnostics, sortDiagnostics } from './diagnostics/render.js'
export * from './load/index.js'
export * from './model/index.js'
export * from './policy/index.js'
export * from './resources/index.js'
export * from './route/index.js'
export * from './validate/index.js'
