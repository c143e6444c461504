import { readdir, readFile, realpath, stat } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import type { Diagnostic } from '../diagnostics/diagnostic.js'
import type { Resource } from '../resources/index.js'
import { LOAD_CODES } from './codes.js'
import { duplicateWarnings, type LoadResult, parseText } from './parse.js'

/** Where standard input comes from: a stream, any async iterable of chunks, or the text itself. */
export type StdinSource = AsyncIterable<string | Uint8Array> | string

/** Options of {@link loadResources}. */
export interface LoadOptions {
  /** Directory relative paths are resolved against (default: `process.cwd()`). */
  readonly cwd?: string
  /** What `-` reads (default: `process.stdin`). */
  readonly stdin?: StdinSource
  /** Stops reading further files when aborted (what was read so far is returned). */
  readonly signal?: AbortSignal
}

/** The file extensions read from directories. */
export const CONFIG_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json']

/** The name standard input carries in diagnostics and sources. */
export const STDIN_NAME = '<stdin>'

/**
 * Loads resources from files, directories (recursively; `.yaml`, `.yml` and `.json` files, in
 * sorted order) and `-` (standard input). Files named explicitly are read whatever their
 * extension. Resources keep load order: argument order, then file order within a directory,
 * then document order. An unknown or unreadable path is an error diagnostic; loading goes on
 * with the other paths. Never rejects on user input.
 */
export async function loadResources(
  paths: readonly string[],
  options: LoadOptions = {},
): Promise<LoadResult> {
  const cwd = options.cwd ?? process.cwd()
  const resources: Resource[] = []
  const diagnostics: Diagnostic[] = []
  const rejected: Resource[] = []
  const add = (result: LoadResult): void => {
    resources.push(...result.resources)
    diagnostics.push(...result.diagnostics)
    rejected.push(...(result.rejected ?? []))
  }
  let stdinText: string | undefined
  for (const path of paths) {
    if (options.signal?.aborted) break
    if (path === '-') {
      if (stdinText === undefined) {
        try {
          stdinText = await readStdin(options.stdin ?? process.stdin)
        } catch (error) {
          stdinText = ''
          diagnostics.push(unreadable(STDIN_NAME, `cannot read standard input: ${messageOf(error)}`))
        }
        add(parseText(stdinText, STDIN_NAME))
      }
      continue
    }
    const files = await expand(path, isAbsolute(path) ? path : resolve(cwd, path), diagnostics)
    for (const file of files) {
      if (options.signal?.aborted) break
      let text: string
      try {
        text = await readFile(file.absolute, 'utf8')
      } catch (error) {
        diagnostics.push(unreadable(file.display, `cannot read ${file.display}: ${reason(error)}`))
        continue
      }
      add(parseText(text, file.display))
    }
  }
  diagnostics.push(...duplicateWarnings(resources))
  return { resources, diagnostics, rejected }
}

interface FoundFile {
  /** As the user would name it: the argument, or the argument joined with the path inside it. */
  readonly display: string
  readonly absolute: string
}

async function expand(display: string, absolute: string, diagnostics: Diagnostic[]): Promise<FoundFile[]> {
  let info: Awaited<ReturnType<typeof stat>>
  try {
    info = await stat(absolute)
  } catch (error) {
    diagnostics.push(unreadable(display, `cannot read ${display}: ${reason(error)}`))
    return []
  }
  if (!info.isDirectory()) return [{ display, absolute }]
  const found: FoundFile[] = []
  const seen = new Set<string>()
  const walk = async (dirDisplay: string, dirAbsolute: string): Promise<void> => {
    let real: string
    let entries: string[]
    try {
      real = await realpath(dirAbsolute)
      if (seen.has(real)) return
      seen.add(real)
      entries = (await readdir(dirAbsolute)).sort()
    } catch (error) {
      diagnostics.push(unreadable(dirDisplay, `cannot read ${dirDisplay}: ${reason(error)}`))
      return
    }
    for (const entry of entries) {
      const childAbsolute = join(dirAbsolute, entry)
      const childDisplay = join(dirDisplay, entry)
      let child: Awaited<ReturnType<typeof stat>>
      try {
        child = await stat(childAbsolute)
      } catch {
        continue // dangling symlink or a file removed meanwhile
      }
      if (child.isDirectory()) await walk(childDisplay, childAbsolute)
      else if (child.isFile() && CONFIG_EXTENSIONS.some((ext) => entry.toLowerCase().endsWith(ext))) {
        found.push({ display: childDisplay, absolute: childAbsolute })
      }
    }
  }
  await walk(display, absolute)
  return found
}

async function readStdin(source: StdinSource): Promise<string> {
  if (typeof source === 'string') return source
  const decoder = new TextDecoder()
  let text = ''
  for await (const chunk of source) {
    text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
  }
  return text + decoder.decode()
}

function unreadable(file: string, message: string): Diagnostic {
  return { severity: 'error', code: LOAD_CODES.unreadable, message, source: { file, line: 1, column: 1 } }
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  if (code === 'ENOENT') return 'no such file or directory'
  if (code === 'EACCES') return 'permission denied'
  return messageOf(error)
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
