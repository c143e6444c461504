import { type Document, parseAllDocuments } from 'yaml'
import type { Diagnostic, FieldPath } from '../diagnostics/diagnostic.js'
import { qualifiedKind, type Resource } from '../resources/index.js'
import { checkResource, unpackList } from './check.js'
import { LOAD_CODES } from './codes.js'
import { LineIndex } from './line-index.js'
import { PositionTable } from './positions.js'
import { salvageResource } from './salvage.js'
import { setSourceOf, sourceOf } from './source.js'

/** Resources read from text, with every finding. */
export interface LoadResult {
  readonly resources: Resource[]
  readonly diagnostics: Diagnostic[]
  /**
   * Documents the schema refused, with the refused fields left out (a refused list item takes its list),
   * positioned like resources: for analysis only (`validate`'s `rejected` option), never to serve.
   */
  readonly rejected?: Resource[]
}

/** Aliases one document may expand (guards against alias bombs). */
const MAX_ALIAS_COUNT = 100

/**
 * Parses YAML (one or many `---`-separated documents) or JSON text into resources. `file` names
 * the text in diagnostics and in {@link sourceOf}. Each resource keeps the position of each of
 * its fields. Documents with syntax errors are reported and skipped, the rest still load;
 * `kind: List` documents are unpacked; empty documents are skipped; kinds Portico does not
 * handle are a warning. Resources come out in document order. Never throws.
 */
export function parseResources(text: string, file: string): LoadResult {
  const result = parseText(text, file)
  result.diagnostics.push(...duplicateWarnings(result.resources))
  return result
}

/**
 * Warnings for resources defined more than once (same kind, namespace and name): like
 * `kubectl apply`, the later definition replaces the earlier one.
 */
export function duplicateWarnings(resources: readonly Resource[]): Diagnostic[] {
  const first = new Map<string, Resource>()
  const out: Diagnostic[] = []
  for (const resource of resources) {
    const namespace = resource.metadata.namespace ?? 'default'
    const kind = qualifiedKind(resource.kind, resource.apiVersion)
    const key = `${kind}/${namespace}/${resource.metadata.name}`
    const earlier = first.get(key)
    if (earlier === undefined) {
      first.set(key, resource)
      continue
    }
    const was = sourceOf(earlier)
    const at = was ? ` (first defined at ${was.file}:${formatLine(was.locate([]))})` : ''
    const source = sourceOf(resource)?.locate(['metadata', 'name'])
    out.push({
      severity: 'warning',
      code: LOAD_CODES.duplicate,
      message: `${kind} ${namespace}/${resource.metadata.name} is defined more than once; the later definition replaces the earlier one${at}`,
      resource: { kind, namespace, name: resource.metadata.name },
      path: 'metadata.name',
      ...(source ? { source } : {}),
    })
  }
  return out
}

function formatLine(location: { line: number; column: number }): string {
  return `${location.line}:${location.column}`
}

/** {@link parseResources} without the duplicate check (the file loader checks across files). */
export function parseText(
  text: string,
  file: string,
): { resources: Resource[]; diagnostics: Diagnostic[]; rejected: Resource[] } {
  const resources: Resource[] = []
  const rejected: Resource[] = []
  const diagnostics: Diagnostic[] = []
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text
  const lineCounter = new LineIndex(source)
  let docs: Document.Parsed[]
  try {
    const parsed = parseAllDocuments(source, {
      prettyErrors: false,
      merge: true,
      keepSourceTokens: false,
    })
    docs = Array.isArray(parsed) ? parsed : []
  } catch (error) {
    diagnostics.push({
      severity: 'error',
      code: LOAD_CODES.syntax,
      message: `cannot parse ${file}: ${messageOf(error)}`,
      source: { file, line: 1, column: 1 },
    })
    return { resources, diagnostics, rejected }
  }
  docs.forEach((doc, index) => {
    try {
      parseDocument(doc, index, docs.length, file, lineCounter, { resources, diagnostics, rejected })
    } catch (error) {
      const { line, col } = lineCounter.linePos(doc.range[0])
      diagnostics.push({
        severity: 'error',
        code: LOAD_CODES.syntax,
        message: `cannot read document ${index + 1}: ${messageOf(error)}`,
        source: { file, line, column: col },
      })
    }
  })
  return { resources, diagnostics, rejected }
}

function parseDocument(
  doc: Document.Parsed,
  index: number,
  count: number,
  file: string,
  lineCounter: LineIndex,
  out: { resources: Resource[]; diagnostics: Diagnostic[]; rejected: Resource[] },
): void {
  const { resources, diagnostics, rejected } = out
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset)
    return { file, line, column: col }
  }
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      diagnostics.push({
        severity: 'error',
        code: LOAD_CODES.syntax,
        message: `${file.endsWith('.json') ? 'JSON' : 'YAML'} syntax error: ${error.message}`,
        source: at(error.pos[0]),
      })
    }
    return
  }
  for (const warning of doc.warnings) {
    diagnostics.push({
      severity: 'warning',
      code: LOAD_CODES.yamlWarning,
      message: `YAML: ${warning.message}`,
      source: at(warning.pos[0]),
    })
  }
  if (doc.contents === null) return
  const value: unknown = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  if (value === null || value === undefined) return
  const table = new PositionTable(file, lineCounter, doc)
  if (isCyclic(value)) {
    diagnostics.push({
      severity: 'error',
      code: LOAD_CODES.syntax,
      message: 'YAML syntax error: an alias refers to a node that contains it (recursive structure)',
      source: table.locate([]),
    })
    return
  }
  const documentLabel = count > 1 ? `document ${index + 1}` : undefined
  for (const { object, prefix } of unpackList(value, diagnostics, (path) => table.locate(path))) {
    const locate = (path: FieldPath) => table.locate(path, prefix)
    const label =
      prefix.length > 0
        ? `items[${String(prefix[1])}]${documentLabel ? ` of ${documentLabel}` : ''}`
        : documentLabel
    const result = checkResource(object, { locate, ...(label ? { label } : {}) })
    diagnostics.push(...result.diagnostics)
    if (result.value) {
      setSourceOf(result.value, { file, locate })
      resources.push(result.value)
    } else if (result.diagnostics.some((d) => d.severity === 'error')) {
      const salvaged = salvageResource(object)
      if (salvaged !== undefined) {
        setSourceOf(salvaged, { file, locate })
        rejected.push(salvaged)
      }
    }
  }
}

/** True when a value reached through aliases contains itself. */
function isCyclic(root: unknown): boolean {
  const stack = new Set<unknown>()
  const visit = (value: unknown): boolean => {
    if (typeof value !== 'object' || value === null) return false
    if (stack.has(value)) return true
    stack.add(value)
    const children = Array.isArray(value)
      ? value
      : value instanceof Map
        ? [...value.values()]
        : Object.values(value)
    for (const child of children) if (visit(child)) return true
    stack.delete(value)
    return false
  }
  return visit(root)
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
