// What each module costs in memory, and what `portico serve` holds when idle. Needs `pnpm build`.
// Usage: node bench/memory.mjs [--reps=N] [--modules-only|--serve-only] [--load=N [--semi=default,32]]
//        node bench/memory.mjs --soak=SECONDS [--rate=2000] [--every=30]
// (--load measures the young generation under load in place of the idle gateway; --soak the heap
// after full GCs and the RSS every --every seconds while --rate requests a second go through it)
// Module costs: one fresh `node --expose-gc` per module and rep; process.memoryUsage() after full
// GCs before and after importing it alone (RSS, V8 heap in use, memory outside the heap). Serve:
// the CLI on the seed configuration (examples/httpbin with a generated certificate; admin and
// metrics on, as `portico serve` runs by default), VmRSS and the V8 heap once it is ready and idle.
// With --load=N: the young generation under N proxied requests (50 keep-alive connections, the
// seed route to bench/upstream.mjs) for each --max-semi-space-size given, from V8's --trace-gc-nvp:
// scavenges, mark-compacts, bytes allocated, copied and promoted per request, and peak RSS.
// None of this depends on CPU time, so it holds on a busy machine; medians of the reps are shown.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { get as httpGet } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { freePort, selfSignedCertificate } from './helpers.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const argv = process.argv.slice(2)
const reps = Number(argv.find((a) => a.startsWith('--reps='))?.slice(7) ?? 3)
const soakArg = argv.find((a) => a.startsWith('--soak='))
const MiB = 1024 * 1024

// [label, package directory the import resolves from, specifier]
const modules = [
  ['zod', 'packages/core', 'zod'],
  ['yaml', 'packages/core', 'yaml'],
  ['re2js', 'packages/core', 're2js'],
  ['jose', 'packages/core', 'jose'],
  ['fast-querystring', 'packages/core', 'fast-querystring'],
  ['undici', 'packages/server', 'undici'],
  ['etcd3 (+ grpc-js, protobuf)', 'packages/etcd', 'etcd3'],
  ['cockatiel', 'packages/etcd', 'cockatiel'],
  ['fast-check', 'packages/testing', 'fast-check'],
  ['node-forge', 'packages/testing', 'node-forge'],
  ['@portico/core', 'packages/cli', '@portico/core'],
  ['@portico/server (with core)', 'packages/cli', '@portico/server'],
  ['@portico/etcd (with core, etcd3)', 'packages/cli', '@portico/etcd'],
  ['@portico/testing (with server, core)', 'packages/cli', '@portico/testing'],
  ['the portico CLI (dist/cli.js)', 'packages/cli', './dist/cli.js'],
]

// The loaders are warmed first (an empty ES module and an empty CommonJS one), so their own start-up
// is not charged to the first package measured.
const probe = `
const { writeFileSync, mkdtempSync } = await import('node:fs')
const { join } = await import('node:path')
const { tmpdir } = await import('node:os')
const { pathToFileURL } = await import('node:url')
const warm = mkdtempSync(join(tmpdir(), 'portico-probe-'))
writeFileSync(join(warm, 'empty.mjs'), 'export {}')
writeFileSync(join(warm, 'empty.cjs'), 'module.exports = {}')
await import(pathToFileURL(join(warm, 'empty.mjs')).href)
await import(pathToFileURL(join(warm, 'empty.cjs')).href)
const settle = async () => { for (let i = 0; i < 4; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)) } }
await settle()
const a = process.memoryUsage()
await import(process.argv[1])
await settle()
const b = process.memoryUsage()
process.stdout.write(JSON.stringify({ rss: b.rss - a.rss, heap: b.heapUsed - a.heapUsed, outside: b.external + b.arrayBuffers - a.external - a.arrayBuffers }))
`
function moduleCost(dir, specifier) {
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', probe, specifier], {
    cwd: join(root, dir),
    encoding: 'utf8',
  })
  if (r.status !== 0) throw new Error(`${specifier}: ${r.stderr.slice(0, 500)}`)
  return JSON.parse(r.stdout)
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]
const mib = (n) => (n / MiB).toFixed(1)

const out = []
if (!argv.includes('--serve-only') && soakArg === undefined) {
  const bare = spawnSync(
    process.execPath,
    ['-e', 'process.stdout.write(String(process.memoryUsage().rss))'],
    {
      encoding: 'utf8',
    },
  )
  out.push(
    `Module costs: median of ${reps} fresh processes each, Node ${process.version}; a bare \`node -e\` holds ${mib(Number(bare.stdout))} MiB RSS.`,
    '',
    '| module imported alone | RSS MiB | V8 heap MiB | outside heap MiB |',
    '| --- | ---: | ---: | ---: |',
  )
  for (const [label, dir, spec] of modules) {
    const runs = Array.from({ length: reps }, () => moduleCost(dir, spec))
    out.push(
      `| ${label} | ${mib(median(runs.map((r) => r.rss)))} | ${mib(median(runs.map((r) => r.heap)))} | ${mib(median(runs.map((r) => r.outside)))} |`,
    )
    console.error(`measured ${label}`)
  }
  out.push('')
}

function get(port, path) {
  return new Promise((res) => {
    const q = httpGet({ host: '127.0.0.1', port, path, agent: false }, (r) => {
      let body = ''
      r.setEncoding('utf8')
      r.on('data', (d) => {
        body += d
      })
      r.on('end', () => res({ status: r.statusCode, body }))
    })
    q.on('error', () => res({ status: 0, body: '' }))
  })
}
function seedConfig(upstreamPort = 18001) {
  const dir = mkdtempSync(join(tmpdir(), 'portico-memory-'))
  const { crt, key } = selfSignedCertificate(dir, 'httpbin.example.com')
  for (const f of ['gateway.yaml', 'serviceentry.yaml', 'virtualservice.yaml']) {
    const text = readFileSync(join(root, 'examples/httpbin', f), 'utf8')
      .replace('/etc/istio/ingressgateway-certs/tls.crt', crt)
      .replace('/etc/istio/ingressgateway-certs/tls.key', key)
      .replace('http: 18001', `http: ${upstreamPort}`)
    writeFileSync(join(dir, f), text)
  }
  return dir
}
const status = (pid, field) =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024
// VmRSS and the heap the gateway reports itself, `idleMs` after it is ready; then `load` runs.
async function serveIdle(dir, nodeFlags, idleMs, load) {
  const [http, https, admin] = [await freePort(), await freePort(), await freePort()]
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags,
      join(root, 'packages/cli/bin/portico.js'),
      'serve',
      '-f',
      dir,
      '--port',
      `80=${http}`,
      '--port',
      `443=${https}`,
      '--bind',
      '127.0.0.1',
      '--admin',
      `127.0.0.1:${admin}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stdout = ''
  child.stdout.on('data', (d) => {
    stdout += d
  })
  let err = ''
  const handle = {
    process: child,
    get err() {
      return err
    },
  }
  child.stderr.on('data', (d) => {
    err += d
  })
  try {
    for (let i = 0; ; i++) {
      if ((await get(admin, '/ready')).status === 200) break
      if (i > 400) throw new Error(`portico serve never became ready: ${err}`)
      await sleep(50)
    }
    await sleep(idleMs)
    const rss = status(child.pid, 'VmRSS')
    const { body } = await get(admin, '/stats/prometheus')
    const heap = Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(body)?.[1])
    if (load === undefined) return { rss, heap }
    const from = stdout.length
    await load(http, handle)
    await sleep(500)
    return {
      rss,
      heap,
      after: status(child.pid, 'VmRSS'),
      peak: status(child.pid, 'VmHWM'),
      gc: stdout.slice(from),
    }
  } finally {
    child.kill('SIGTERM')
  }
}
if (!argv.includes('--modules-only') && !argv.some((a) => a.startsWith('--load=')) && soakArg === undefined) {
  const dir = seedConfig()
  const flags = process.env.PORTICO_NODE_FLAGS ? process.env.PORTICO_NODE_FLAGS.split(' ') : []
  const runs = []
  for (let i = 0; i < reps; i++) runs.push(await serveIdle(dir, flags, 5000))
  out.push(
    `\`portico serve\` on examples/httpbin (HTTP 80 and HTTPS 443, admin and metrics on${flags.length ? `, node ${flags.join(' ')}` : ''}), 5 s after ready, median of ${reps}: ` +
      `RSS ${mib(median(runs.map((r) => r.rss)))} MiB (runs: ${runs.map((r) => mib(r.rss)).join(', ')}), ` +
      `V8 heap in use ${mib(median(runs.map((r) => r.heap)))} MiB.`,
    '',
  )
}
const loadArg = argv.find((a) => a.startsWith('--load='))
if (loadArg !== undefined) {
  const requests = Number(loadArg.slice(7))
  const semis = (argv.find((a) => a.startsWith('--semi='))?.slice(7) ?? 'default,32').split(',')
  const upPort = await freePort()
  const upstream = spawn(process.execPath, [join(root, 'bench/upstream.mjs'), String(upPort)], {
    stdio: 'ignore',
  })
  const dir = seedConfig(upPort)
  const autocannon = (await import('autocannon')).default
  const load = async (port) => {
    const r = await autocannon({
      url: `http://127.0.0.1:${port}/status/tiny`,
      connections: 50,
      amount: requests,
      headers: { host: 'httpbin.example.com' },
    })
    if (r.non2xx + r.errors > 0) throw new Error(`${r.non2xx} non-2xx, ${r.errors} errors`)
  }
  out.push(
    `Young generation under ${requests} requests (GET /status/tiny through the seed route, 50 keep-alive connections), from --trace-gc-nvp; median of ${reps}:`,
    '',
    '| --max-semi-space-size | scavenges per 1k req | mark-compacts | KiB allocated per req | bytes copied in young gen per req | bytes promoted per req | RSS idle → after MiB | peak RSS MiB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
  )
  try {
    for (const semi of semis) {
      const flags = ['--trace-gc-nvp', ...(semi === 'default' ? [] : [`--max-semi-space-size=${semi}`])]
      const runs = []
      for (let i = 0; i < reps; i++) {
        const r = await serveIdle(dir, flags, 1000, load)
        const gcs = r.gc.split('\n').filter((l) => l.includes(' gc='))
        const sum = (k) => gcs.reduce((a, l) => a + Number(new RegExp(` ${k}=(\\d+)`).exec(l)?.[1] ?? 0), 0)
        runs.push({
          scavenges: gcs.filter((l) => l.includes(' gc=s ')).length,
          full: gcs.filter((l) => / gc=m[cs] /.test(l)).length,
          allocated: sum('allocated'),
          copied: sum('new_space_survived'),
          promoted: sum('promoted'),
          rss: r.rss,
          after: r.after,
          peak: r.peak,
        })
      }
      const m = (k) => median(runs.map((r) => r[k]))
      out.push(
        `| ${semi} | ${((m('scavenges') * 1000) / requests).toFixed(1)} | ${m('full')} | ${(m('allocated') / requests / 1024).toFixed(1)} | ${(m('copied') / requests).toFixed(0)} | ${(m('promoted') / requests).toFixed(0)} | ${mib(m('rss'))} → ${mib(m('after'))} | ${mib(m('peak'))} |`,
      )
      console.error(`measured --max-semi-space-size=${semi}`)
    }
  } finally {
    upstream.kill('SIGTERM')
  }
  out.push('')
}
if (soakArg !== undefined) {
  const seconds = Number(soakArg.slice(7))
  const rate = Number(argv.find((a) => a.startsWith('--rate='))?.slice(7) ?? 2000)
  const every = Number(argv.find((a) => a.startsWith('--every='))?.slice(8) ?? 30)
  const upPort = await freePort()
  const upstream = spawn(process.execPath, [join(root, 'bench/upstream.mjs'), String(upPort)], {
    stdio: 'ignore',
  })
  const dir = seedConfig(upPort)
  // In the gateway: on SIGUSR2, two full GCs, then the heap in use and RSS on one stderr line.
  const probe = join(dir, 'gc-probe.mjs')
  writeFileSync(
    probe,
    `process.on('SIGUSR2', () => { globalThis.gc(); globalThis.gc(); const m = process.memoryUsage(); process.stderr.write(\`heap-after-gc \${m.heapUsed} \${m.heapTotal} \${m.rss} \${m.external + m.arrayBuffers}\\n\`) })\n`,
  )
  const autocannon = (await import('autocannon')).default
  const samples = []
  let requests = 0
  let bad = 0
  try {
    await serveIdle(
      dir,
      ['--expose-gc', '--import', pathToFileURL(probe).href],
      1000,
      async (port, child) => {
        const sample = async (at) => {
          const from = child.err.length
          child.process.kill('SIGUSR2')
          for (let i = 0; i < 200 && !child.err.slice(from).includes('heap-after-gc'); i++) await sleep(25)
          const m = /heap-after-gc (\d+) (\d+) (\d+) (\d+)/.exec(child.err.slice(from))
          if (m)
            samples.push({
              at,
              heap: Number(m[1]),
              total: Number(m[2]),
              rss: Number(m[3]),
              outside: Number(m[4]),
              requests,
            })
        }
        await sample(0)
        const run = autocannon({
          url: `http://127.0.0.1:${port}/status/tiny`,
          connections: 20,
          overallRate: rate,
          duration: seconds,
          headers: { host: 'httpbin.example.com' },
        })
        run.on('response', (_c, status) => {
          requests++
          if (status !== 200) bad++
        })
        const start = Date.now()
        for (let t = every; t <= seconds; t += every) {
          await sleep(start + t * 1000 - Date.now())
          await sample(t)
        }
        await run
      },
    )
  } finally {
    upstream.kill('SIGTERM')
  }
  out.push(
    `Heap over ${seconds} s under ${rate} req/s (GET /status/tiny through the seed route, 20 keep-alive connections, admin and metrics on); V8 heap in use after two full GCs, every ${every} s; ${requests} requests, ${bad} not 200:`,
    '',
    '| s | requests | heap after GC MiB | heap committed MiB | RSS MiB | outside heap MiB |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...samples.map(
      (x) =>
        `| ${x.at} | ${x.requests} | ${(x.heap / MiB).toFixed(2)} | ${mib(x.total)} | ${mib(x.rss)} | ${mib(x.outside)} |`,
    ),
    '',
  )
}
console.log(out.join('\n'))
