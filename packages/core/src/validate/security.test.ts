import { describe, expect, it } from 'vitest'
import { parseResources } from '../load/index.js'
import type {
  AuthorizationPolicyResource,
  AuthorizationPolicySpec,
  RequestAuthenticationResource,
  RequestAuthenticationSpec,
} from '../resources/index.js'
import { validate } from './index.js'
import { validateAuthorizationPolicy, validateRequestAuthentication } from './security.js'
import { brief } from './test-helpers.js'

const ra = (spec: RequestAuthenticationSpec): RequestAuthenticationResource => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'RequestAuthentication',
  metadata: { name: 'jwt', namespace: 'istio-system' },
  spec,
})
const ap = (spec: AuthorizationPolicySpec): AuthorizationPolicyResource => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name: 'authz', namespace: 'istio-system' },
  spec,
})
const runRa = (spec: RequestAuthenticationSpec) => validateRequestAuthentication(ra(spec)).map(brief)
const runAp = (spec: AuthorizationPolicySpec) => validateAuthorizationPolicy(ap(spec)).map(brief)

const JWKS = JSON.stringify({ keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'k' }] })

describe('validateRequestAuthentication', () => {
  it('accepts Istio task rules', () => {
    expect(
      runRa({
        selector: { matchLabels: { istio: 'ingressgateway' } },
        jwtRules: [
          { issuer: 'testing@secure.istio.io', jwksUri: 'https://example.com/jwks.json' },
          { issuer: 'b', jwks: JWKS, fromHeaders: [{ name: 'x-jwt', prefix: 'Bearer ' }], fromParams: ['t'] },
          {
            issuer: 'c',
            jwks: JWKS,
            outputClaimToHeaders: [{ header: 'x-sub', claim: 'sub' }],
            timeout: '5s',
          },
        ],
      }),
    ).toEqual([])
  })
  it.each<[string, RequestAuthenticationSpec, string[]]>([
    [
      'issuer and jwksUri both missing',
      { jwtRules: [{ audiences: [''] }] },
      [
        'E PTC2702 spec.jwtRules[0].audiences[0] | audience must be non-empty string',
        'E PTC2702 spec.jwtRules[0].issuer | issuer or jwksUri must be non-empty string',
      ],
    ],
    [
      'jwksUri scheme',
      { jwtRules: [{ issuer: 'a', jwksUri: 'ftp://example.com/keys' }] },
      ['E PTC2702 spec.jwtRules[0].jwksUri | URI scheme "ftp" is not supported'],
    ],
    [
      'jwks and jwksUri',
      { jwtRules: [{ issuer: 'a', jwksUri: 'https://a/k', jwks: JWKS }] },
      ['E PTC2702 spec.jwtRules[0].jwks | only one of jwks or jwksUri can be set'],
    ],
    [
      'jwks syntax',
      { jwtRules: [{ issuer: 'a', jwks: '{"keys": 1}' }] },
      [
        'E PTC2702 spec.jwtRules[0].jwks | jwks parse error: failed to unmarshal JWK set: "keys" is not an array',
      ],
    ],
    [
      'private jwks key',
      { jwtRules: [{ issuer: 'a', jwks: JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }) }] },
      [
        'W PTC2703 spec.jwtRules[0].jwks | jwks key at index 0 contains private key material; only public keys are used for verification',
      ],
    ],
    [
      'empty locations',
      { jwtRules: [{ issuer: 'a', fromHeaders: [{ name: '' }], fromParams: [''], fromCookies: [''] }] },
      [
        'E PTC2702 spec.jwtRules[0].fromHeaders[0].name | location header name must be non-empty string',
        'E PTC2702 spec.jwtRules[0].fromParams[0] | location query must be non-empty string',
        'E PTC2702 spec.jwtRules[0].fromCookies[0] | cookie name must be non-empty string',
      ],
    ],
    [
      'output claim header',
      {
        jwtRules: [
          {
            issuer: 'a',
            outputClaimToHeaders: [
              { header: 'x a', claim: 'sub' },
              { header: '', claim: 'sub' },
            ],
          },
        ],
      },
      [
        'E PTC2702 spec.jwtRules[0].outputClaimToHeaders[0].header | header name x a is not a valid header name',
        'E PTC2702 spec.jwtRules[0].outputClaimToHeaders[1] | outputClaimToHeaders header and claim value must be non-empty string',
      ],
    ],
    [
      'selector and targetRefs',
      {
        selector: { matchLabels: {} },
        targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw', namespace: 'x' }],
      },
      [
        'E PTC2700 spec | only one of targetRefs or workloadSelector can be set',
        'W PTC2701 spec.selector | workload selector specified without labels',
        'E PTC2700 spec.targetRefs[0].namespace | targetRef namespace must not be set; cross namespace referencing is not supported',
      ],
    ],
    [
      'targetRef kind',
      { targetRefs: [{ kind: 'Gateway', group: 'networking.istio.io', name: 'gw' }] },
      [
        'E PTC2700 spec.targetRefs[0].kind | targetRef must be to one of [/v1/Service networking.istio.io/v1/ServiceEntry gateway.networking.k8s.io/v1/Gateway gateway.networking.k8s.io/v1/GatewayClass] but was networking.istio.io/Gateway',
      ],
    ],
    [
      'wildcard selector',
      { selector: { matchLabels: { app: 'a*' } } },
      ['E PTC2700 spec.selector.matchLabels.app | wildcard is not supported in selector: "app=a*"'],
    ],
  ])('%s', (_name, spec, expected) => {
    expect(runRa(spec)).toEqual(expected)
  })
})

describe('validateAuthorizationPolicy', () => {
  it('accepts the ingress tasks policies', () => {
    expect(
      runAp({
        selector: { matchLabels: { istio: 'ingressgateway' } },
        action: 'ALLOW',
        rules: [
          {
            from: [
              {
                source: { requestPrincipals: ['testing@secure.istio.io/*'], remoteIpBlocks: ['1.2.3.0/24'] },
              },
            ],
            to: [{ operation: { hosts: ['a.com'], paths: ['/headers', '/api/*'], methods: ['GET'] } }],
            when: [
              { key: 'request.auth.claims[groups]', values: ['group1'] },
              { key: 'request.headers[x-a]', notValues: ['b'] },
              { key: 'remote.ip', values: ['10.0.0.1'] },
              { key: 'destination.port', values: ['8080'] },
              { key: 'connection.sni', values: ['a.com'] },
            ],
          },
        ],
      }),
    ).toEqual([])
    expect(runAp({})).toEqual([])
    expect(runAp({ action: 'DENY', rules: [{}] })).toEqual([])
  })
  it.each<[string, AuthorizationPolicySpec, string[]]>([
    [
      'DENY without rules',
      { action: 'DENY' },
      [
        'E PTC2711 spec.action | DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request',
      ],
    ],
    [
      'provider without CUSTOM',
      { action: 'ALLOW', provider: { name: 'x' }, rules: [{}] },
      ['E PTC2711 spec.provider | `provider` must not be with non CUSTOM action, found ALLOW'],
    ],
    [
      'CUSTOM is refused',
      { action: 'CUSTOM', provider: { name: 'ext' }, rules: [{}] },
      [
        'E PTC2721 spec.action | action CUSTOM (external authorization through an extension provider) is not supported by Portico; use ALLOW or DENY rules',
      ],
    ],
    [
      'empty from, to and source',
      { rules: [{ from: [], to: [{ operation: {} }] }] },
      [
        'E PTC2710 spec.rules[0].from | `from` must not be empty, found at rule 0',
        'E PTC2710 spec.rules[0].to[0].operation | `to.operation` must not be empty, found at rule 0',
      ],
    ],
    [
      'bad IPs and ports',
      {
        rules: [
          {
            from: [{ source: { ipBlocks: ['1.2.3.4/33'], remoteIpBlocks: ['nope'] } }],
            to: [{ operation: { ports: ['http'] } }],
          },
        ],
      },
      [
        'E PTC2710 spec.rules[0].from[0].source.ipBlocks[0] | bad CIDR range (1.2.3.4/33): netip.ParsePrefix("1.2.3.4/33"): invalid prefix',
        'E PTC2710 spec.rules[0].from[0].source.remoteIpBlocks[0] | bad IP address (nope)',
        'E PTC2710 spec.rules[0].to[0].operation.ports[0] | bad port (http): strconv.ParseUint: parsing "http": invalid syntax',
      ],
    ],
    [
      'when keys',
      {
        rules: [
          {
            when: [
              { key: 'request.headers', values: ['a'] },
              { key: 'request.auth.claims[iss]' },
              { key: 'destination.labels[app]', values: ['a'] },
              { key: 'foo', values: ['a'] },
            ],
          },
        ],
      },
      [
        'E PTC2710 spec.rules[0].when[0].values | invalid `value` for `key` request.headers: bad key (request.headers): should have format a[b]',
        'E PTC2710 spec.rules[0].when[0].notValues | invalid `notValue` for `key` request.headers: bad key (request.headers): should have format a[b]',
        'E PTC2710 spec.rules[0].when[1] | at least one of `values` or `notValues` must be set for key request.auth.claims[iss]',
        'E PTC2710 spec.rules[0].when[2].values | invalid `value` for `key` destination.labels[app]: attribute destination.labels[app] is replaced by the workload selector',
        'E PTC2710 spec.rules[0].when[2].notValues | invalid `notValue` for `key` destination.labels[app]: attribute destination.labels[app] is replaced by the workload selector',
        'E PTC2710 spec.rules[0].when[3].values | invalid `value` for `key` foo: unknown attribute: foo',
        'E PTC2710 spec.rules[0].when[3].notValues | invalid `notValue` for `key` foo: unknown attribute: foo',
      ],
    ],
    [
      'mesh identities are refused',
      {
        rules: [
          {
            from: [{ source: { principals: ['cluster.local/ns/a/sa/b'] } }],
            to: [{ operation: { ports: ['80'] } }],
            when: [{ key: 'source.namespace', values: ['a'] }],
          },
        ],
      },
      [
        'E PTC2720 spec.rules[0].from[0].source.principals | principals match mTLS peer identities, which a gateway without a mesh does not have; use requestPrincipals (JWT) or ipBlocks/remoteIpBlocks instead',
        'E PTC2720 spec.rules[0].when[0].key | source.namespace matches mTLS peer identities, which a gateway without a mesh does not have; use request.auth.* (JWT) or remote.ip instead',
      ],
    ],
    [
      'path templates',
      { rules: [{ to: [{ operation: { paths: ['/a/{**}/{*}', '/x/{y}', '/a/{**}/b.txt'] } }] }] },
      [
        'E PTC2710 spec.rules[0].to[0].operation.paths[0] | invalid or unsupported path a/{**}/{*}, found in Paths. {**} is not the last operator',
        "E PTC2710 spec.rules[0].to[0].operation.paths[1] | invalid or unsupported path x/{y}, found in Paths. Contains '{' or '}' beyond a supported path template",
      ],
    ],
    [
      'DENY of HTTP attributes warns about TCP',
      { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] },
      [
        'W PTC2712 spec.rules[0] | configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port',
      ],
    ],
  ])('%s', (_name, spec, expected) => {
    expect(runAp(spec)).toEqual(expected)
  })
})

describe('security kinds through the loader', () => {
  it('positions a misspelled field with a suggestion, and accepts v1beta1', async () => {
    const yaml = `apiVersion: security.istio.io/v1beta1
kind: RequestAuthentication
metadata: { name: jwt, namespace: istio-system }
spec:
  jwtRules:
  - issuer: a
    jwksUrl: https://example.com/keys
`
    const { diagnostics, resources } = parseResources(yaml, 'ra.yaml')
    expect(resources).toHaveLength(0)
    expect(diagnostics.map((d) => `${d.code} ${d.source?.line}:${d.source?.column} ${d.message}`)).toEqual([
      expect.stringMatching(/^PTC1010 7:5 .*jwksUrl.*did you mean "jwksUri"/),
    ])
  })
  it('the dry-run annotation is allowed on AuthorizationPolicy only', async () => {
    const yaml = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: a, namespace: istio-system, annotations: { istio.io/dry-run: "true" } }
spec: {}
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: r, namespace: istio-system, annotations: { istio.io/dry-run: "true" } }
spec: {}
`
    const { resources } = parseResources(yaml, 'p.yaml')
    expect(validate(resources).map((d) => `${d.code} ${d.resource?.kind}`)).toEqual([
      'PTC2001 RequestAuthentication',
    ])
  })
})

describe('analyzePolicies: which policies reach the gateway', () => {
  const yaml = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: web }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: root-any, namespace: istio-system }
spec: { action: DENY, rules: [{ to: [{ operation: { ports: ["80"] } }] }] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: other-labels, namespace: istio-system }
spec: { selector: { matchLabels: { app: reviews, version: v1 } } }
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: elsewhere, namespace: foo }
spec: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: by-ref, namespace: web }
spec: { targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: gw }] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: by-missing-ref, namespace: web }
spec: { targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: nope }] }
`
  it('warns about selectors, namespaces and targetRefs that miss the gateway', () => {
    const { resources } = parseResources(yaml, 'scope.yaml')
    const found = validate(resources, { gatewayNamespace: 'web' })
      .filter((d) => d.severity === 'warning')
      .map((d) => `${d.code} ${d.resource?.name} ${d.path} | ${d.message}`)
    expect(found).toEqual([
      'IST0127 other-labels spec.selector | No matching workloads for this resource with the following labels: app=reviews,version=v1',
      "PTC3600 elsewhere metadata.namespace | RequestAuthentication foo/elsewhere never applies to this gateway: only policies in the root namespace istio-system or the gateway's namespace web do",
      'PTC3601 by-missing-ref spec.targetRefs | AuthorizationPolicy web/by-missing-ref names no Gateway this gateway serves in namespace web; it does not apply',
    ])
    // With the default gateway namespace (istio-system), the `web` policies are out of scope.
    const defaults = validate(resources).map((d) => `${d.code} ${d.resource?.name}`)
    expect(defaults).toContain('PTC3600 by-ref')
  })
})
