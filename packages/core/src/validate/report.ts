import type { Diagnostic, FieldPath, ResourceRef, Severity } from '../diagnostics/diagnostic.js'
import { formatPath } from '../diagnostics/diagnostic.js'
import { sourceOf } from '../load/index.js'
import { DEFAULT_NAMESPACE } from '../model/names.js'
import { qualifiedKind, type Resource } from '../resources/index.js'

/** The reference of a resource, with the namespace defaulted to `default`. */
export function refOf(resource: Resource): ResourceRef {
  return {
    kind: qualifiedKind(resource.kind, resource.apiVersion),
    namespace: resource.metadata.namespace ?? DEFAULT_NAMESPACE,
    name: resource.metadata.name,
  }
}

/**
 * Collects the findings about one resource: each carries the resource, the field path and, when
 * the resource came from a file, the source position of that path.
 */
export class Report<Code extends string = string> {
  /** Findings in the order they were recorded. */
  readonly diagnostics: Diagnostic[] = []
  /** The resource the findings are about. */
  readonly resource: ResourceRef
  private readonly source: ReturnType<typeof sourceOf>

  constructor(resource: Resource) {
    this.resource = refOf(resource)
    this.source = sourceOf(resource)
  }

  /** Records an error (Istio refuses the object). */
  error(code: Code, message: string, path: FieldPath): void {
    this.add('error', code, message, path)
  }

  /** Records a warning (Istio admits the object and prints the message). */
  warning(code: Code, message: string, path: FieldPath): void {
    this.add('warning', code, message, path)
  }

  /** Records `message` as an error when it is defined. */
  check(code: Code, message: string | undefined, path: FieldPath): void {
    if (message !== undefined) this.error(code, message, path)
  }

  private add(severity: Severity, code: string, message: string, path: FieldPath): void {
    const source = this.source?.locate(path)
    this.diagnostics.push({
      severity,
      code,
      message,
      resource: this.resource,
      path: formatPath(path),
      ...(source === undefined ? {} : { source }),
    })
  }
}
