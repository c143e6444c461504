/**
 * Istio YAML for one service behind the gateway, for tests that drive a gateway end to end:
 * a Gateway with an HTTP server on port 80 and an HTTP2 (h2c) server on port 8080 for every host,
 * a ServiceEntry `<name>.default.svc.cluster.local` whose one endpoint is 127.0.0.1:`upstreamPort`,
 * and a VirtualService routing `<name>.example.com` to it. Not exported from the package.
 */
export function serviceYaml(
  name: string,
  upstreamPort: number,
  options: {
    /** More lines of the VirtualService's one HTTP route (e.g. `    timeout: 1s`). */
    readonly route?: string
    /** More documents, appended after a `---`. */
    readonly extra?: string
  } = {},
): string {
  const host = `${name}.default.svc.cluster.local`
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw }
spec:
  selector: { istio: ingressgateway }
  servers:
  - { port: { number: 80, name: http, protocol: HTTP }, hosts: ['*'] }
  - { port: { number: 8080, name: http2, protocol: HTTP2 }, hosts: ['*'] }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${name} }
spec:
  hosts: [${host}]
  ports: [{ number: 8000, name: http, protocol: HTTP }]
  resolution: STATIC
  endpoints: [{ address: 127.0.0.1, ports: { http: ${upstreamPort} } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name} }
spec:
  hosts: [${name}.example.com]
  gateways: [gw]
  http:
  - route: [{ destination: { host: ${host}, port: { number: 8000 } } }]
${options.route ?? ''}
${options.extra === undefined ? '' : `---\n${options.extra}`}`
}
