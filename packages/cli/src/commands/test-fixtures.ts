import { PassThrough } from 'node:stream'
import { seedYaml, seedYamlDocuments } from '@portico/testing'

/** The seed's VirtualService: `httpbin` for any host, on the given path prefixes. */
export function virtualServiceYaml(prefixes: readonly string[]): string {
  return seedYamlDocuments(1, { prefixes })[1]
}

/** The seed at step 1 (Gateway on port 80), the VirtualService on `prefixes`, httpbin at 127.0.0.1:`port`. */
export function configYaml(port: number, prefixes: readonly string[]): string {
  return seedYaml(1, { httpbinPort: port, prefixes })
}

/** Streams for an in-process `main()` run, and what was written to them so far. */
export function capturedStreams(): {
  stdout: PassThrough
  stderr: PassThrough
  out(): string
  err(): string
} {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (c: Buffer) => {
    out += c.toString()
  })
  stderr.on('data', (c: Buffer) => {
    err += c.toString()
  })
  return { stdout, stderr, out: () => out, err: () => err }
}
