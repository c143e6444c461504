import { PassThrough } from 'node:stream'

/** The VirtualService of the CLI tests: `httpbin` for any host, on the given path prefixes. */
export function virtualServiceYaml(prefixes: readonly string[]): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin }
spec:
  hosts: ["*"]
  gateways: [httpbin-gateway]
  http:
  - match:
${prefixes.map((p) => `    - uri: { prefix: ${p} }`).join('\n')}
    route:
    - destination: { port: { number: 8000 }, host: httpbin }
`
}

/** Gateway on port 80, the VirtualService on `prefixes`, and httpbin as a ServiceEntry at 127.0.0.1:`port`. */
export function configYaml(port: number, prefixes: readonly string[]): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: httpbin-gateway }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: ["httpbin.example.com"]
---
${virtualServiceYaml(prefixes)}---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: httpbin }
spec:
  hosts: [httpbin.default.svc.cluster.local]
  ports: [{ number: 8000, name: http, protocol: HTTP }]
  resolution: STATIC
  endpoints: [{ address: 127.0.0.1, ports: { http: ${port} } }]
`
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
