import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { request, seedYaml, seedYamlDocuments } from '@portico/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const bin = fileURLToPath(new URL('../bin/portico.js', import.meta.url))

// What the built CLI loads before any command runs: every CommonJS module it pulls in.
function commonJsLoadedBy(specifier: string): string[] {
  const probe = `
    import { createRequire } from 'node:module'
    await import(${JSON.stringify(specifier)})
    process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)))
  `
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' })
  expect(r.stderr).toBe('')
  return JSON.parse(r.stdout) as string[]
}

describe('the packages the portico command loads', () => {
  it('are Latin-1 text, which V8 holds one byte a character (one other character doubles the bundle in the heap)', () => {
    for (const pkg of ['core', 'server', 'etcd']) {
      const text = readFileSync(fileURLToPath(new URL(`../../${pkg}/dist/index.js`, import.meta.url)), 'utf8')
      const wide = [...text.matchAll(/[^\u0000-\u00ff]/g)].map((m) => text.slice(m.index - 40, m.index + 10))
      expect(wide, pkg).toEqual([])
    }
  })
})

describe('what the portico command loads up front', () => {
  it('leaves out the testing kit (node-forge) until portico demo needs it', () => {
    const loaded = commonJsLoadedBy(cli)
    // yaml is CommonJS and always needed: it shows the probe sees the CLI's dependencies.
    expect(loaded.some((f) => f.includes('/node_modules/yaml/'))).toBe(true)
    expect(loaded.filter((f) => f.includes('/node_modules/node-forge/'))).toEqual([])
  })
})

// Every module a process resolves through `import` (a module hook) or loads through `require`,
// written to stderr as one `loaded: [...]` line on SIGUSR2.
const HOOK = `
let port
export function initialize(data) { port = data.port }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context)
  port.postMessage(r.url)
  return r
}
`
const REPORTER = `
import { createRequire, register } from 'node:module'
import { MessageChannel } from 'node:worker_threads'
const { port1, port2 } = new MessageChannel()
const seen = new Set()
port1.on('message', (url) => seen.add(url))
port1.unref()
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}), { data: { port: port2 }, transferList: [port2] })
process.on('SIGUSR2', () => {
  const all = [...seen, ...Object.keys(createRequire(import.meta.url).cache)]
  process.stderr.write('loaded: ' + JSON.stringify(all) + '\\n')
})
`

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portico-load-cost-'))
  await writeFile(join(dir, 'reporter.mjs'), REPORTER)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function until<T>(what: string, read: () => T | undefined, ms = 20_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    const value = read()
    if (value !== undefined) return value
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('what portico serve loads', () => {
  it('loads undici and re2js only once a configuration has an HTTP/2 cluster and a regex', async () => {
    await writeFile(join(dir, 'seed.yaml'), seedYaml(1, { httpbinPort: 9, prefixes: ['/status'] }))
    const child = spawn(
      process.execPath,
      [
        '--import',
        pathToFileURL(join(dir, 'reporter.mjs')).href,
        bin,
        'serve',
        '-f',
        join(dir, 'seed.yaml'),
        '--port',
        '80=0',
        '--admin',
        '127.0.0.1:0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
    })
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString()
    })
    const loaded = async (): Promise<string[]> => {
      const from = err.length
      child.kill('SIGUSR2')
      const line = await until('the loaded modules', () => /^loaded: (.*)$/m.exec(err.slice(from))?.[1])
      return JSON.parse(line) as string[]
    }
    const has = (modules: readonly string[], name: string) =>
      modules.some((m) => m.includes(`/node_modules/${name}/`))
    try {
      const admin = Number(
        await until(
          `the admin endpoint (${err})`,
          () => /admin listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1],
        ),
      )
      const idle = await loaded()
      // zod is needed for every configuration: it shows the probe sees the packages' imports.
      expect(has(idle, 'zod')).toBe(true)
      expect(has(idle, 'undici')).toBe(false)
      expect(has(idle, 're2js')).toBe(false)

      const [gateway, virtualService, serviceEntry] = seedYamlDocuments(1, {
        httpbinPort: 9,
        prefixes: ['/status'],
      })
      const change = [
        gateway,
        virtualService.replace('prefix: /status', 'regex: "/stat(us)?/.*"'),
        serviceEntry.replace('protocol: HTTP', 'protocol: HTTP2'),
      ].join('\n---\n')
      expect(change).toContain('regex:')
      expect(change).toContain('protocol: HTTP2')
      const applied = await request(admin, {
        url: `http://127.0.0.1:${admin}/config/apply`,
        method: 'POST',
        body: change,
      })
      expect(applied.status, applied.body.toString()).toBe(200)
      const after = await loaded()
      expect(has(after, 'undici')).toBe(true)
      expect(has(after, 're2js')).toBe(true)
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
  }, 60_000)
})
