/**
 * Test-only: the seed's documents as YAML (built by `@portico/testing`'s `seedYamlDocuments`), a
 * Prometheus text-format parser, and a TLS probe.
 * Not exported from the package.
 */
import { X509Certificate } from 'node:crypto'
import { connect as netConnect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { type SeedStep, seedYamlDocuments } from '@portico/testing'

const STEP_OF_SERVERS: Readonly<Record<string, SeedStep>> = { http: 1, 'http,https': 2, https: 3 }

/** The seed's Gateway: `servers` is `http`, `https` or both. */
export function gatewayYaml(
  servers: readonly ('http' | 'https')[],
  cert?: { certFile: string; keyFile: string },
): string {
  const step = STEP_OF_SERVERS[servers.join(',')] ?? 1
  return seedYamlDocuments(step, cert && { certificateFiles: { cert: cert.certFile, key: cert.keyFile } })[0]
}

/** The seed's VirtualService (`/status` and `/delay` to httpbin:8000), or the given prefixes instead. */
export function virtualServiceYaml(prefixes: readonly string[] = ['/status', '/delay']): string {
  return seedYamlDocuments(1, { prefixes })[1]
}

/** The seed's ServiceEntry making `httpbin:8000` the given local port. */
export function serviceEntryYaml(port: number): string {
  return seedYamlDocuments(1, { httpbinPort: port })[2]
}

/** The three seed documents in one stream. */
export function seedYaml(
  upstreamPort: number,
  servers: readonly ('http' | 'https')[] = ['http'],
  cert?: { certFile: string; keyFile: string },
): string {
  return [gatewayYaml(servers, cert), virtualServiceYaml(), serviceEntryYaml(upstreamPort)].join('---\n')
}

/** The 1-based line of `text` on which `needle` first appears (0 when it does not). */
export function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle)
  return at < 0 ? 0 : text.slice(0, at).split('\n').length
}

/** One sample of a Prometheus text exposition. */
export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/**
 * Parses the Prometheus text format (0.0.4): `# HELP`/`# TYPE` lines, samples with optional
 * labels (escaped `\\`, `\"`, `\n`), values including `+Inf`/`NaN`. Throws on a malformed line,
 * so a test fails on output Prometheus would reject.
 */
export function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line)
      if (m === null) {
        // Any other comment is free text the format allows.
        if (/^# (HELP|TYPE)\b/.test(line)) throw new Error(`bad comment line: ${line}`)
        continue
      }
      if (m[1] === 'TYPE') {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(m[3] ?? ''))
          throw new Error(`bad type: ${line}`)
        types.set(m[2] ?? '', m[3] ?? '')
      }
      continue
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line)
    if (m === null) throw new Error(`bad sample line: ${line}`)
    const labels: Record<string, string> = {}
    let rest = m[3] ?? ''
    while (rest !== '') {
      const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/.exec(rest)
      if (l === null) throw new Error(`bad labels: ${line}`)
      labels[l[1] ?? ''] = (l[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
      rest = rest.slice(l[0].length)
    }
    const raw = m[4] ?? ''
    const value =
      raw === '+Inf' ? Number.POSITIVE_INFINITY : raw === '-Inf' ? Number.NEGATIVE_INFINITY : Number(raw)
    if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`bad value: ${line}`)
    samples.push({ name: m[1] ?? '', labels, value })
  }
  return { samples, types }
}

/** Sum of the samples named `name` whose labels include `match`. */
export function sum(
  samples: readonly Sample[],
  name: string,
  match: Readonly<Record<string, string>> = {},
): number {
  let total = 0
  for (const s of samples) {
    if (s.name !== name) continue
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value
  }
  return total
}

/** The SHA-256 fingerprint of the certificate a TLS handshake to 127.0.0.1:port presents. */
export function servedFingerprint(port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false })
    socket.once('secureConnect', () => {
      const raw = socket.getPeerX509Certificate()
      socket.destroy()
      if (raw === undefined) reject(new Error('no certificate'))
      else resolve(raw.fingerprint256)
    })
    socket.once('error', reject)
  })
}

/** The SHA-256 fingerprint of a PEM certificate. */
export function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256
}

/** Whether a TCP connection to 127.0.0.1:port is accepted (`refused` on ECONNREFUSED). */
export function tryConnect(port: number): Promise<'connected' | 'refused'> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve('connected')
    })
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve('refused')
      else reject(error)
    })
  })
}
