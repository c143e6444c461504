import type {
  Diagnostic,
  FieldPath,
  ResourceRef,
  Severity,
  SourceLocation,
} from '../diagnostics/diagnostic.js'
import { formatPath } from '../diagnostics/diagnostic.js'
import type { VirtualServiceCode } from './virtual-service-codes.js'

/**
 * Collects the findings of one VirtualService: each one carries the resource, the field path
 * and, when the resource came from a file, the source position of that path.
 */
export class VirtualServiceReport {
  readonly diagnostics: Diagnostic[] = []

  constructor(
    readonly resource: ResourceRef,
    private readonly locate?: (path: FieldPath) => SourceLocation | undefined,
  ) {}

  /** Records an error (Istio refuses the object). */
  error(code: VirtualServiceCode, message: string, path: FieldPath): void {
    this.add('error', code, message, path)
  }

  /** Records a warning (Istio admits the object and prints the message). */
  warning(code: VirtualServiceCode, message: string, path: FieldPath): void {
    this.add('warning', code, message, path)
  }

  private add(severity: Severity, code: string, message: string, path: FieldPath): void {
    const source = this.locate?.(path)
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

/** Go's `%f`: six decimals. */
export function goFixed(value: number): string {
  return value.toFixed(6)
}
