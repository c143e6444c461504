// What can stall a proxy's event loop under a fixed number of requests at 50 connections, counted
// rather than timed where it can be: every timer and immediate callback the process runs (how
// often, how long one run takes), every other callback by resource type, the garbage collections
// (scavenges, mark-compacts, bytes promoted per request, from --trace-gc-nvp) and the upstream
// connections the gateway opened. Durations are wall-clock and only indicative on a busy machine;
// the counts do not depend on the load.
//
// Usage: node bench/stalls.mjs [--target=portico|portico-off|peer] [--path=/status/tiny]
//   [--requests=30000] [--warm=5000] [--conns=50] [--idle=SECONDS] [--gc-only] [--root=<checkout>]
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { get as httpGet } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { benchConfigYaml, freePort, statusOf } from './helpers.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const arg = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback
const target = arg('target', 'portico')
const path = arg('path', '/status/tiny')
const requests = Number(arg('requests', '30000'))
const warm = Number(arg('warm', '5000'))
const conns = Number(arg('conns', '50'))
/** Seconds the proxy sits idle between the warm-up and the measured requests (other targets' turn in run.mjs). */
const idle = Number(arg('idle', '0'))
/** Scrape /stats/prometheus once at the end of the idle time. */
const scrapeIdle = process.argv.includes('--scrape-idle')
const root = arg('root', join(here, '..'))
const HOST = 'httpbin.example.com'

const tmp = mkdtempSync(join(tmpdir(), 'portico-stalls-'))
const report = join(tmp, 'report.json')
const children = []
process.on('exit', () => {
  for (const c of children) c.kill('SIGTERM')
})

function start(cmd, args, env = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  child.out = ''
  child.stdout.on('data', (d) => {
    child.out += d
  })
  child.stderr.on('data', (d) => {
    child.out += d
  })
  children.push(child)
  return child
}

async function waitHttp(port) {
  for (let i = 0; i < 400; i++) {
    if ((await statusOf(port, '/status/tiny', HOST)) === 200) return
    await sleep(50)
  }
  throw new Error(`port ${port} never answered\n${children.map((c) => c.out).join('\n')}`)
}

const upPort = await freePort()
start(process.execPath, [join(here, 'upstream.mjs'), String(upPort)])
writeFileSync(join(tmp, 'config.yaml'), benchConfigYaml({ host: HOST, upstreamPort: upPort }))

/** Starts the proxy under test with the hooks preloaded; `timers` also times every callback. */
async function startProxy(timers) {
  const port = await freePort()
  const extra = process.env.PORTICO_NODE_FLAGS ? process.env.PORTICO_NODE_FLAGS.split(' ') : []
  const flags = [
    ...extra,
    '--trace-gc-nvp',
    '--trace-pretenuring',
    '--trace-pretenuring-statistics',
    '--expose-gc',
    '--import',
    join(here, 'stall-hooks.mjs'),
  ]
  const env = { STALL_REPORT: report, STALL_TIMERS: timers ? '1' : '0' }
  let proxy
  let adminPort
  if (target === 'peer') {
    proxy = start(
      process.execPath,
      [...flags, join(here, 'proxies/undici-proxy.mjs'), String(port), String(upPort)],
      env,
    )
  } else {
    adminPort = target === 'portico-off' ? undefined : await freePort()
    const admin = adminPort === undefined ? 'off' : `127.0.0.1:${adminPort}`
    proxy = start(
      process.execPath,
      [
        ...flags,
        join(root, 'packages/cli/bin/portico.js'),
        'serve',
        '-f',
        tmp,
        '--port',
        `80=${port}`,
        '--bind',
        '127.0.0.1',
        '--admin',
        admin,
        '--access-log',
        'off',
      ],
      env,
    )
  }
  await waitHttp(port)
  return { proxy, port, adminPort }
}

function scrape(port) {
  return new Promise((res, rej) => {
    httpGet({ host: '127.0.0.1', port, path: '/stats/prometheus', agent: false }, (r) => {
      r.resume()
      r.on('end', res)
    }).on('error', rej)
  })
}

async function load(port, amount, at, atCount = 0) {
  const run = autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections: conns,
    amount,
    headers: { host: HOST },
  })
  let seen = 0
  if (at !== undefined) run.on('response', () => ++seen === atCount && at())
  const r = await run
  if (r.non2xx + r.errors > 0) throw new Error(`${r.non2xx} non-2xx, ${r.errors} errors`)
  return r
}

async function snapshotAfter(proxy, ms) {
  await sleep(ms)
  return snapshot(proxy)
}

async function snapshot(proxy) {
  proxy.kill('SIGUSR2')
  for (let i = 0; i < 100; i++) {
    await sleep(50)
    try {
      const text = readFileSync(report, 'utf8')
      writeFileSync(report, '')
      if (text !== '') return JSON.parse(text)
    } catch {}
  }
  throw new Error('no report from the proxy')
}

/** Warm-up, then the measured requests: the proxy's report and its output during them. */
async function measure(timers) {
  const { proxy, port, adminPort } = await startProxy(timers)
  await load(port, warm)
  const warmSeen = await snapshotAfter(proxy, 200)
  const from0 = proxy.out.length
  await sleep(idle * 1000)
  if (scrapeIdle && adminPort !== undefined) await scrape(adminPort)
  await snapshot(proxy)
  const idleOut = proxy.out.slice(from0)
  const from = proxy.out.length
  const started = performance.now()
  // --full-gc-at=N: one full collection after N of the measured requests (as a scrape or a config
  // change would cause), to see whether the young generation recovers from it.
  const gcAt = Number(arg('full-gc-at', '0'))
  const running = load(port, requests, gcAt > 0 ? () => proxy.kill('SIGWINCH') : undefined, gcAt)
  const r = await running
  const seconds = (performance.now() - started) / 1000
  const seen = await snapshot(proxy)
  proxy.kill('SIGTERM')
  if (process.env.STALL_KEEP_OUTPUT) writeFileSync(process.env.STALL_KEEP_OUTPUT, proxy.out)
  return { r, seconds, seen, warmSeen, out: proxy.out.slice(from), idleOut, all: proxy.out }
}

const f = (n, d = 2) => (n === undefined ? '–' : n.toFixed(d))
const lines = []
// Collections and connections first, without the callback timing (which allocates itself).
{
  const { r, seconds, seen, warmSeen, out, idleOut, all } = await measure(false)
  const gcLines = out.split('\n').filter((l) => l.includes(' gc='))
  const idleGc = idleOut.split('\n').filter((l) => l.includes(' gc='))
  const field = (l, k) => Number(new RegExp(`[ ,]${k}=([\\d.]+)`).exec(l)?.[1] ?? 0)
  const scavenges = gcLines.filter((l) => / gc=s /.test(l))
  const full = gcLines.filter((l) => / gc=m[cs] /.test(l))
  const sum = (ls, k) => ls.reduce((a, l) => a + field(l, k), 0)
  const max = (ls, k) => ls.reduce((a, l) => Math.max(a, field(l, k)), 0)
  lines.push(
    `${target}, GET ${path}, ${requests} requests after ${warm} of warm-up, ${conns} connections (${Math.round(r.requests.total / seconds)} req/s on this machine; latency p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, p99.9 ${r.latency.p99_9} ms, max ${r.latency.max} ms)`,
    '',
    `- upstream connections opened: ${target === 'peer' ? 'not counted' : `${warmSeen.upstreamConnections} during the warm-up, ${seen.upstreamConnections} during the run`}`,
    `- scavenges: ${scavenges.length} (${f((scavenges.length * 1000) / requests, 2)} per 1k requests), pauses ${f(sum(scavenges, 'pause'), 1)} ms in all, longest ${f(max(scavenges, 'pause'), 2)} ms`,
    `- allocation sites V8 decided to pretenure (allocate in the old generation) since start: ${all.split('\n').filter((l) => /pretenuring: AllocationSite.*=> tenure/.test(l)).length}`,
    `- mark-compacts: ${full.length}, pauses ${f(sum(full, 'pause'), 1)} ms in all, longest ${f(max(full, 'pause'), 2)} ms`,
    ...(idle > 0
      ? [
          `- while idle ${idle} s before the run: ${idleGc.filter((l) => / gc=s /.test(l)).length} scavenges, ${idleGc.filter((l) => / gc=m[cs] /.test(l)).length} mark-compacts (${idleGc.filter((l) => /reduce_memory=1/.test(l)).length} of them reducing memory)`,
        ]
      : []),
    `- young generation filled between scavenges (KiB), in order: ${scavenges
      .slice(0, 12)
      .map((l) => Math.round(field(l, 'allocated') / 1024))
      .join(', ')}${scavenges.length > 12 ? ' …' : ''}`,
    `- promoted by each collection (KiB), in order: ${gcLines
      .slice(0, 16)
      .map((l) => `${/ gc=s /.test(l) ? '' : 'MC '}${Math.round(field(l, 'promoted') / 1024)}`)
      .join(', ')}${gcLines.length > 16 ? ' …' : ''}`,
    `- per request: ${f(sum(gcLines, 'allocated') / requests, 0)} bytes allocated, ${f(sum(gcLines, 'new_space_survived') / requests, 0)} copied in the young generation, ${f(sum(gcLines, 'promoted') / requests, 0)} promoted`,
    '',
  )
}
// Then every callback timed: how often each runs and how long one run takes.
if (!process.argv.includes('--gc-only')) {
  const { seen } = await measure(true)
  lines.push(
    '| callback | runs | runs per 1k req | median ms | max ms | runs > 0.5 ms | runs > 1 ms | total ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  )
  for (const c of seen.callbacks.sort((a, b) => b.totalMs - a.totalMs)) {
    lines.push(
      `| ${c.name.replace(/\|/g, '\\|')} | ${c.runs} | ${f((c.runs * 1000) / requests, 1)} | ${f(c.medianMs, 3)} | ${f(c.maxMs, 2)} | ${c.over05} | ${c.over1} | ${f(c.totalMs, 1)} |`,
    )
  }
}
console.log(lines.join('\n'))
process.exit(0)
