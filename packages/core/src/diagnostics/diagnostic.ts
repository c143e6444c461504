/** Where a node of a loaded document sits in its source text (1-based line and column). */
export interface SourceLocation {
  readonly file: string
  readonly line: number
  readonly column: number
}

/** Names one resource: `kind`, `namespace` (defaults to `default`) and `name`. */
export interface ResourceRef {
  readonly kind: string
  readonly namespace: string
  readonly name: string
}

/** `error` fails validation (Istio would refuse the object); `warning` is reported and admitted. */
export type Severity = 'error' | 'warning'

/**
 * The one finding type of every stage: loading, schema, validation, analysis and compilation.
 * `code` is stable (Istio's analyzer code where the meaning is the same, `PTCnnnn` otherwise);
 * `path` is the field path in zod's notation, e.g. `spec.http[0].match[1].uri.regex`.
 */
export interface Diagnostic {
  readonly severity: Severity
  readonly code: string
  readonly message: string
  readonly resource?: ResourceRef
  readonly path?: string
  readonly source?: SourceLocation
}

/** A path segment list as zod reports it: property names and array indexes. */
export type FieldPath = readonly (string | number)[]

/** Formats a segment list the way diagnostics print it: `spec.http[0].match[1].uri`. */
export function formatPath(path: FieldPath): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`
    else out += `[${JSON.stringify(segment)}]`
  }
  return out
}

/** True when any diagnostic is an error. */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error')
}
