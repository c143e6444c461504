/** Test-only: small configurations as YAML and their parsed resources. */
import { parseResources, type Resource } from '@portico/core'

/** A Gateway on port 80 for `host` (default httpbin.example.com). */
export function gatewayYaml(name = 'web', host = 'httpbin.example.com', port = 80): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: ${name} }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: ${port}, name: http-${port}, protocol: HTTP }
    hosts: ["${host}"]
`
}

/** A VirtualService answering every request on `gateway` with `status` and `body` (a direct response). */
export function directVsYaml(
  name: string,
  body: string,
  options: { gateway?: string; prefix?: string; status?: number } = {},
): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name} }
spec:
  hosts: ["*"]
  gateways: [${options.gateway ?? 'web'}]
  http:
  - match: [{ uri: { prefix: "${options.prefix ?? '/'}" } }]
    directResponse: { status: ${options.status ?? 200}, body: { string: "${body}" } }
`
}

/** Parses YAML that must hold valid resources. */
export function resources(...yaml: string[]): Resource[] {
  const parsed = parseResources(yaml.join('\n---\n'), 'test.yaml')
  if (parsed.diagnostics.some((d) => d.severity === 'error'))
    throw new Error(parsed.diagnostics.map((d) => d.message).join('\n'))
  return parsed.resources
}
