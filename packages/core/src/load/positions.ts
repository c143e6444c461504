import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node, type ParsedNode } from 'yaml'
import type { FieldPath, SourceLocation } from '../diagnostics/diagnostic.js'
import type { LineIndex } from './line-index.js'

/** Offsets of every field of one YAML document, keyed by field path. */
export class PositionTable {
  readonly #offsets = new Map<string, number>()
  readonly #file: string
  readonly #lineCounter: LineIndex
  readonly #fallback: number

  constructor(file: string, lineCounter: LineIndex, doc: Document.Parsed) {
    this.#file = file
    this.#lineCounter = lineCounter
    this.#fallback = doc.contents?.range[0] ?? doc.range[0]
    if (doc.contents) this.#index(doc, doc.contents, [], new Set(), 0)
  }

  /** Position of `path` (or its nearest existing parent); `prefix` roots it inside the document. */
  locate(path: FieldPath, prefix: FieldPath = []): SourceLocation {
    const full = [...prefix, ...path]
    for (let length = full.length; length >= 0; length--) {
      const offset = this.#offsets.get(keyOf(full.slice(0, length)))
      if (offset !== undefined) return this.position(offset)
    }
    return this.position(this.#fallback)
  }

  /** File, line and column (1-based) of a character offset. */
  position(offset: number): SourceLocation {
    const { line, col } = this.#lineCounter.linePos(offset)
    return { file: this.#file, line, column: col }
  }

  #set(path: FieldPath, offset: number): void {
    const key = keyOf(path)
    if (!this.#offsets.has(key)) this.#offsets.set(key, offset)
  }

  #index(
    doc: Document.Parsed,
    node: unknown,
    path: (string | number)[],
    stack: Set<unknown>,
    depth: number,
  ): void {
    if (depth > 200 || stack.has(node)) return
    if (isAlias(node)) {
      const target = node.resolve(doc)
      if (target) this.#index(doc, target, path, stack, depth + 1)
      return
    }
    stack.add(node)
    if (isMap(node)) {
      const merged: unknown[] = []
      for (const pair of node.items) {
        if (!isPair(pair)) continue
        const key = pair.key as Node | null
        if (isScalar(key) && key.source === '<<') {
          merged.push(pair.value)
          continue
        }
        const name = isScalar(key) ? String(key.value) : String(key)
        const child = [...path, name]
        const offset = key?.range?.[0] ?? (pair.value as ParsedNode | null)?.range?.[0]
        if (offset !== undefined) this.#set(child, offset)
        if (pair.value) this.#index(doc, pair.value, child, stack, depth + 1)
      }
      // Merged keys (`<<: *base`) come after the map's own keys: own keys win.
      for (const source of merged) {
        const sources = isSeq(source) ? source.items : [source]
        for (const item of sources) this.#index(doc, item, path, stack, depth + 1)
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const offset = (item as ParsedNode | null)?.range?.[0]
        if (offset !== undefined) this.#set([...path, index], offset)
        if (item) this.#index(doc, item, [...path, index], stack, depth + 1)
      })
    }
    stack.delete(node)
    const offset = (node as ParsedNode | null)?.range?.[0]
    if (offset !== undefined) this.#set(path, offset)
  }
}

function keyOf(path: FieldPath): string {
  return JSON.stringify(path)
}
