import type { z } from 'zod'
import type { Diagnostic, FieldPath, ResourceRef, SourceLocation } from '../diagnostics/diagnostic.js'
import {
  gatewayApiKinds,
  kubernetesKinds,
  qualifiedKind,
  type Resource,
  resourceKinds,
  schemaForObject,
} from '../resources/index.js'
import { LOAD_CODES } from './codes.js'
import { checkWithSchema, describeValue } from './issues.js'
import { didYouMean } from './suggest.js'

/** How a loader positions the findings of one object (absent for programmatic objects). */
export interface ObjectOrigin {
  /** Locates a path inside the object. */
  readonly locate?: (path: FieldPath) => SourceLocation
  /** Names the document in messages, e.g. `document 2` or `items[3] of document 1`. */
  readonly label?: string
}

/** Result of checking one object: the resource when it is one Portico handles and is valid. */
export interface CheckResult {
  readonly value: Resource | undefined
  readonly diagnostics: Diagnostic[]
}

/**
 * Schema-checks one plain object as a Kubernetes resource: a kind Portico does not handle is
 * a warning (and no value); a handled kind is checked against its schema with one diagnostic per
 * problem at its field path. Never throws. `kind: List` is not unpacked here (see
 * {@link checkResources}).
 */
export function checkResource(obj: unknown, origin: ObjectOrigin = {}): CheckResult {
  const locate = origin.locate
  const at = (path: FieldPath): { source?: SourceLocation } => (locate ? { source: locate(path) } : {})
  const named = origin.label ? ` (${origin.label})` : ''
  if (!isPlainObject(obj)) {
    return {
      value: undefined,
      diagnostics: [
        {
          severity: 'error',
          code: LOAD_CODES.notAnObject,
          message: `document is not a Kubernetes object: expected a map with apiVersion and kind, got ${describeValue(obj)}${named}`,
          ...at([]),
        },
      ],
    }
  }
  const ref = refOf(obj)
  const withRef = ref ? { resource: ref } : {}
  const kind = obj.kind
  if (typeof kind !== 'string' || kind === '') {
    const message =
      kind === undefined
        ? `document has no kind${named}`
        : `kind must be a string, got ${describeValue(kind)}${named}`
    return {
      value: undefined,
      diagnostics: [
        {
          severity: 'error',
          code: LOAD_CODES.notAnObject,
          message,
          ...withRef,
          path: 'kind',
          ...at(['kind']),
        },
      ],
    }
  }
  const apiVersion = obj.apiVersion
  const handled = schemaForObject(kind, apiVersion)
  if (handled === undefined) {
    const suggestion = didYouMean(kind, [...resourceKinds, ...gatewayApiKinds, ...kubernetesKinds])
    const hint = suggestion !== undefined && suggestion !== kind ? ` (did you mean "${suggestion}"?)` : ''
    const api = suggestion === kind ? ` of ${String(apiVersion)}` : ''
    return {
      value: undefined,
      diagnostics: [
        {
          severity: 'warning',
          code: LOAD_CODES.unhandledKind,
          message: `kind ${kind}${api} is not handled by Portico; ignored${hint}${named}`,
          ...withRef,
          path: 'kind',
          ...at(['kind']),
        },
      ],
    }
  }
  const served = handled.apiVersions
  if (typeof apiVersion !== 'string' || !served.includes(apiVersion)) {
    const got =
      apiVersion === undefined
        ? `${kind} has no apiVersion`
        : `apiVersion ${typeof apiVersion === 'string' ? JSON.stringify(apiVersion) : describeValue(apiVersion)} does not serve ${kind}`
    return {
      value: undefined,
      diagnostics: [
        {
          severity: 'error',
          code: LOAD_CODES.apiVersion,
          message: `${got}; expected ${served.join(' or ')}${named}`,
          ...withRef,
          path: 'apiVersion',
          ...at(['apiVersion']),
        },
      ],
    }
  }
  const checked = checkWithSchema(handled.schema as z.ZodType, dropNullFields(obj), {
    ...withRef,
    ...(locate ? { locate } : {}),
  })
  return { value: checked.value as Resource | undefined, diagnostics: checked.diagnostics }
}

/**
 * Schema-checks several plain objects (e.g. what a program built, or parsed JSON), unpacking
 * `kind: List` objects into their `items`. Resources keep the input order.
 */
export function checkResources(objects: readonly unknown[]): {
  resources: Resource[]
  diagnostics: Diagnostic[]
} {
  const resources: Resource[] = []
  const diagnostics: Diagnostic[] = []
  for (const entry of objects) {
    for (const { object, prefix } of unpackList(entry, diagnostics, undefined)) {
      const result = checkResource(object, prefix.length > 0 ? { label: formatItems(prefix) } : {})
      if (result.value) resources.push(result.value)
      diagnostics.push(...result.diagnostics)
    }
  }
  return { resources, diagnostics }
}

/** The objects of one document: itself, or the `items` of a `kind: List`, with their path prefix. */
export function unpackList(
  value: unknown,
  diagnostics: Diagnostic[],
  locate: ((path: FieldPath) => SourceLocation) | undefined,
): { object: unknown; prefix: FieldPath }[] {
  if (!isPlainObject(value) || value.kind !== 'List') return [{ object: value, prefix: [] }]
  const items = value.items
  if (items === undefined || items === null) return []
  if (!Array.isArray(items)) {
    diagnostics.push({
      severity: 'error',
      code: LOAD_CODES.notAnObject,
      message: `List items must be a list, got ${describeValue(items)}`,
      path: 'items',
      ...(locate ? { source: locate(['items']) } : {}),
    })
    return []
  }
  return items.map((object, index) => ({ object, prefix: ['items', index] }))
}

function formatItems(prefix: FieldPath): string {
  return `items[${String(prefix[1])}]`
}

/** The resource reference of a raw object, when its metadata names it. */
export function refOf(obj: Record<string, unknown>): ResourceRef | undefined {
  const metadata = obj.metadata
  if (!isPlainObject(metadata) || typeof metadata.name !== 'string') return undefined
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : 'default'
  const kind = typeof obj.kind === 'string' ? qualifiedKind(obj.kind, obj.apiVersion) : 'unknown'
  return { kind, namespace, name: metadata.name }
}

/**
 * A copy without object fields whose value is `null`: Kubernetes prunes such fields before it
 * validates a custom resource, and Istio's JSON decoding treats them as unset, so `hosts:` with
 * nothing after it means "no hosts". Nulls inside lists stay (they are errors).
 */
export function dropNullFields<T>(value: T): T {
  const stack = new Set<unknown>()
  const visit = (node: unknown): unknown => {
    if (typeof node !== 'object' || node === null || stack.has(node)) return node
    stack.add(node)
    let out: unknown = node
    if (Array.isArray(node)) out = node.map(visit)
    else if (isPlainObject(node)) {
      const copy: Record<string, unknown> = {}
      for (const [key, child] of Object.entries(node)) if (child !== null) copy[key] = visit(child)
      out = copy
    }
    stack.delete(node)
    return out
  }
  return visit(value) as T
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}
