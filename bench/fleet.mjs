// Fleet convergence: how long after an apply starts every gateway of a fleet serves it.
// Starts its own etcd (Debian's etcd-server) on loopback, N gateways in this process fed by
// @portico/etcd, then times 20 applies: from the start of `writeStore` (read, validate,
// transaction) until the slowest gateway has swapped in the written revision.
// Needs `pnpm build` first. Usage: node bench/fleet.mjs [gateway counts, default 3 10]
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { get } from 'node:http'
import { createServer } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseResources } from '../packages/core/dist/index.js'
import { connectStore, createEtcdSource, writeStore } from '../packages/etcd/dist/index.js'
import { createManagedGateway } from '../packages/server/dist/index.js'

const counts = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0)
const APPLIES = 20

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((r) => server.once('listening', r))
  const { port } = server.address()
  await new Promise((r) => server.close(r))
  return port
}

function healthy(port) {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.once('error', () => resolve(false))
  })
}

const config = (body) =>
  parseResources(
    `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: web }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: hello }
spec:
  hosts: ["*"]
  gateways: [web]
  http: [{ directResponse: { status: 200, body: { string: "${body}" } } }]
`,
    'bench.yaml',
  ).resources

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]

const dir = mkdtempSync(join(tmpdir(), 'portico-bench-etcd-'))
const [client, peer] = [await freePort(), await freePort()]
const etcd = spawn(
  '/usr/bin/etcd',
  [
    '--name=bench',
    `--data-dir=${dir}`,
    `--listen-client-urls=http://127.0.0.1:${client}`,
    `--advertise-client-urls=http://127.0.0.1:${client}`,
    `--listen-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-cluster=bench=http://127.0.0.1:${peer}`,
    '--logger=zap',
    '--log-level=error',
  ],
  {
    stdio: 'ignore',
    env: process.arch === 'arm64' ? { ...process.env, ETCD_UNSUPPORTED_ARCH: 'arm64' } : process.env,
  },
)
try {
  while (!(await healthy(client))) await sleep(50)
  console.log(`# Fleet convergence, ${new Date().toISOString()}\n`)
  console.log(
    `Machine: ${cpus()[0]?.model ?? '?'} × ${cpus().length}; Node ${process.version}; etcd on loopback; the gateways share this one process (one event loop); load average at start ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}.\n`,
  )
  console.log(`| gateways | applies | median ms | p90 ms | max ms |`)
  console.log(`| ---: | ---: | ---: | ---: | ---: |`)
  for (const n of counts.length > 0 ? counts : [3, 10]) {
    const url = `etcd://127.0.0.1:${client}/bench-${n}`
    const writer = connectStore({ url })
    const gateways = await Promise.all(
      Array.from({ length: n }, () =>
        createManagedGateway({
          source: createEtcdSource({ store: connectStore({ url }) }),
          ports: { 80: 0 },
        }),
      ),
    )
    const first = await writeStore(writer, { operation: 'apply', resources: config('v0') })
    while (!gateways.every((g) => (g.source?.appliedRevision ?? 0) >= first.revision)) await sleep(5)
    const times = []
    for (let i = 1; i <= APPLIES; i++) {
      const started = performance.now()
      const out = await writeStore(writer, { operation: 'apply', resources: config(`v${i}`) })
      while (!gateways.every((g) => (g.source?.appliedRevision ?? 0) >= out.revision)) await sleep(1)
      times.push(performance.now() - started)
      await sleep(50)
    }
    times.sort((a, b) => a - b)
    console.log(
      `| ${n} | ${APPLIES} | ${quantile(times, 0.5).toFixed(1)} | ${quantile(times, 0.9).toFixed(1)} | ${times.at(-1).toFixed(1)} |`,
    )
    await Promise.all(gateways.map((g) => g.close()))
    await writer.close()
  }
} finally {
  etcd.kill('SIGTERM')
  await new Promise((r) => etcd.once('exit', r))
  rmSync(dir, { recursive: true, force: true })
}
