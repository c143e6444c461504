// Portico proxy benchmark: upstream, gateway and baselines in one run, A B A B… alternation,
// proxy CPU sampled from /proc/<pid>/stat. Usage: node bench/run.mjs [--quick|--full] [--no-micro]
// [--only=targets] [--scenario=names] [--workers=1,2]
// The headline target is `portico-metrics` (admin endpoint and metrics on, as `portico serve`
// runs by default); `portico` (--admin off) is the second row. Ratios are against nginx and the
// best Node peer (`node-undici`: node:http + undici Pool.stream, bench/proxies/undici-proxy.mjs).
// CPU per request and tail latency only mean something on a quiet machine: publish results from one.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { get as httpGet } from 'node:http'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { benchConfigYaml, freePort, selfSignedCertificate } from './helpers.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const args = new Set(process.argv.slice(2))
const mode = args.has('--full') ? 'full' : args.has('--quick') ? 'quick' : 'default'
const cfg = {
  quick: { dur: 3, warm: 1, rounds: 1 },
  default: { dur: 4, warm: 1, rounds: 2 },
  full: { dur: 10, warm: 2, rounds: 3 },
}[mode]
const only = [...args]
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',')
const onlyScenario = [...args]
  .find((a) => a.startsWith('--scenario='))
  ?.slice(11)
  .split(',')
// --workers=1,2: `portico serve --workers N` for each N instead of the peers (see the report).
const workerCounts = [...args]
  .find((a) => a.startsWith('--workers='))
  ?.slice(10)
  .split(',')
  .map(Number)
const CONNS = 50
const HOST = 'httpbin.example.com'

function has(bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0
}
const pin = has('taskset')
const pinned = (cpu, cmd, argv) => (pin ? ['taskset', ['-c', String(cpu), cmd, ...argv]] : [cmd, argv])
const children = []
const stopAll = () => {
  for (const c of children) c.kill('SIGTERM')
}
process.on('exit', stopAll)
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))
function start(cpu, cmd, argv, opts = {}) {
  const [c, a] = pinned(cpu, cmd, argv)
  const child = spawn(c, a, { stdio: ['ignore', 'pipe', 'pipe'], cwd: root, ...opts })
  const keep = (d) => {
    if ((child.out ?? '').length < 65536) child.out = (child.out ?? '') + d
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  children.push(child)
  return child
}
async function waitHttp(port, path = '/status/tiny', host = HOST) {
  for (let i = 0; i < 200; i++) {
    const status = await new Promise((res) => {
      const q = httpGet({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (r) => {
        r.resume()
        r.on('end', () => res(r.statusCode))
      })
      q.on('error', () => res(0))
    })
    if (status === 200) return
    await sleep(50)
  }
  throw new Error(`port ${port} never answered 200`)
}
// A process and its children (a `--workers` primary and its workers).
function processTree(pid) {
  let children = []
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
  } catch {}
  return [pid, ...children.flatMap((c) => processTree(Number(c)))]
}
function cpuTicks(pid) {
  // utime + stime of the process and its children (fields 14, 15), in clock ticks; threads included.
  let ticks = 0
  for (const p of processTree(pid)) {
    try {
      const s = readFileSync(`/proc/${p}/stat`, 'utf8')
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
      ticks += Number(f[11]) + Number(f[12])
    } catch {}
  }
  return ticks
}
function rssKiB(pid) {
  let kib = 0
  for (const p of processTree(pid)) {
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0)
    } catch {}
  }
  return kib
}
const HZ = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim() || 100)

// --- load generators
const wrk = has('wrk')
const h2load = has('h2load')
// Latency percentiles (ms) of a list of per-request times in µs.
function percentiles(us) {
  const v = Float64Array.from(us).sort()
  const at = (q) => (v.length ? v[Math.min(v.length - 1, Math.ceil((q / 100) * v.length) - 1)] / 1000 : NaN)
  return { p50: at(50), p99: at(99), p999: at(99.9) }
}
let logs = 0
async function loadTls(port, path, secs, h2) {
  // h2load sets SNI from the URL's host and --connect-to sends it to 127.0.0.1; it prints no
  // percentiles, so they come from its per-request log (start µs, status, µs to the response's end).
  const log = join(tmp, `h2load-${logs++}.log`)
  const [c, a] = pinned(1, 'h2load', [
    `--log-file=${log}`,
    ...(h2 ? ['-m', '10'] : ['--h1']),
    '-c',
    String(CONNS),
    '-D',
    String(secs),
    `--connect-to=127.0.0.1:${port}`,
    `https://${HOST}:${port}${path}`,
  ])
  const t0 = Date.now()
  const out = await new Promise((res) => {
    const p = spawn(c, a)
    // A proxy that stalls a stream would keep the load generator waiting: bound every run.
    const guard = setTimeout(() => p.kill('SIGINT'), (secs + 15) * 1000)
    p.on('close', () => clearTimeout(guard))
    let o = ''
    p.stdout.on('data', (d) => {
      o += d
    })
    p.stderr.on('data', (d) => {
      o += d
    })
    p.on('close', (code, signal) => res(`${o}\nexit ${code} ${signal} after ${Date.now() - t0} ms`))
  })
  const req =
    /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out)
  let lines = []
  try {
    lines = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('\t'))
    rmSync(log)
  } catch {}
  const times = lines.map((l) => Number(l[2]))
  if (req === null) {
    // h2load waits for every stream in flight when the time is up; one the proxy never finishes
    // keeps it waiting until the guard stops it, without its summary. Its log has one line per
    // finished request, so the counts come from there.
    console.error(`h2load printed no summary (${out.slice(out.lastIndexOf('\n') + 1)}): counts from its log`)
    return {
      rps: lines.length / secs,
      ...percentiles(times),
      requests: lines.length,
      errors: lines.filter((l) => !/^[23]\d\d$/.test(l[1] ?? '')).length,
    }
  }
  return {
    rps: Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1]),
    ...percentiles(times),
    requests: Number(req[1]),
    errors: Number(req[3]) + Number(req[4]),
  }
}
async function load(port, path, secs, tls) {
  if (tls) return loadTls(port, path, secs, tls === 'h2')
  if (wrk) {
    const [c, a] = pinned(1, 'wrk', [
      '-t1',
      `-c${CONNS}`,
      `-d${secs}s`,
      '--latency',
      '-s',
      wrkScript,
      '-H',
      `Host: ${HOST}`,
      `http://127.0.0.1:${port}${path}`,
    ])
    const out = await new Promise((res) => {
      const p = spawn(c, a)
      // A proxy that stalls a stream would keep the load generator waiting: bound every run.
      const guard = setTimeout(() => p.kill('SIGINT'), (secs + 15) * 1000)
      p.on('close', () => clearTimeout(guard))
      let o = ''
      p.stdout.on('data', (d) => {
        o += d
      })
      p.on('close', () => res(o))
    })
    const ms = (t) => {
      const m = /([\d.]+)(us|ms|s)\b/.exec(t)
      if (!m) return NaN
      return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1)
    }
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
    return {
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
      p50: ms(/ 50%\s+(\S+)/.exec(out)?.[1] ?? ''),
      p99: ms(/ 99%\s+(\S+)/.exec(out)?.[1] ?? ''),
      p999: Number(/^p99\.9 (\d+)$/m.exec(out)?.[1]) / 1000,
      requests: Number(/(\d+) requests in/.exec(out)?.[1]),
      errors: non2xx,
    }
  }
  const autocannon = (await import('autocannon')).default
  const r = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections: CONNS,
    duration: secs,
    headers: { host: HOST },
  })
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    p999: r.latency.p99_9,
    requests: r.requests.total,
    errors: r.non2xx + r.errors,
  }
}

// --- targets
const tmp = mkdtempSync(join(tmpdir(), 'portico-bench-'))
// wrk --latency prints up to p99; its Lua `done` hook gives p99.9 (in µs).
const wrkScript = join(tmp, 'p999.lua')
writeFileSync(
  wrkScript,
  'done = function(summary, latency, requests) io.write(string.format("p99.9 %d\\n", latency:percentile(99.9))) end\n',
)
const upPort = await freePort()
start(1, process.execPath, [join(here, 'upstream.mjs'), String(upPort)])
await waitHttp(upPort)
const targets = [{ name: 'direct', port: upPort, pid: null }]
const cert = has('openssl') ? { ...selfSignedCertificate(tmp, HOST), pem: join(tmp, 'tls.pem') } : undefined
if (cert) writeFileSync(cert.pem, readFileSync(cert.crt, 'utf8') + readFileSync(cert.key, 'utf8'))

async function addNode(name, script) {
  const port = await freePort()
  const tlsPort = cert && script === 'undici-proxy.mjs' ? await freePort() : undefined
  const child = start(0, process.execPath, [
    join(here, 'proxies', script),
    String(port),
    String(upPort),
    ...(tlsPort ? [String(tlsPort), cert.crt, cert.key] : []),
  ])
  await waitHttp(port)
  targets.push({ name, port, tlsPort, pid: child.pid })
}
// `portico` serves with --admin off (no request metrics, as nginx and the Node proxies keep
// none); `portico-metrics` serves the admin endpoint, so every request is counted in Istio's metrics.
async function addPortico(name = 'portico', withAdmin = false, workers = undefined) {
  const port = await freePort()
  const tlsPort = cert ? await freePort() : undefined
  const dir = join(tmp, name)
  mkdirSync(dir)
  writeFileSync(join(dir, 'config.yaml'), benchConfigYaml({ host: HOST, upstreamPort: upPort, cert }))
  const extra = process.env.PORTICO_NODE_FLAGS ? process.env.PORTICO_NODE_FLAGS.split(' ') : []
  const adminPort = withAdmin ? await freePort() : undefined
  const child = start(0, process.execPath, [
    ...extra,
    join(root, 'packages/cli/bin/portico.js'),
    'serve',
    '-f',
    dir,
    '--port',
    `80=${port}`,
    ...(tlsPort ? ['--port', `443=${tlsPort}`] : []),
    '--bind',
    '127.0.0.1',
    '--admin',
    withAdmin ? `127.0.0.1:${adminPort}` : 'off',
    '--access-log',
    'off',
    ...(workers === undefined ? [] : ['--workers', String(workers)]),
  ])
  await waitHttp(port).catch((e) => {
    throw new Error(`${e.message}\n${child.out}`)
  })
  if (workers !== undefined && workers > 1) {
    // Every worker listens before the figures mean anything (`--workers 1` is one process, no primary).
    for (let i = 0; processTree(child.pid).length < workers + 1; i++) {
      if (i > 200) throw new Error(`${workers} workers never started\n${child.out}`)
      await sleep(50)
    }
  }
  if (adminPort !== undefined) await waitHttp(adminPort, '/ready', '127.0.0.1')
  targets.push({ name, port, tlsPort, pid: child.pid, child, adminPort })
}
async function addNginx() {
  if (!has('nginx')) return console.error('nginx not installed: skipped')
  const port = await freePort()
  const tlsPort = cert ? await freePort() : undefined
  const conf = join(tmp, 'nginx.conf')
  writeFileSync(
    conf,
    readFileSync(join(here, 'nginx.conf'), 'utf8')
      .replaceAll('@PORT@', String(port))
      .replaceAll('@UPSTREAM@', String(upPort))
      .replaceAll('@TMP@', tmp)
      .replace(/#TLS\n[\s\S]*?#END TLS\n/, (block) =>
        cert
          ? block
              .replaceAll('@TLSPORT@', String(tlsPort))
              .replaceAll('@CRT@', cert.crt)
              .replaceAll('@KEY@', cert.key)
          : '',
      ),
  )
  const child = start(0, has('nginx') ? 'nginx' : '/usr/sbin/nginx', [
    '-c',
    conf,
    '-p',
    tmp,
    '-e',
    join(tmp, 'nginx-error.log'),
  ])
  await waitHttp(port)
  targets.push({ name: 'nginx', port, tlsPort, pid: child.pid })
}
async function addHaproxy() {
  if (!has('haproxy')) return console.error('haproxy not installed: skipped')
  const port = await freePort()
  const tlsPort = cert ? await freePort() : undefined
  const conf = join(tmp, 'haproxy.cfg')
  writeFileSync(
    conf,
    readFileSync(join(here, 'haproxy.cfg'), 'utf8')
      .replaceAll('@PORT@', String(port))
      .replaceAll('@UPSTREAM@', String(upPort))
      .replace(/#TLS\n[\s\S]*?#END TLS\n/, (block) =>
        cert ? block.replaceAll('@TLSPORT@', String(tlsPort)).replaceAll('@PEM@', cert.pem) : '',
      ),
  )
  const child = start(0, 'haproxy', ['-db', '-f', conf])
  await waitHttp(port)
  targets.push({ name: 'haproxy', port, tlsPort, pid: child.pid })
}
process.env.PATH = `${process.env.PATH}:/usr/sbin:/sbin`
for (const add of workerCounts
  ? workerCounts.map((n) => () => addPortico(`portico-workers-${n}`, true, n))
  : [
      () => addPortico('portico-metrics', true),
      () => addPortico(),
      addNginx,
      addHaproxy,
      () => addNode('node-undici', 'undici-proxy.mjs'),
      () => addNode('http-proxy', 'http-proxy.mjs'),
      () => addNode('fastify-proxy', 'fastify-proxy.mjs'),
    ]) {
  try {
    await add()
  } catch (e) {
    console.error(`target skipped: ${e.message.slice(0, 2000)}`)
  }
}

const scenarios = (
  workerCounts
    ? [{ name: 'h1 keep-alive, tiny body', path: '/status/tiny' }]
    : [
        { name: 'h1 keep-alive, tiny body', path: '/status/tiny' },
        { name: 'h1 keep-alive, 1 KiB', path: '/status/1k' },
        { name: 'h1 keep-alive, 64 KiB', path: '/status/64k' },
        ...(cert && h2load
          ? [
              {
                name: 'HTTPS TLS 1.3 h1 keep-alive, tiny body (h2load)',
                path: '/status/tiny',
                tls: 'h1',
              },
              {
                name: 'HTTP/2 over TLS 1.3, 10 streams per connection, tiny body (h2load)',
                path: '/status/tiny',
                tls: 'h2',
              },
            ]
          : []),
      ]
).filter((sc) => !onlyScenario || onlyScenario.some((w) => sc.name.includes(w)))
if (!cert || !h2load) console.error('openssl or h2load absent: TLS and HTTP/2 scenarios skipped')
const active = targets.filter((t) => !only || only.includes(t.name))
const results = []
for (const sc of scenarios) {
  const acc = new Map(active.map((t) => [t.name, []]))
  for (let r = 0; r < cfg.rounds; r++) {
    for (const t of active) {
      if (sc.tls && t.tlsPort === undefined) continue
      const port = sc.tls ? t.tlsPort : t.port
      await load(port, sc.path, cfg.warm, sc.tls)
      const c0 = t.pid ? cpuTicks(t.pid) : 0
      const m = await load(port, sc.path, cfg.dur, sc.tls)
      const c1 = t.pid ? cpuTicks(t.pid) : 0
      m.cpuUs = t.pid ? (((c1 - c0) / HZ) * 1e6) / m.requests : NaN
      m.rss = t.pid ? rssKiB(t.pid) : NaN
      acc.get(t.name).push(m)
      console.error(
        `${sc.name} | ${t.name} | round ${r + 1}: ${m.rps.toFixed(0)} req/s, p99 ${m.p99} ms, p99.9 ${m.p999} ms, ${m.cpuUs.toFixed(1)} µs/req, errors ${m.errors}`,
      )
    }
  }
  for (const [name, ms] of acc) {
    const med = (k) => {
      const v = ms.map((m) => m[k]).sort((a, b) => a - b)
      return v[Math.floor(v.length / 2)]
    }
    results.push({
      scenario: sc.name,
      target: name,
      rps: med('rps'),
      p50: med('p50'),
      p99: med('p99'),
      p999: med('p999'),
      cpuUs: med('cpuUs'),
      rss: Math.max(...ms.map((m) => m.rss)),
      errors: ms.reduce((a, m) => a + m.errors, 0),
    })
  }
}
// The aggregate metrics path of --workers: one scrape asks every worker for its figures and sums
// them. Its CPU (all processes) per scrape, after the load, 20 scrapes in a row.
const SCRAPES = 20
const scrapeCpuMs = new Map()
async function scrape(port) {
  return new Promise((res) => {
    const q = httpGet({ host: '127.0.0.1', port, path: '/stats/prometheus', agent: false }, (r) => {
      r.resume()
      r.on('end', () => res(r.statusCode))
    })
    q.on('error', () => res(0))
  })
}
if (workerCounts) {
  for (const t of active) {
    await scrape(t.adminPort)
    const c0 = cpuTicks(t.pid)
    for (let i = 0; i < SCRAPES; i++) await scrape(t.adminPort)
    scrapeCpuMs.set(t.name, (((cpuTicks(t.pid) - c0) / HZ) * 1000) / SCRAPES)
  }
}
for (const c of children)
  try {
    c.kill('SIGTERM')
  } catch {}

// --- report
const f = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '–')
const tool = (cmd, a) => {
  const r = spawnSync(cmd, a)
  return `${r.stdout ?? ''}${r.stderr ?? ''}`
}
const lines = []
lines.push(`# Proxy benchmark, ${new Date().toISOString()}`, '')
lines.push(
  `Machine: ${cpus()[0]?.model} × ${cpus().length} cores; Node ${process.version}; ` +
    `wrk ${wrk ? (/wrk (?:debian\/)?(\S+)/.exec(tool('wrk', ['-v']))?.[1] ?? '?') : 'absent (autocannon)'}; ` +
    `nginx ${/nginx\/(\S+)/.exec(tool('nginx', ['-v']))?.[1] ?? 'absent'}; haproxy ${/version (\S+)/.exec(tool('haproxy', ['-v']))?.[1] ?? 'absent'}; ` +
    `taskset ${pin ? 'yes (proxy on CPU 0, wrk + upstream on CPU 1)' : 'absent (unpinned)'}; ` +
    `load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (figures mean something only on an otherwise idle machine).`,
  '',
)
lines.push(
  `Mode ${mode}: ${cfg.rounds} round(s) of ${cfg.dur} s per target after a ${cfg.warm} s warm-up, targets alternated per round, medians shown; ${CONNS} keep-alive connections, one wrk thread.`,
  '',
)
lines.push(
  'µs/req = proxy process CPU (user + system, /proc/<pid>/stat) divided by requests completed: the figure that compares. Ratios are of µs/req, measured in the same run.',
  '',
)
const PEER = 'node-undici'
const HEADLINE = 'portico-metrics'
const ratio = (a, b) => f(a / b, 2)
if (workerCounts) {
  const one = results.find((r) => r.target === `portico-workers-${workerCounts[0]}`)
  lines.push(
    `\`portico serve --workers N\` (admin endpoint and metrics on), the primary and its workers together (\`--workers 1\` is one process serving alone)${pin ? ' on CPU 0, the load generator and upstream on CPU 1: with 2 cores the workers share one, so req/s shows what the cluster costs, not how it scales' : ''}. µs/req is the CPU of every gateway process (the primary and its workers, user + system) divided by the requests completed; RSS is their sum; a scrape of /stats/prometheus asks every worker for its figures and sums them (CPU of all processes per scrape, ${SCRAPES} in a row after the load). ÷ columns divide by the first row.`,
    '',
    '| scenario | gateway | req/s | µs/req | ÷ first | p50 ms | p99 ms | p99.9 ms | RSS MiB | CPU ms per scrape | non-2xx |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  )
  for (const r of results) {
    lines.push(
      `| ${r.scenario} | ${r.target.replace('portico-workers-', '--workers ')} | ${f(r.rps)} | ${f(r.cpuUs, 1)} | ${ratio(r.cpuUs, one?.cpuUs)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${f(r.p999, 2)} | ${f(r.rss / 1024, 0)} | ${f(scrapeCpuMs.get(r.target), 1)} | ${r.errors} |`,
    )
  }
  lines.push('')
} else {
  lines.push(
    `Headline: \`${HEADLINE}\` (admin endpoint and metrics on, as \`portico serve\` runs by default); \`portico\` is the same gateway with \`--admin off\`. The peer is \`${PEER}\`, the best Node proxy (node:http + undici Pool.stream, about 50 lines). ÷ columns divide this target's figure by nginx's or the peer's from the same run: below 1 is better.`,
    '',
    '| scenario | target | µs/req | ÷ nginx | ÷ peer | p99 ms | p99.9 ms | p99 ÷ nginx | p99 ÷ peer | p99.9 ÷ nginx | p99.9 ÷ peer | RSS MiB |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  )
  for (const sc of scenarios) {
    const rows = results.filter((r) => r.scenario === sc.name)
    const nginx = rows.find((r) => r.target === 'nginx')
    const peer = rows.find((r) => r.target === PEER)
    for (const name of [HEADLINE, 'portico']) {
      const r = rows.find((x) => x.target === name)
      if (r === undefined || !Number.isFinite(r.rps)) continue
      lines.push(
        `| ${sc.name} | ${name} | ${f(r.cpuUs, 1)} | ${ratio(r.cpuUs, nginx?.cpuUs)} | ${ratio(r.cpuUs, peer?.cpuUs)} | ${f(r.p99, 2)} | ${f(r.p999, 2)} | ${ratio(r.p99, nginx?.p99)} | ${ratio(r.p99, peer?.p99)} | ${ratio(r.p999, nginx?.p999)} | ${ratio(r.p999, peer?.p999)} | ${f(r.rss / 1024, 0)} |`,
      )
    }
  }
  lines.push('')
  for (const sc of scenarios) {
    const rows = results.filter((r) => r.scenario === sc.name)
    const nginx = rows.find((r) => r.target === 'nginx')
    const peer = rows.find((r) => r.target === PEER)
    lines.push(
      `## ${sc.name}`,
      '',
      '| target | req/s | p50 ms | p99 ms | p99.9 ms | proxy µs/req | RSS MiB | µs ÷ nginx | µs ÷ peer | p99 ÷ nginx | p99 ÷ peer | p99.9 ÷ nginx | p99.9 ÷ peer | non-2xx |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    )
    for (const r of rows) {
      lines.push(
        `| ${r.target} | ${f(r.rps)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${f(r.p999, 2)} | ${f(r.cpuUs, 1)} | ${f(r.rss / 1024, 0)} | ${ratio(r.cpuUs, nginx?.cpuUs)} | ${ratio(r.cpuUs, peer?.cpuUs)} | ${ratio(r.p99, nginx?.p99)} | ${ratio(r.p99, peer?.p99)} | ${ratio(r.p999, nginx?.p999)} | ${ratio(r.p999, peer?.p999)} | ${r.errors} |`,
      )
    }
    lines.push('')
  }
}
const md = lines.join('\n')
console.log(md)
const day = new Date().toISOString().slice(0, 10)
const suffix = `${mode === 'default' ? '' : `-${mode}`}${workerCounts ? '-workers' : ''}`
// A run limited to some targets or scenarios prints its tables but is not kept as a result.
if (!only && !onlyScenario) writeFileSync(join(here, 'results', `${day}${suffix}.md`), `${md}\n`)
