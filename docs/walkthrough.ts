import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'

// Runs the shell blocks of a walk-through page in order, as a reader would, and compares what
// each prints with the output block that follows it. The page's fixed ports are swapped for free
// ephemeral ones on the way in and back on the way out.

export const root = fileURLToPath(new URL('../', import.meta.url))
const bin = join(root, 'packages/cli/bin/portico.js')

export interface Block {
  readonly lang: string
  readonly code: string
  /** The `<!-- test: ... -->` marker on the line before the fence, if any. */
  readonly marker?: string
  /** The output block right after it, if any. */
  expected?: string
}

/** Fenced blocks of a Markdown text, indentation removed, with their markers and outputs. */
export function blocksOf(markdown: string): Block[] {
  const lines = markdown.split('\n')
  const out: Block[] = []
  let lastNonBlank = ''
  let previousWasBlock = false
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i] ?? '')
    if (open === null) {
      if ((lines[i] ?? '').trim() !== '') {
        lastNonBlank = (lines[i] ?? '').trim()
        previousWasBlock = false
      }
      continue
    }
    const indent = open[1]?.length ?? 0
    const body: string[] = []
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i] ?? ''); i++)
      body.push((lines[i] ?? '').slice(indent))
    const lang = open[2] ?? ''
    const code = body.join('\n')
    const prev = out.at(-1)
    if (lang === 'text' && previousWasBlock && prev !== undefined && prev.lang === 'sh') prev.expected = code
    else {
      const marker = /^<!-- test: (.*) -->$/.exec(lastNonBlank)?.[1]
      out.push({ lang, code, ...(marker === undefined ? {} : { marker }) })
    }
    previousWasBlock = true
    lastNonBlank = ''
  }
  return out
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Dates and timings vary; curl words connection errors differently across versions. */
export function normalize(text: string): string {
  return text
    .replace(/\r/g, '')
    .split('\n')
    .map((l) =>
      l
        .trimEnd()
        .replace(/^(date|Date): .*/, '$1: <date>')
        .replace(/^x-envoy-upstream-service-time: \d+$/, 'x-envoy-upstream-service-time: <ms>')
        .replace(/^curl: \((\d+)\) .*/, 'curl: ($1) <message>'),
    )
    .join('\n')
    .trimEnd()
}

let dir: string
const ports = new Map<number, number>()
const background: ChildProcess[] = []

function toActual(text: string): string {
  let out = text
  for (const [docPort, actual] of ports)
    out = out.replace(new RegExp(`\\b${docPort}\\b`, 'g'), String(actual))
  return out
}
function toDoc(text: string): string {
  let out = text
  for (const [docPort, actual] of ports)
    out = out.replace(new RegExp(`\\b${actual}\\b`, 'g'), String(docPort))
  return out
}

/** `portico` as the reader runs it, talking to this test's admin port. */
function prelude(): string {
  const admin = `127.0.0.1:${ports.get(15000)}`
  return [
    'set -e',
    `portico() { case "$1" in serve|create|replace|apply|delete) "${process.execPath}" "${bin}" "$@" --admin ${admin} ;; *) "${process.execPath}" "${bin}" "$@" ;; esac; }`,
    '',
  ].join('\n')
}

function start(code: string): ChildProcess {
  return spawn('bash', ['-c', prelude() + toActual(code)], {
    cwd: dir,
    env: { ...process.env, PATH: `${join(root, 'node_modules/.bin')}:${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
}

/** Runs a block to completion; stdout and stderr together, in arrival order. */
function run(code: string): Promise<string> {
  const child = start(code)
  let out = ''
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString()
  })
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString()
  })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', () => resolve(out))
  })
}

/** Starts a long-running block and resolves with its output once it prints `until`. */
function runInBackground(code: string, until: string): Promise<string> {
  const child = start(code)
  background.push(child)
  let out = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${until}" within 15 s; printed:\n${out}`)), 15_000)
    const onData = (c: Buffer) => {
      out += c.toString()
      if (out.includes(until)) {
        clearTimeout(timer)
        // Let the line that announced readiness finish.
        setTimeout(() => resolve(out), 50)
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('close', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code} before "${until}":\n${out}`))
    })
  })
}

/**
 * Prepares a walk-through: free ports for `docPorts`, a scratch directory with `node_modules` and
 * the example files (their doc ports swapped), and returns the runner and the cleanup.
 */
export async function prepareWalkthrough(
  docPorts: readonly number[],
  examples: Readonly<Record<string, readonly string[]>>,
): Promise<{ runDoc: (doc: string) => Promise<void>; close: () => Promise<void> }> {
  for (const p of docPorts) ports.set(p, await freePort())
  dir = await mkdtemp(join(tmpdir(), 'portico-walkthrough-'))
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir')
  for (const [example, files] of Object.entries(examples)) {
    await mkdir(join(dir, 'examples', example), { recursive: true })
    for (const file of files) {
      const text = await readFile(join(root, 'examples', example, file), 'utf8')
      await writeFile(join(dir, 'examples', example, file), toActual(text))
    }
  }
  return { runDoc, close }
}

/** Executes every `sh` block of `doc` in order and checks each output block. */
async function runDoc(doc: string): Promise<void> {
  if (
    !existsSync(join(root, 'packages/cli/dist/cli.js')) ||
    !existsSync(join(root, 'packages/testing/dist/index.js'))
  ) {
    throw new Error('the walk-through runs the built CLI: run `npx --yes pnpm@10.34.9 build` first')
  }
  const blocks = blocksOf(await readFile(doc, 'utf8')).filter((b) => b.lang === 'sh')
  for (const block of blocks) {
    const marker = block.marker ?? ''
    if (marker === 'skip') continue
    const until = /^background until="([^"]*)"$/.exec(marker)?.[1]
    const output = until === undefined ? await run(block.code) : await runInBackground(block.code, until)
    if (block.expected !== undefined) {
      expect(normalize(toDoc(output)), `output of:\n${block.code}`).toBe(normalize(block.expected))
    }
  }
}

async function close(): Promise<void> {
  for (const child of background) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {}
    }
  }
  await Promise.all(
    background.map((c) =>
      c.exitCode === null && c.signalCode === null
        ? new Promise((resolve) => c.once('close', resolve))
        : undefined,
    ),
  )
  background.length = 0
  ports.clear()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
}
