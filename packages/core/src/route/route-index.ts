import type { CompiledRoute, RequestView } from '../compile/types.js'

/** Below this many routes a linear scan is as fast as any index. */
const LINEAR_LIMIT = 8

interface TrieNode {
  next: Map<number, TrieNode> | undefined
  ids: number[]
}

function newNode(): TrieNode {
  return { next: undefined, ids: [] }
}

function insert(root: TrieNode, key: string, id: number, fold: boolean): void {
  let node = root
  for (let i = 0; i < key.length; i++) {
    let c = key.charCodeAt(i)
    if (fold && c >= 0x41 && c <= 0x5a) c += 32
    if (node.next === undefined) node.next = new Map()
    let child = node.next.get(c)
    if (child === undefined) {
      child = newNode()
      node.next.set(c, child)
    }
    node = child
  }
  node.ids.push(id)
}

function ascending(a: number, b: number): number {
  return a - b
}

function asciiLower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x41 && c <= 0x5a) return s.toLowerCase()
  }
  return s
}

/**
 * First-match route selection over one virtual host. Routes whose path matcher is a literal
 * (exact or prefix, case-sensitive or not) are indexed — exacts in maps, prefixes in a
 * character trie — so a request only evaluates the routes whose literal fits its path plus the
 * routes without a literal (regex or no path matcher). Candidates are evaluated in ascending
 * route order, which keeps Envoy's first-match semantics exact.
 */
export class RouteIndex {
  readonly #routes: readonly CompiledRoute[]
  readonly #linear: boolean
  readonly #always: number[] = []
  readonly #exact = new Map<string, number[]>()
  readonly #exactFold = new Map<string, number[]>()
  readonly #trie = newNode()
  readonly #trieFold = newNode()
  #hasFold = false
  readonly #lists: (readonly number[])[] = []
  readonly #merged: number[] = []

  constructor(routes: readonly CompiledRoute[]) {
    this.#routes = routes
    this.#linear = routes.length <= LINEAR_LIMIT
    if (this.#linear) return
    for (let id = 0; id < routes.length; id++) {
      const uri = routes[id]!.uri
      if (uri === undefined || uri.kind === 'regex') {
        this.#always.push(id)
      } else if (uri.kind === 'exact') {
        const map = uri.ignoreCase ? this.#exactFold : this.#exact
        const key = uri.ignoreCase ? asciiLower(uri.value) : uri.value
        const list = map.get(key)
        if (list === undefined) map.set(key, [id])
        else list.push(id)
        if (uri.ignoreCase) this.#hasFold = true
      } else {
        insert(uri.ignoreCase ? this.#trieFold : this.#trie, uri.value, id, uri.ignoreCase)
        if (uri.ignoreCase) this.#hasFold = true
      }
    }
  }

  /** The first route that accepts the request. */
  first(request: RequestView): CompiledRoute | undefined {
    const routes = this.#routes
    if (this.#linear) {
      for (let i = 0; i < routes.length; i++) {
        const r = routes[i]!
        if (r.matches(request)) return r
      }
      return undefined
    }
    const path = request.path
    // Scratch state: route() is synchronous and never re-entered, so reusing it is safe.
    const lists = this.#lists
    lists.length = 0
    if (this.#always.length > 0) lists.push(this.#always)
    const exact = this.#exact.get(path)
    if (exact !== undefined) lists.push(exact)
    let node: TrieNode | undefined = this.#trie
    if (node.ids.length > 0) lists.push(node.ids)
    for (let i = 0; i < path.length && node !== undefined; i++) {
      node = node.next?.get(path.charCodeAt(i))
      if (node !== undefined && node.ids.length > 0) lists.push(node.ids)
    }
    if (this.#hasFold) {
      const folded = this.#exactFold.get(asciiLower(path))
      if (folded !== undefined) lists.push(folded)
      node = this.#trieFold
      if (node.ids.length > 0) lists.push(node.ids)
      for (let i = 0; i < path.length && node !== undefined; i++) {
        let c = path.charCodeAt(i)
        if (c >= 0x41 && c <= 0x5a) c += 32
        node = node.next?.get(c)
        if (node !== undefined && node.ids.length > 0) lists.push(node.ids)
      }
    }
    let ordered: readonly number[]
    if (lists.length === 0) return undefined
    if (lists.length === 1) {
      ordered = lists[0]!
    } else {
      const merged = this.#merged
      merged.length = 0
      for (let l = 0; l < lists.length; l++) {
        const ids = lists[l]!
        for (let i = 0; i < ids.length; i++) merged.push(ids[i]!)
      }
      merged.sort(ascending)
      ordered = merged
    }
    for (let i = 0; i < ordered.length; i++) {
      const r = routes[ordered[i]!]!
      if (r.matches(request)) return r
    }
    return undefined
  }
}
