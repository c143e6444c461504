import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import {
  formatDiagnostics,
  type RegistryService,
  type Resource,
  type SecretResource,
  validate,
} from '@portico/core'
import { createManagedGateway } from '@portico/server'
import { parsePortMap, usage } from '../args.js'
import { type CliIo, EXIT, println } from '../io.js'
import { loadConfig } from '../pipeline.js'
import { stopRequested } from './serve-io.js'
import { startOperations } from './serve-operations.js'

export const demoHelp =
  'portico demo [-f examples/httpbin] [--port 80=8080] [--port 443=8443] [--certs .portico/demo] [--admin <port|host:port|off>]'

const HOST = 'httpbin.example.com'
const HTTPBIN_FQDN = 'httpbin.default.svc.cluster.local'

/** Where the configuration's ServiceEntry for httpbin puts its first endpoint, if it has one. */
function httpbinEndpoint(resources: readonly Resource[]): { host: string; port: number } | undefined {
  for (const r of resources) {
    if (r.kind !== 'ServiceEntry' || !r.spec.hosts.includes(HTTPBIN_FQDN)) continue
    const port = r.spec.ports?.find((p) => p.number === 8000) ?? r.spec.ports?.[0]
    const endpoint = r.spec.endpoints?.[0]
    if (port === undefined || endpoint?.address === undefined) continue
    return { host: endpoint.address, port: endpoint.ports?.[port.name] ?? port.targetPort ?? port.number }
  }
  return undefined
}

/**
 * `portico demo`: the ingress task on this machine. Starts an httpbin on loopback where the
 * example's ServiceEntry expects it (or anywhere, registered programmatically, when the files
 * have no ServiceEntry for it), generates the task's certificate once (like its openssl
 * step), mounts it as the Secret `istio-system/istio-ingressgateway-certs`, serves the example
 * on 127.0.0.1:8080 (HTTP) and :8443 (HTTPS) with the admin endpoint on 127.0.0.1:15000 (so
 * `portico replace -f …` changes it live), and prints the curl commands to try.
 */
export async function demoCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = usage(() =>
    parseArgs({
      args: [...argv],
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        port: { type: 'string', short: 'p', multiple: true },
        certs: { type: 'string' },
        admin: { type: 'string' },
      },
    }),
  )
  const files = values.filename ?? ['examples/httpbin']
  const ports = { 80: 8080, 443: 8443, ...parsePortMap(values.port) }
  const certDir = resolve(io.cwd, values.certs ?? '.portico/demo')

  const { cert, key, created } = await demoCertificate(certDir)
  if (created) println(io.stdout, `portico: generated a certificate for ${HOST} in ${certDir}`)
  const secret: SecretResource = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'istio-ingressgateway-certs', namespace: 'istio-system' },
    type: 'kubernetes.io/tls',
    stringData: { 'tls.crt': cert, 'tls.key': key },
  }
  const config = await loadConfig(files, io, { portMap: ports, extra: [secret] })
  if (!config.compiled) {
    println(io.stderr, formatDiagnostics(config.diagnostics))
    return EXIT.invalid
  }
  // httpbin listens where a ServiceEntry places it; without one, anywhere, announced through the registry.
  const placed = httpbinEndpoint(config.resources)
  const { startHttpbin } = await import('@portico/testing')
  const httpbin = await startHttpbin(placed ?? { port: 0, host: '127.0.0.1' })
  try {
    const services: Record<string, RegistryService> = placed
      ? {}
      : {
          [HTTPBIN_FQDN]: {
            ports: [{ number: 8000, name: 'http', protocol: 'HTTP' }],
            endpoints: [{ address: '127.0.0.1', port: httpbin.port }],
          },
        }
    const gateway = await createManagedGateway({
      resources: config.resources,
      compile: { portMap: ports, services },
      validate: (resources) =>
        validate(resources as readonly Resource[], { knownHosts: Object.keys(services) }),
      ports,
    })
    const operations = await startOperations(gateway, { admin: values.admin }, files, io)
    try {
      println(io.stdout, `portico: httpbin listening on ${httpbin.url}`)
      for (const [gwPort, where] of Object.entries(gateway.addresses)) {
        println(
          io.stdout,
          `portico: gateway port ${gwPort} (${where.protocol}) listening on ${where.address}:${where.port}`,
        )
      }
      const http = gateway.addresses[80]
      const https = gateway.addresses[443]
      println(io.stdout, '\nTry:')
      if (http) {
        println(
          io.stdout,
          `  curl --resolve ${HOST}:${http.port}:${http.address} -I http://${HOST}:${http.port}/status/200`,
        )
        println(
          io.stdout,
          `  curl --resolve ${HOST}:${http.port}:${http.address} -I http://${HOST}:${http.port}/headers   # 404: not exposed`,
        )
      }
      if (https) {
        println(
          io.stdout,
          `  curl --resolve ${HOST}:${https.port}:${https.address} -I -k https://${HOST}:${https.port}/status/200`,
        )
      }
      println(io.stdout, '\nCtrl-C stops.')
      await stopRequested(io.signal)
    } finally {
      await operations.close()
      await gateway.close()
    }
  } finally {
    await httpbin.close()
  }
  return EXIT.ok
}

/** The demo's certificate, generated on first run and kept in `dir`. */
async function demoCertificate(dir: string): Promise<{ cert: string; key: string; created: boolean }> {
  const certPath = join(dir, 'tls.crt')
  const keyPath = join(dir, 'tls.key')
  if (existsSync(certPath) && existsSync(keyPath)) {
    return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8'), created: false }
  }
  const { createCertificate } = await import('@portico/testing')
  const { cert, key } = createCertificate({ commonName: HOST, altNames: [HOST], days: 365, keyType: 'rsa' })
  await mkdir(dir, { recursive: true })
  await writeFile(certPath, cert)
  await writeFile(keyPath, key, { mode: 0o600 })
  return { cert, key, created: true }
}
