import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type RunningHttpbin, request, startHttpbin } from '@portico/testing'
import { build } from 'tsup'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configYaml, virtualServiceYaml } from './test-fixtures.js'

// `portico serve --workers N` forks the process that runs it, so it is tested as a real CLI
// process: the CLI's sources (and the workspace packages', by their `source` condition) are
// bundled into one file first, so that the test needs no `pnpm build` and runs what is checked in.

async function until<T>(what: string, read: () => T | undefined | false, ms = 20_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    const value = read()
    if (value !== undefined && value !== false) return value
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** One request to the admin endpoint. */
async function admin(
  port: number,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  const answer = await request(port, {
    url: `http://127.0.0.1:${port}${path}`,
    method,
    ...(body === undefined ? {} : { body }),
  })
  return { status: answer.status, body: answer.body.toString('utf8') }
}

/** Sum of the samples of `name` whose labels include `match` (label values without quotes or escapes). */
function sample(text: string, name: string, match: Record<string, string> = {}): number {
  let total = 0
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (m === null || m[1] !== name) continue
    const labels = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="([^"]*)"/g)].map((l) => [l[1], l[2]]),
    )
    if (Object.entries(match).every(([k, v]) => labels[k] === v)) total += Number(m[3])
  }
  return total
}

/** Status codes of `n` requests, each on a new connection (the cluster spreads connections over the workers). */
async function statuses(port: number, path: string, n: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++)
    out.push((await request(port, { url: `http://httpbin.example.com${path}` })).status)
  return out
}

let dir: string
let cli: string
let httpbin: RunningHttpbin
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portico-workers-'))
  httpbin = await startHttpbin()
  const entry = join(dir, 'entry.ts')
  const source = fileURLToPath(new URL('../cli.ts', import.meta.url))
  await writeFile(
    entry,
    `import { main } from ${JSON.stringify(source)}\nprocess.exitCode = await main(process.argv.slice(2))\n`,
  )
  await build({
    entry: { portico: entry },
    outDir: join(dir, 'bin'),
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    noExternal: [/.*/],
    silent: true,
    config: false,
    dts: false,
    sourcemap: false,
    splitting: false,
    // Bundled CommonJS dependencies call require().
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    esbuildOptions(options) {
      options.conditions = ['source']
    },
  })
  await writeFile(join(dir, 'bin', 'package.json'), '{ "type": "module" }\n')
  cli = join(dir, 'bin', 'portico.js')
}, 60_000)
afterAll(async () => {
  await httpbin?.close()
  await rm(dir, { recursive: true, force: true })
})

interface Running {
  readonly child: ChildProcess
  out: string
  err: string
}

function serve(args: readonly string[]): Running {
  // Round-robin scheduling (Node's default except on Windows): fresh connections alternate between workers.
  // Without NODE_PATH (package managers set it for scripts): the bundle finds no package outside itself.
  const { NODE_PATH: _, ...env } = process.env
  const child = spawn(process.execPath, [cli, 'serve', ...args], {
    cwd: dir,
    env: { ...env, NODE_CLUSTER_SCHED_POLICY: 'rr' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const running: Running = { child, out: '', err: '' }
  child.stdout?.on('data', (c: Buffer) => {
    running.out += c.toString()
  })
  child.stderr?.on('data', (c: Buffer) => {
    running.err += c.toString()
  })
  return running
}

async function stop(running: Running): Promise<number | null> {
  if (running.child.exitCode !== null) return running.child.exitCode
  const exited = new Promise<number | null>((resolve) => running.child.once('exit', (code) => resolve(code)))
  running.child.kill('SIGTERM')
  return exited
}

/** Pids of the primary's workers, and which one serves the admin endpoint (Linux: from /proc). */
function workers(primary: number): { pid: number; admin: boolean }[] {
  const children = readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
  return children.map((pid) => ({
    pid: Number(pid),
    admin: readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes('PORTICO_ADMIN_WORKER=1'),
  }))
}

describe('portico serve --workers 2', () => {
  it('sums every worker’s requests in one scrape, and a change through the admin endpoint reaches every worker, a replacement worker included', async () => {
    await writeFile(join(dir, 'httpbin.yaml'), configYaml(httpbin.port, ['/status']))
    const running = serve(['-f', 'httpbin.yaml', '--port', '80=0', '--admin', '0', '--workers', '2'])
    try {
      const listening = () => [...running.out.matchAll(/\(HTTP\) listening on http:\/\/127\.0\.0\.1:(\d+)/g)]
      await until(`two workers listening (${running.err})`, () => listening().length === 2)
      const port = Number(listening()[0]?.[1])
      expect(Number(listening()[1]?.[1])).toBe(port)
      const adminPort = Number(
        await until(
          'the admin endpoint',
          () => /admin listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(running.out)?.[1],
        ),
      )
      expect(running.out.match(/admin listening/g)).toHaveLength(1)

      expect(await statuses(port, '/status/200', 20)).toEqual(new Array(20).fill(200))
      expect(await statuses(port, '/status/418', 6)).toEqual(new Array(6).fill(418))
      await new Promise((r) => setTimeout(r, 100))
      const scrape = await admin(adminPort, 'GET', '/stats/prometheus')
      expect(scrape.status).toBe(200)
      // Each worker served about half of these; the scrape counts them all.
      expect(sample(scrape.body, 'istio_requests_total', { response_code: '200' })).toBe(20)
      expect(sample(scrape.body, 'istio_requests_total', { response_code: '418' })).toBe(6)
      expect(sample(scrape.body, 'istio_request_duration_milliseconds_count')).toBe(26)
      expect(sample(scrape.body, 'istio_request_duration_milliseconds_bucket', { le: '+Inf' })).toBe(26)
      expect(sample(scrape.body, 'portico_workers')).toBe(2)
      expect(sample(scrape.body, 'portico_workers_reporting')).toBe(2)
      expect(scrape.body).not.toMatch(/^# portico:/m)

      expect(await statuses(port, '/headers', 4)).toEqual([404, 404, 404, 404])
      // A regex route: the bundle loads the RE2 engine through import() before validating it.
      const change = virtualServiceYaml(['/status', '/headers']).replace(
        'prefix: /headers',
        'regex: /head(er)?s',
      )
      expect(change).toContain('regex: /head(er)?s')
      const applied = await admin(adminPort, 'POST', '/config/apply', change)
      expect(applied.status, applied.body).toBe(200)
      expect(await statuses(port, '/headers', 20)).toEqual(new Array(20).fill(200))
      const after = await admin(adminPort, 'GET', '/stats/prometheus')
      expect(sample(after.body, 'portico_config_version')).toBe(2)
      expect(sample(after.body, 'portico_config_changes_total', { result: 'accepted' })).toBe(1)

      if (existsSync(`/proc/${running.child.pid}/task`)) {
        // A worker that dies is replaced; the replacement starts from the file, then takes the
        // change the others took through the admin endpoint.
        const other = workers(running.child.pid as number).find((w) => !w.admin)
        expect(other).toBeDefined()
        process.kill(other?.pid as number, 'SIGKILL')
        await until('a replacement worker', () => listening().length === 3)
        expect(running.err).toMatch(/worker \d+ exited \(SIGKILL\); starting another/)
        expect(await statuses(port, '/headers', 20)).toEqual(new Array(20).fill(200))
        const replaced = await admin(adminPort, 'GET', '/stats/prometheus')
        expect(sample(replaced.body, 'portico_workers_reporting')).toBe(2)
        expect(sample(replaced.body, 'portico_config_version')).toBe(2)

        // A stuck worker does not hang the scrape: the answer has what arrived, and says so.
        const stuck = workers(running.child.pid as number).find((w) => !w.admin)
        process.kill(stuck?.pid as number, 'SIGSTOP')
        try {
          const partial = await admin(adminPort, 'GET', '/stats/prometheus')
          expect(partial.status).toBe(200)
          expect(partial.body).toMatch(/^# portico: no figures from worker \d+ in time/m)
          expect(sample(partial.body, 'portico_workers')).toBe(2)
          expect(sample(partial.body, 'portico_workers_reporting')).toBe(1)
        } finally {
          process.kill(stuck?.pid as number, 'SIGCONT')
        }
      }
    } finally {
      expect(await stop(running)).toBe(0)
    }
  }, 60_000)
})
