import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { get } from 'node:http'
import { get as httpsGet } from 'node:https'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Where Debian's `etcd-server` package installs etcd. */
export const ETCD_BINARY = process.env.PORTICO_TEST_ETCD ?? '/usr/bin/etcd'

/** True when an etcd binary is installed (`.ci/run` installs Debian's `etcd-server` when it is not). */
export const etcdInstalled = existsSync(ETCD_BINARY)

/** A single-member etcd started for a test, on loopback ports, with its own temporary data dir. */
export interface TestEtcd extends AsyncDisposable {
  /** `127.0.0.1:PORT` of the client listener. */
  readonly endpoint: string
  /** `etcd://127.0.0.1:PORT/<prefix>`. */
  url(prefix: string): string
  /** Stops etcd (SIGTERM; the data dir stays, so `start()` brings back the same data). */
  stop(): Promise<void>
  /** Starts it again on the same ports and data dir. */
  start(): Promise<void>
  /** Stops etcd and removes its data dir. */
  close(): Promise<void>
}

/** A free loopback port (the OS picks it; etcd binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** TLS for etcd's client port: its certificate and key, and the CA whose client certificates it takes. */
export interface EtcdTls {
  readonly cert: string
  readonly key: string
  readonly ca: string
  /** A client certificate the CA signed (for the health check). */
  readonly client: { readonly cert: string; readonly key: string }
}

function healthy(port: number, tls: EtcdTls | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const options = { host: '127.0.0.1', port, path: '/health', agent: false, timeout: 1000 }
    const onResponse = (res: import('node:http').IncomingMessage) => {
      res.resume()
      res.once('end', () => resolve(res.statusCode === 200))
    }
    const req =
      tls === undefined
        ? get(options, onResponse)
        : httpsGet(
            { ...options, servername: 'localhost', ca: tls.ca, cert: tls.client.cert, key: tls.client.key },
            onResponse,
          )
    req.once('timeout', () => req.destroy())
    req.once('error', () => resolve(false))
  })
}

/** Starts etcd and resolves once it answers `/health`; with `tls`, its client port speaks TLS and asks for client certificates. */
export async function startEtcd(options: { tls?: EtcdTls } = {}): Promise<TestEtcd> {
  const tls = options.tls
  if (!etcdInstalled)
    throw new Error(`no etcd at ${ETCD_BINARY}: install Debian's etcd-server (or set PORTICO_TEST_ETCD)`)
  const dataDir = await mkdtemp(join(tmpdir(), 'portico-etcd-'))
  const clientPort = await freePort()
  const peerPort = await freePort()
  const client = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${clientPort}`
  const tlsArgs: string[] = []
  const certDir = tls === undefined ? undefined : await mkdtemp(join(tmpdir(), 'portico-etcd-tls-'))
  if (tls !== undefined && certDir !== undefined) {
    const file = (name: string) => join(certDir, name)
    await writeFile(file('server.crt'), tls.cert)
    await writeFile(file('server.key'), tls.key)
    await writeFile(file('ca.crt'), tls.ca)
    tlsArgs.push(
      `--cert-file=${file('server.crt')}`,
      `--key-file=${file('server.key')}`,
      `--trusted-ca-file=${file('ca.crt')}`,
      '--client-cert-auth',
    )
  }
  const peer = `http://127.0.0.1:${peerPort}`
  let child: ChildProcess | undefined
  let output = ''

  async function start(): Promise<void> {
    if (child !== undefined) return
    output = ''
    const proc = spawn(
      ETCD_BINARY,
      [
        '--name=test',
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=test=${peer}`,
        '--logger=zap',
        '--log-level=error',
        ...tlsArgs,
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        // etcd 3.4 refuses to start on arm64 without this (it is supported there from 3.5).
        env: process.arch === 'arm64' ? { ...process.env, ETCD_UNSUPPORTED_ARCH: 'arm64' } : process.env,
      },
    )
    proc.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000)
    })
    child = proc
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) break
      if (await healthy(clientPort, tls)) return
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    proc.kill('SIGKILL')
    child = undefined
    throw new Error(`etcd did not become healthy on ${client}:\n${output}`)
  }

  async function stop(): Promise<void> {
    const proc = child
    child = undefined
    if (proc === undefined || proc.exitCode !== null) return
    const exited = once(proc, 'exit')
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }

  await start()
  const close = async () => {
    await stop()
    await rm(dataDir, { recursive: true, force: true })
    if (certDir !== undefined) await rm(certDir, { recursive: true, force: true })
  }
  return {
    endpoint: `127.0.0.1:${clientPort}`,
    url: (prefix) =>
      `${tls === undefined ? 'etcd' : 'etcds'}://127.0.0.1:${clientPort}/${prefix.replace(/^\/+/, '')}`,
    stop,
    start,
    close,
    [Symbol.asyncDispose]: close,
  }
}
