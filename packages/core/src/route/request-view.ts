import { parse as parseQuery } from 'fast-querystring'
import type { RequestView } from '../compile/types.js'

type HeaderRecord = Readonly<Record<string, string | readonly string[] | undefined>>

/**
 * The router's view of one request: built once per request, read by every matcher. The query
 * string is parsed only when a route asks for a parameter; repeated headers are joined with `,`
 * (Envoy's header matcher semantics).
 */
export class RequestViewImpl implements RequestView {
  readonly scheme: 'http' | 'https'
  readonly method: string
  readonly authority: string
  readonly path: string
  readonly query: string
  readonly claims: Readonly<Record<string, unknown>> | undefined
  readonly #headers: HeaderRecord
  #params: Record<string, unknown> | undefined

  constructor(
    scheme: 'http' | 'https',
    method: string,
    authority: string,
    path: string,
    query: string,
    headers: HeaderRecord,
    claims?: Readonly<Record<string, unknown>>,
  ) {
    this.scheme = scheme
    this.method = method
    this.authority = authority
    this.path = path
    this.query = query
    this.#headers = headers
    this.#params = undefined
    this.claims = claims
  }

  header(name: string): string | undefined {
    const value = this.#headers[name]
    if (typeof value === 'string') return value
    return Array.isArray(value) ? value.join(',') : undefined
  }

  queryParam(name: string): string | undefined {
    if (this.query === '') return undefined
    if (this.#params === undefined) this.#params = parseQuery(this.query) as Record<string, unknown>
    const value = this.#params[name]
    if (value === undefined) return undefined
    if (Array.isArray(value)) return value.length > 0 ? String(value[0]) : undefined
    return String(value)
  }

  /** `:path` as Envoy's header matchers see it: the path with its query. */
  get pathWithQuery(): string {
    return this.query === '' ? this.path : `${this.path}?${this.query}`
  }
}
