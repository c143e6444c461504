import { readdir, readFile, stat } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { extname, isAbsolute, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import {
  CONFIG_EXTENSIONS,
  type Diagnostic,
  formatDiagnostics,
  hasErrors,
  inNamespace,
  parseResources,
  type ResourceRef,
  resourceRef,
  STDIN_NAME,
} from '@portico/core'
import type { EtcdStore, writeStore } from '@portico/etcd'
import type { ChangeOutcome } from '@portico/server'
import { outputFormat, requireFiles, usage } from '../args.js'
import { type CliIo, EXIT, println, UsageError } from '../io.js'
import { openStore, storeHelp, storeOptions } from '../store.js'

export const applyHelp = `portico apply -f <file|dir|->... [-n <namespace>] [--admin <host:port> | ${storeHelp}] [--output text|json]`

/** Where `portico create/replace/apply/delete` send changes by default (the gateway's admin endpoint). */
export const DEFAULT_ADMIN = '127.0.0.1:15000'

/** `--admin <port|host:port>` → host and port. */
export function parseAdminAddress(
  value: string | undefined,
  fallback = DEFAULT_ADMIN,
): { host: string; port: number } {
  const text = value ?? fallback
  let host = '127.0.0.1'
  let portText = text
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(text)
  if (bracket !== null) {
    host = bracket[1] ?? host
    portText = bracket[2] ?? ''
  } else if (text.includes(':')) {
    const colon = text.lastIndexOf(':')
    host = text.slice(0, colon)
    portText = text.slice(colon + 1)
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN
  if (!(port >= 0 && port <= 65535) || host === '' || host.includes(':') !== (bracket !== null)) {
    throw new UsageError(`--admin wants <port> or <host>:<port>, not "${text}"`)
  }
  return { host, port }
}

/** One text sent to the gateway, and where each of its lines came from. */
export interface ChangeBody {
  readonly text: string
  /** The name the text is sent under: the file the gateway's findings about it name. */
  readonly name: string
  /** The resources read, as `kind/namespace/name` (the diagnostics' resource), namespaces placed by `-n`. */
  readonly keys: ReadonlySet<string>
  /** Local findings (syntax, schema) with the files' own positions. */
  readonly diagnostics: readonly Diagnostic[]
  /** Number of resources read. */
  readonly count: number
  /** Maps a line of `text` (1-based) back to its file and line. */
  locate(line: number): { file: string; line: number } | undefined
}

async function expand(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => undefined)
  if (info === undefined || !info.isDirectory()) return [path]
  const out: string[] = []
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))
  for (const e of entries) {
    const full = join(path, e.name)
    if (e.isDirectory()) out.push(...(await expand(full)))
    else if (CONFIG_EXTENSIONS.includes(extname(e.name).toLowerCase())) out.push(full)
  }
  return out
}

async function readStdin(io: CliIo): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of io.stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Reads `-f` paths (files, directories, `-`) into one multi-document text, checking each file
 * locally first so that syntax and schema errors carry the file's own line and column. With
 * `namespace` (`-n`), a resource naming another namespace is an error at its own line (kubectl's rule).
 * `name` is what the text is sent under (default `portico-apply`).
 */
export async function readChangeBody(
  paths: readonly string[],
  io: CliIo,
  options: { readonly namespace?: string | undefined; readonly name?: string } = {},
): Promise<ChangeBody> {
  const namespace = options.namespace
  const parts: { file: string; text: string; start: number }[] = []
  const diagnostics: Diagnostic[] = []
  const keys = new Set<string>()
  let count = 0
  let line = 1
  for (const path of paths) {
    const files = path === '-' ? ['-'] : await expand(isAbsolute(path) ? path : resolve(io.cwd, path))
    for (const file of files) {
      let text: string
      const name = file === '-' ? STDIN_NAME : file
      try {
        text = file === '-' ? await readStdin(io) : await readFile(file, 'utf8')
      } catch (error) {
        diagnostics.push({
          severity: 'error',
          code: 'PTC1001',
          message: `cannot read ${name}: ${(error as Error).message}`,
        })
        continue
      }
      const parsed = parseResources(text, name)
      diagnostics.push(...parsed.diagnostics)
      const placed = namespace === undefined ? parsed : inNamespace(parsed.resources, namespace, '-n')
      if (namespace !== undefined) diagnostics.push(...placed.diagnostics)
      for (const r of placed.resources) keys.add(refKey(resourceRef(r)))
      count += parsed.resources.length
      const body = text.endsWith('\n') ? text : `${text}\n`
      parts.push({ file: name, text: body, start: line + 1 })
      line += 1 + (body.match(/\n/g)?.length ?? 0)
    }
  }
  return {
    text: parts.map((p) => `---\n${p.text}`).join(''),
    name: options.name ?? 'portico-apply',
    keys,
    diagnostics,
    count,
    locate(n) {
      let found: (typeof parts)[number] | undefined
      for (const p of parts) if (p.start <= n) found = p
      return found === undefined ? undefined : { file: found.file, line: n - found.start + 1 }
    },
  }
}

function refKey(ref: ResourceRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`
}

/** Sends one request to the admin endpoint and parses its JSON answer. */
export function callAdmin(
  admin: { host: string; port: number },
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; outcome: ChangeOutcome }> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(
      {
        host: admin.host,
        port: admin.port,
        method,
        path,
        agent: false,
        headers:
          body === undefined
            ? {}
            : { 'content-type': 'application/yaml', 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          try {
            const value = JSON.parse(text) as ChangeOutcome & { error?: string }
            if (value.error !== undefined && value.changes === undefined) {
              reject(new Error(`the admin endpoint answered ${res.statusCode}: ${value.error}`))
            } else resolvePromise({ status: res.statusCode ?? 0, outcome: value })
          } catch {
            reject(new Error(`the admin endpoint answered ${res.statusCode} with something that is not JSON`))
          }
        })
        res.on('error', reject)
      },
    )
    req.setTimeout(30_000, () => req.destroy(new Error('no answer from the admin endpoint within 30 s')))
    req.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ECONNREFUSED'
          ? new Error(
              `no gateway admin endpoint at ${admin.host}:${admin.port} (start one with "portico serve", or pass --admin)`,
            )
          : error,
      ),
    )
    req.end(body)
  })
}

const VERBS = { created: 'Created', replaced: 'Updated', unchanged: 'Unchanged', deleted: 'Deleted' } as const

/** Prints an outcome as istioctl does (`Created config gateway/default/httpbin-gateway at version 2`), or as JSON. */
export function printOutcome(
  io: CliIo,
  outcome: ChangeOutcome,
  format: 'text' | 'json',
  body?: ChangeBody,
  store?: EtcdStore,
): number {
  const diagnostics =
    body === undefined
      ? outcome.diagnostics
      : outcome.diagnostics.map((d): Diagnostic => {
          if (d.source === undefined || d.source.file !== body.name) return d
          if (d.resource !== undefined && !body.keys.has(refKey(d.resource))) {
            // About a resource of an earlier change sent under the same name: its line is in
            // that text, not in these files.
            const { source: _earlier, ...rest } = d
            return rest
          }
          const where = body.locate(d.source.line)
          return where === undefined
            ? d
            : { ...d, source: { ...d.source, file: where.file, line: where.line } }
        })
  if (format === 'json') {
    println(io.stdout, JSON.stringify({ ...outcome, diagnostics }, null, 2))
    return outcome.ok ? EXIT.ok : EXIT.invalid
  }
  if (diagnostics.length > 0) println(io.stderr, formatDiagnostics(diagnostics))
  if (!outcome.ok) {
    println(
      io.stderr,
      store === undefined
        ? `refused: nothing changed; the gateway serves version ${outcome.version}`
        : `refused: nothing written to ${store.name} (at revision ${outcome.version})`,
    )
    return EXIT.invalid
  }
  for (const c of outcome.changes) {
    println(
      io.stdout,
      `${VERBS[c.action]} config ${c.resource.kind.toLowerCase()}/${c.resource.namespace}/${c.resource.name} at version ${outcome.version}`,
    )
  }
  return EXIT.ok
}

/** The shared body of `create`, `replace`, `apply` and `delete -f`. */
export async function sendFiles(
  verb: 'create' | 'replace' | 'apply' | 'delete',
  argv: readonly string[],
  io: CliIo,
): Promise<number> {
  const { values, positionals } = usage(() =>
    parseArgs({
      args: [...argv],
      allowPositionals: verb === 'delete',
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        admin: { type: 'string' },
        output: { type: 'string', short: 'o' },
        namespace: { type: 'string', short: 'n' },
        ...storeOptions,
      },
    }),
  )
  const format = outputFormat(values.output)
  if (values.store !== undefined && values.admin !== undefined)
    throw new UsageError('give either --admin or --store, not both')
  const store = await openStore(values, io)
  try {
    return await send(verb, values, positionals, format, io, store)
  } finally {
    await store?.close()
  }
}

/** A change written to the store: read at a revision, validated as a whole, one guarded transaction. */
async function writeToStore(
  store: EtcdStore,
  change: Parameters<typeof writeStore>[1],
): Promise<ChangeOutcome> {
  const { writeStore } = await import('@portico/etcd')
  const written = await writeStore(store, change)
  return {
    ok: written.ok,
    operation: change.operation,
    version: written.revision,
    changes: written.changes,
    diagnostics: written.diagnostics,
  }
}

async function send(
  verb: 'create' | 'replace' | 'apply' | 'delete',
  values: { filename?: string[] | undefined; admin?: string | undefined; namespace?: string | undefined },
  positionals: readonly string[],
  format: 'text' | 'json',
  io: CliIo,
  store: EtcdStore | undefined,
): Promise<number> {
  const admin = store === undefined ? parseAdminAddress(values.admin) : undefined
  if (verb === 'delete' && positionals.length > 0) {
    if (values.filename !== undefined) throw new UsageError('give either -f or <kind> <name>..., not both')
    const [kind, ...names] = positionals
    if (kind === undefined || names.length === 0)
      throw new UsageError('delete wants <kind> <name>... or -f <file>')
    if (store !== undefined) {
      const keys = names.map((name) => ({ kind, name, namespace: values.namespace }))
      return printOutcome(
        io,
        await writeToStore(store, { operation: 'delete', keys }),
        format,
        undefined,
        store,
      )
    }
    let code: number = EXIT.ok
    for (const name of names) {
      const ns = values.namespace === undefined ? '' : `${encodeURIComponent(values.namespace)}/`
      const { outcome } = await callAdmin(
        admin as { host: string; port: number },
        'DELETE',
        `/config/${encodeURIComponent(kind)}/${ns}${encodeURIComponent(name)}`,
      )
      code = Math.max(code, printOutcome(io, outcome, format))
    }
    return code
  }
  const namespace = values.namespace
  if (namespace !== undefined) {
    const refused = inNamespace([], namespace, '-n').diagnostics[0]
    if (refused !== undefined) throw new UsageError(refused.message)
  }
  const body = await readChangeBody(requireFiles(values.filename), io, {
    namespace,
    name: `portico-${verb}`,
  })
  if (hasErrors(body.diagnostics)) {
    if (format === 'json')
      println(io.stdout, JSON.stringify({ ok: false, diagnostics: body.diagnostics }, null, 2))
    else println(io.stderr, `${formatDiagnostics(body.diagnostics)}\nrefused: nothing sent to the gateway`)
    return EXIT.invalid
  }
  if (body.count === 0) throw new UsageError('no resources in the given files')
  if (store !== undefined) {
    const read = parseResources(body.text, body.name).resources
    const parsed = {
      resources: namespace === undefined ? read : inNamespace(read, namespace, '-n').resources,
    }
    const change: Parameters<typeof writeStore>[1] =
      verb === 'delete'
        ? {
            operation: 'delete',
            keys: parsed.resources.map((r) => ({
              kind: r.kind,
              name: r.metadata.name,
              namespace: r.metadata.namespace,
            })),
          }
        : { operation: verb, resources: parsed.resources }
    return printOutcome(io, await writeToStore(store, change), format, body, store)
  }
  const target = {
    create: 'POST /config',
    replace: 'PUT /config',
    apply: 'POST /config/apply',
    delete: 'DELETE /config',
  }[verb]
  const [method = 'POST', path = '/config'] = target.split(' ')
  const { outcome } = await callAdmin(
    admin as { host: string; port: number },
    method,
    `${path}?file=${encodeURIComponent(body.name)}${namespace === undefined ? '' : `&namespace=${encodeURIComponent(namespace)}`}`,
    body.text,
  )
  return printOutcome(io, outcome, format, body)
}

/** `portico apply -f …`: creates or replaces the resources on a running gateway. */
export function applyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return sendFiles('apply', argv, io)
}
