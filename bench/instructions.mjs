// Instructions per request of a proxy, counted by callgrind: a figure that does not depend on
// what else the machine runs, unlike CPU time. The target runs under
// `valgrind --tool=callgrind` with instrumentation off; after a warm-up (JIT tiers settle) the
// counters are switched on and zeroed, a fixed number of requests is sent with h2load, and the
// dump's total divided by the request count is the figure; the part spent by V8's background
// compiler is printed apart.
//
// Usage: node bench/instructions.mjs [--target=portico-metrics,portico,node-undici]
//          [--scenario=h1,1k,tls,h2] [--requests=4000] [--warm=4000] [--conns=10] [--keep]
//          [--root=<another built checkout>] [--syscalls]
// Targets: `portico-metrics` (`portico serve` with its admin endpoint, so requests are counted
// in Istio's metrics), `portico` (`--admin off`), `node-undici` (bench/proxies/undici-proxy.mjs).
// `PORTICO_NODE_FLAGS="…"` passes V8 flags to the gateway. With --keep the callgrind files stay
// (their path is printed) for `callgrind_annotate`.
// With --syscalls the target runs without valgrind and `strace -f -c` is attached after the
// warm-up and detached after the counted requests: system calls per request, by name (how many
// reads and writes a response takes), another figure the machine's load does not change.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { benchConfigYaml, freePort, selfSignedCertificate, statusOf } from './helpers.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const argv = process.argv.slice(2)
const option = (name, fallback) =>
  argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback
const targets = option('target', 'portico-metrics,portico').split(',')
const scenarios = option('scenario', 'h1').split(',')
const requests = Number(option('requests', '4000'))
const warm = Number(option('warm', '4000'))
const conns = Number(option('conns', '10'))
const keep = argv.includes('--keep')
const syscalls = argv.includes('--syscalls')
// Another checkout (built) whose gateway to measure, e.g. the commit before a change.
const gatewayRoot = option('root', root)
const HOST = 'httpbin.example.com'
const PATHS = { h1: '/status/tiny', '1k': '/status/1k', tls: '/status/tiny', h2: '/status/tiny' }

const tmp = mkdtempSync(join(tmpdir(), 'portico-instructions-'))
const children = []
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL')
  if (!keep) rmSync(tmp, { recursive: true, force: true })
})
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

function start(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: root })
  child.out = ''
  const keepOut = (d) => {
    if (child.out.length < 65536) child.out += d
  }
  child.stdout.on('data', keepOut)
  child.stderr.on('data', keepOut)
  children.push(child)
  return child
}

async function waitHttp(port, child) {
  for (let i = 0; i < 6000; i++) {
    const status = await statusOf(port, '/status/tiny', HOST)
    if (status === 200) return
    if (child?.exitCode !== null && child?.exitCode !== undefined) break
    await sleep(100)
  }
  throw new Error(`port ${port} never answered 200\n${child?.out ?? ''}`)
}

// Sends n requests; returns how many succeeded. Under valgrind a connection is occasionally cut
// (a timeout of the gateway's or of h2load's at a few dozen requests per second): the warm-up
// tolerates that, the measured run divides by the requests that succeeded and fails above 1 %.
function h2load(port, tls, h2, n, strict) {
  const scheme = tls ? 'https' : 'http'
  const r = spawnSync(
    'h2load',
    [
      ...(h2 ? ['-m', '10'] : ['--h1']),
      '-n',
      String(n),
      '-c',
      String(conns),
      `--connect-to=127.0.0.1:${port}`,
      `${scheme}://${HOST}:${port}${PATHS[scenario]}`,
    ],
    { encoding: 'utf8', timeout: 600_000 },
  )
  const m = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded/.exec(r.stdout)
  const ok = Number(m?.[2] ?? 0)
  if (ok === 0 || (strict && ok < n * 0.99)) throw new Error(`h2load: ${r.stdout}${r.stderr}`)
  return ok
}

const upPort = await freePort()
start(process.execPath, [join(here, 'upstream.mjs'), String(upPort)])
await waitHttp(upPort)
const cert = selfSignedCertificate(tmp, HOST)

function porticoConfig(dir, tlsOn) {
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'config.yaml'),
    benchConfigYaml({ host: HOST, upstreamPort: upPort, cert: tlsOn ? cert : undefined }),
  )
}

let scenario = 'h1'
async function measure(target) {
  const tls = scenario === 'tls' || scenario === 'h2'
  const port = await freePort()
  const tlsPort = await freePort()
  const out = join(tmp, `${target}-${scenario}.callgrind`)
  let args
  if (target === 'node-undici') {
    args = [
      join(here, 'proxies', 'undici-proxy.mjs'),
      String(port),
      String(upPort),
      String(tlsPort),
      cert.crt,
      cert.key,
    ]
  } else {
    const dir = join(tmp, `${target}-${scenario}`)
    porticoConfig(dir, tls)
    const extra = process.env.PORTICO_NODE_FLAGS ? process.env.PORTICO_NODE_FLAGS.split(' ') : []
    args = [
      ...extra,
      join(gatewayRoot, 'packages/cli/bin/portico.js'),
      'serve',
      '-f',
      dir,
      '--port',
      `80=${port}`,
      ...(tls ? ['--port', `443=${tlsPort}`] : []),
      '--bind',
      '127.0.0.1',
      '--admin',
      target === 'portico-metrics' ? `127.0.0.1:${await freePort()}` : 'off',
      '--access-log',
      'off',
    ]
  }
  const node = [
    // Under valgrind the process runs some hundred times slower, so V8's memory reducer, which
    // reads a low allocation rate per millisecond as idleness, would add full collections that
    // a gateway under load never makes.
    '--no-memory-reducer',
    '-r',
    join(here, 'patient-timeouts.cjs'),
    ...args,
  ]
  const child = syscalls
    ? start(process.execPath, node)
    : start('valgrind', [
        '--tool=callgrind',
        '--instr-atstart=no',
        `--callgrind-out-file=${out}`,
        process.execPath,
        ...node,
      ])
  try {
    await waitHttp(port, child)
    const loadPort = tls ? tlsPort : port
    // Two warm-up runs: the first connections' objects settle the code V8 optimizes, and the
    // shapes of a second set of connections deoptimize some of it once more; after that, new
    // connections (those of the counted run) no longer make V8 compile again.
    h2load(loadPort, tls, scenario === 'h2', Math.ceil(warm / 2), false)
    h2load(loadPort, tls, scenario === 'h2', Math.ceil(warm / 2), false)
    if (syscalls)
      return await countSyscalls(child, () => h2load(loadPort, tls, scenario === 'h2', requests, true))
    const control = (flag) => {
      const r = spawnSync('callgrind_control', [flag, String(child.pid)], { encoding: 'utf8' })
      if (r.status !== 0) throw new Error(`callgrind_control ${flag}: ${r.stdout}${r.stderr}`)
    }
    control('--instr=on')
    control('--zero')
    const served = h2load(loadPort, tls, scenario === 'h2', requests, true)
    control('--dump')
    control('--instr=off')
    const dumps = readdirSync(tmp).filter((f) => f.startsWith(`${target}-${scenario}.callgrind`))
    let total = 0
    let jit = 0
    for (const f of dumps) {
      const m = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(tmp, f), 'utf8'))
      if (m === null || Number(m[1]) <= total) continue
      total = Number(m[1])
      jit = backgroundCompilation(join(tmp, f))
    }
    return { perRequest: total / served, jitPerRequest: jit / served, files: dumps.map((f) => join(tmp, f)) }
  } finally {
    child.kill('SIGKILL')
  }
}

// V8 optimizes hot functions on a background thread; when a new connection's objects take another
// shape, code deoptimizes and is compiled again. Those instructions land in whichever requests
// run meanwhile, so they are reported apart: the inclusive count of the compile task.
function backgroundCompilation(file) {
  const r = spawnSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  const m = /^\s*([\d,]+) .*OptimizingCompileDispatcher::CompileTask::RunInternal/m.exec(r.stdout ?? '')
  return m === null ? 0 : Number(m[1].replaceAll(',', ''))
}

// Attaches `strace -f -c` to every thread of the target, runs `load` (which returns the requests
// served) and detaches: the calls of each name divided by the requests served.
async function countSyscalls(child, load) {
  const out = join(tmp, `strace-${child.pid}.txt`)
  const tracer = spawn('strace', ['-f', '-c', '-o', out, '-p', String(child.pid)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let err = ''
  tracer.stderr.on('data', (d) => {
    err += d
  })
  // strace reports each thread it attached to; the load starts once they all are.
  for (let i = 0; i < 300 && !/attached/.test(err); i++) await sleep(20)
  await sleep(500)
  const served = await load()
  const exited = new Promise((res) => tracer.once('exit', res))
  tracer.kill('SIGINT')
  await exited
  const calls = {}
  let total = 0
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$/.exec(line)
    if (m === null || m[2] === 'total') continue
    calls[m[2]] = Number(m[1]) / served
    total += Number(m[1])
  }
  return { perRequest: total / served, calls, files: [] }
}

const rows = []
for (const s of scenarios) {
  scenario = s
  for (const t of targets) {
    const r = await measure(t)
    rows.push({ scenario: s, target: t, ...r })
    console.log(
      syscalls
        ? `${s.padEnd(4)} ${t.padEnd(16)} ${r.perRequest.toFixed(2).padStart(6)} syscalls/request  ${Object.entries(
            r.calls,
          )
            .sort((a, b) => b[1] - a[1])
            .map(([name, n]) => `${name} ${n.toFixed(2)}`)
            .join(', ')}`
        : `${s.padEnd(4)} ${t.padEnd(16)} ${Math.round(r.perRequest).toLocaleString('en-US').padStart(10)} instructions/request, ${Math.round(
            r.perRequest - r.jitPerRequest,
          )
            .toLocaleString('en-US')
            .padStart(10)} without background compilation${keep ? `  ${r.files.join(' ')}` : ''}`,
    )
  }
}
process.exit(0)
