import { type Resource, schemaForObject } from '../resources/index.js'
import { dropNullFields } from './check.js'

/** Rounds of removing refused fields before giving up on an object. */
const MAX_ROUNDS = 8

interface SchemaIssue {
  readonly code: string
  readonly path: readonly PropertyKey[]
  readonly keys?: readonly string[]
}

/**
 * What remains of an object the schema refused once the fields it refused are left out: unknown
 * keys, and fields of the wrong type or value (a refused list item takes its whole list with it,
 * so that the remaining fields keep their paths and positions). `undefined` when that does not give a resource
 * (a required field is missing or refused, or the kind is not one Portico reads).
 *
 * Istio's `istioctl analyze` reads files leniently and analyzes resources that fail validation
 * too, reporting both; this lets Portico's analysis do the same without ever serving such a
 * resource.
 */
export function salvageResource(obj: unknown): Resource | undefined {
  if (!isPlainObject(obj) || typeof obj.kind !== 'string') return undefined
  const handled = schemaForObject(obj.kind, obj.apiVersion)
  if (handled === undefined || !handled.apiVersions.includes(obj.apiVersion as string)) return undefined
  const schema = handled.schema as {
    safeParse(
      value: unknown,
    ): { success: true; data: unknown } | { success: false; error: { issues: SchemaIssue[] } }
  }
  const candidate: unknown = structuredClone(dropNullFields(obj))
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const result = schema.safeParse(candidate)
    if (result.success) return result.data as Resource
    let removed = false
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys ?? []) removed = remove(candidate, [...issue.path, key]) || removed
      } else {
        removed = remove(candidate, issue.path) || removed
      }
    }
    if (!removed) return undefined
  }
  return undefined
}

/**
 * Deletes the field at `path` in place (other fields keep their paths). When the path ends at a
 * list item, or names a required field that is missing inside a list item, the whole list goes.
 * False when there was nothing to delete.
 */
function remove(root: unknown, path: readonly PropertyKey[]): boolean {
  const target = [...path]
  while (typeof target[target.length - 1] === 'number') target.pop()
  if (deleteAt(root, target)) return true
  const lastIndex = target.findLastIndex((segment) => typeof segment === 'number')
  return lastIndex > 0 && deleteAt(root, target.slice(0, lastIndex))
}

function deleteAt(root: unknown, path: readonly PropertyKey[]): boolean {
  const last = path[path.length - 1]
  if (typeof last !== 'string') return false
  let node: unknown = root
  for (const segment of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return false
    node = (node as Record<PropertyKey, unknown>)[segment]
  }
  if (!isPlainObject(node) || !Object.hasOwn(node, last)) return false
  delete node[last]
  return true
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
