import type { FieldPath, SourceLocation } from '../diagnostics/diagnostic.js'

/** Where a loaded resource came from, and how to find any of its fields in that file. */
export interface ResourceSource {
  /** The file as the user named it (`<stdin>` for standard input). */
  readonly file: string
  /**
   * The position of a field, by its path inside the resource (`['spec', 'http', 0, 'match']`).
   * For a map entry that is the position of its key; for a list item, of the item. A path that
   * does not exist resolves to its nearest existing parent.
   */
  locate(path: FieldPath): SourceLocation
}

const sources = new WeakMap<object, ResourceSource>()

/**
 * The source of a resource the loader produced; `undefined` for resources built in code or
 * copied (positions live in a side table keyed by the resource object, so resources stay plain
 * data).
 */
export function sourceOf(resource: object): ResourceSource | undefined {
  return sources.get(resource)
}

/** Attaches a source to a resource object (used by the loader; exported for custom loaders). */
export function setSourceOf(resource: object, source: ResourceSource): void {
  sources.set(resource, source)
}
