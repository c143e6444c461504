import { generateKeyPairSync, sign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { compile } from '../compile/compile.js'
import { parseResources } from '../load/parse.js'
import { createSnapshot } from '../model/snapshot.js'
import { explainRequest } from '../route/explain-request.js'
import { JWT_STATUS, parseJwt } from './authenticate.js'
import { authorize } from './authorize.js'
import type { CompiledPolicies, PolicyRequest, RequestIdentity } from './types.js'

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: vs, namespace: istio-system }
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{ headers: { "@request.auth.claims.group": { exact: v2 } } }]
    directResponse: { status: 200, body: { string: v2 } }
  - directResponse: { status: 200, body: { string: v1 } }
`

function compiled(yaml: string, options: { namespace?: string; labels?: Record<string, string> } = {}) {
  const { resources, diagnostics } = parseResources(GATEWAY + yaml, 'p.yaml')
  expect(diagnostics).toEqual([])
  return compile(createSnapshot(resources), options).value
}

function policiesOf(yaml: string): CompiledPolicies {
  const p = compiled(yaml).policies
  if (p === undefined) throw new Error('no policies compiled')
  return p
}

const request = (over: Partial<PolicyRequest> = {}): PolicyRequest => ({
  method: 'GET',
  authority: 'a.example.com',
  path: '/',
  headers: {},
  sourceIp: '10.0.0.1',
  remoteIp: '192.0.2.1',
  destinationPort: 8080,
  destinationIp: '127.0.0.1',
  sni: 'a.example.com',
  ...over,
})
const who = (claims: Record<string, unknown>): RequestIdentity => ({
  principal: `${claims.iss}/${claims.sub}`,
  claims,
  provider: 'origins-0',
})

const allowOnly = (rule: string) =>
  policiesOf(`---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: p, namespace: istio-system }
spec:
  rules: [${rule}]
`)

describe('compilePolicies: scope and zero cost', () => {
  it('a config without policies has no policy chain', () => {
    expect(compiled('').policies).toBeUndefined()
  })
  it('policies outside the root and gateway namespace, or for other labels, do not apply', () => {
    const yaml = `---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: a, namespace: web }
spec: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: b, namespace: istio-system }
spec: { selector: { matchLabels: { app: other } } }
`
    expect(compiled(yaml).policies).toBeUndefined()
    expect(compiled(yaml, { namespace: 'web' }).policies?.allow.map((p) => p.policy.name)).toEqual(['a'])
    expect(compiled(yaml, { labels: { app: 'other' } }).policies?.allow.map((p) => p.policy.name)).toEqual([
      'b',
    ])
  })
})

describe('authorize', () => {
  it('rules: [] allows nothing, rules: [{}] everything, DENY wins, AUDIT never decides', () => {
    expect(allowOnly('').allow[0]?.rules).toEqual([])
    expect(authorize(allowOnly(''), request(), undefined)).toMatchObject({
      allowed: false,
      reason: 'no-allow-match',
    })
    expect(authorize(allowOnly('{}'), request(), undefined)).toMatchObject({
      allowed: true,
      reason: 'allow',
      rule: 0,
    })
    const p = policiesOf(`---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-all, namespace: istio-system }
spec: { rules: [{}] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-admin, namespace: istio-system }
spec: { action: DENY, rules: [{ to: [{ operation: { paths: ["/admin*"] } }] }] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: audit, namespace: istio-system }
spec: { action: AUDIT, rules: [{}] }
`)
    expect(authorize(p, request({ path: '/admin/x' }), undefined)).toMatchObject({
      allowed: false,
      reason: 'deny',
      policy: { name: 'deny-admin' },
    })
    expect(authorize(p, request(), undefined).shadowMatches).toEqual([
      {
        policy: { kind: 'AuthorizationPolicy', namespace: 'istio-system', name: 'audit' },
        rule: 0,
        action: 'AUDIT',
      },
    ])
  })

  it.each<[string, string, PolicyRequest, RequestIdentity | undefined, boolean]>([
    ['paths exact', '{ to: [{ operation: { paths: ["/a"] } }] }', request({ path: '/a' }), undefined, true],
    [
      'paths exact, other',
      '{ to: [{ operation: { paths: ["/a"] } }] }',
      request({ path: '/a/b' }),
      undefined,
      false,
    ],
    [
      'paths prefix',
      '{ to: [{ operation: { paths: ["/a/*"] } }] }',
      request({ path: '/a/b' }),
      undefined,
      true,
    ],
    [
      'paths suffix',
      '{ to: [{ operation: { paths: ["*.png"] } }] }',
      request({ path: '/x.png' }),
      undefined,
      true,
    ],
    [
      'paths template',
      '{ to: [{ operation: { paths: ["/u/{*}/p"] } }] }',
      request({ path: '/u/7/p' }),
      undefined,
      true,
    ],
    [
      'paths template, two segments',
      '{ to: [{ operation: { paths: ["/u/{*}/p"] } }] }',
      request({ path: '/u/7/8/p' }),
      undefined,
      false,
    ],
    ['notPaths', '{ to: [{ operation: { notPaths: ["/a"] } }] }', request({ path: '/a' }), undefined, false],
    [
      'hosts ignore case',
      '{ to: [{ operation: { hosts: ["A.example.com"] } }] }',
      request(),
      undefined,
      true,
    ],
    [
      'hosts with port',
      '{ to: [{ operation: { hosts: ["a.example.com"] } }] }',
      request({ authority: 'a.example.com:8080' }),
      undefined,
      false,
    ],
    ['notHosts', '{ to: [{ operation: { notHosts: ["*.example.com"] } }] }', request(), undefined, false],
    ['methods', '{ to: [{ operation: { methods: ["POST"] } }] }', request(), undefined, false],
    ['notMethods', '{ to: [{ operation: { notMethods: ["POST"] } }] }', request(), undefined, true],
    ['ports', '{ to: [{ operation: { ports: ["8080"] } }] }', request(), undefined, true],
    ['notPorts', '{ to: [{ operation: { notPorts: ["8080"] } }] }', request(), undefined, false],
    ['ipBlocks', '{ from: [{ source: { ipBlocks: ["10.0.0.0/8"] } }] }', request(), undefined, true],
    ['notIpBlocks', '{ from: [{ source: { notIpBlocks: ["10.0.0.1"] } }] }', request(), undefined, false],
    [
      'remoteIpBlocks',
      '{ from: [{ source: { remoteIpBlocks: ["192.0.2.0/24"] } }] }',
      request(),
      undefined,
      true,
    ],
    [
      'notRemoteIpBlocks',
      '{ from: [{ source: { notRemoteIpBlocks: ["192.0.2.0/24"] } }] }',
      request(),
      undefined,
      false,
    ],
    [
      'requestPrincipals without a token',
      '{ from: [{ source: { requestPrincipals: ["*"] } }] }',
      request(),
      undefined,
      false,
    ],
    [
      'requestPrincipals *',
      '{ from: [{ source: { requestPrincipals: ["*"] } }] }',
      request(),
      who({ iss: 'i', sub: 's' }),
      true,
    ],
    [
      'requestPrincipals iss/*',
      '{ from: [{ source: { requestPrincipals: ["i/*"] } }] }',
      request(),
      who({ iss: 'i', sub: 's' }),
      true,
    ],
    [
      'requestPrincipals exact',
      '{ from: [{ source: { requestPrincipals: ["https://i.example/s"] } }] }',
      request(),
      who({ iss: 'https://i.example', sub: 's' }),
      true,
    ],
    [
      'notRequestPrincipals * without a token',
      '{ from: [{ source: { notRequestPrincipals: ["*"] } }] }',
      request(),
      undefined,
      true,
    ],
    [
      'claims list element',
      '{ when: [{ key: "request.auth.claims[groups]", values: ["g2"] }] }',
      request(),
      who({ iss: 'i', sub: 's', groups: ['g1', 'g2'] }),
      true,
    ],
    [
      'nested claims',
      '{ when: [{ key: "request.auth.claims[a][b]", values: ["c"] }] }',
      request(),
      who({ iss: 'i', sub: 's', a: { b: 'c' } }),
      true,
    ],
    [
      'claims notValues',
      '{ when: [{ key: "request.auth.claims[groups]", notValues: ["g2"] }] }',
      request(),
      who({ iss: 'i', sub: 's', groups: ['g2'] }),
      false,
    ],
    [
      'request.auth.principal',
      '{ when: [{ key: request.auth.principal, values: ["i/s"] }] }',
      request(),
      who({ iss: 'i', sub: 's' }),
      true,
    ],
    [
      'request.auth.audiences',
      '{ when: [{ key: request.auth.audiences, values: ["aud2"] }] }',
      request(),
      who({ iss: 'i', sub: 's', aud: ['aud1', 'aud2'] }),
      true,
    ],
    [
      'request.auth.presenter',
      '{ when: [{ key: request.auth.presenter, values: ["app"] }] }',
      request(),
      who({ iss: 'i', sub: 's', azp: 'app' }),
      true,
    ],
    [
      'request.headers',
      '{ when: [{ key: "request.headers[x-a]", values: ["b*"] }] }',
      request({ headers: { 'x-a': 'bc' } }),
      undefined,
      true,
    ],
    [
      'request.headers absent',
      '{ when: [{ key: "request.headers[x-a]", values: ["*"] }] }',
      request(),
      undefined,
      false,
    ],
    ['remote.ip', '{ when: [{ key: remote.ip, values: ["192.0.2.1"] }] }', request(), undefined, true],
    ['source.ip', '{ when: [{ key: source.ip, notValues: ["10.0.0.0/8"] }] }', request(), undefined, false],
    [
      'destination.ip',
      '{ when: [{ key: destination.ip, values: ["127.0.0.0/8"] }] }',
      request(),
      undefined,
      true,
    ],
    [
      'destination.port',
      '{ when: [{ key: destination.port, values: ["8443"] }] }',
      request(),
      undefined,
      false,
    ],
    [
      'connection.sni',
      '{ when: [{ key: connection.sni, values: ["*.example.com"] }] }',
      request(),
      undefined,
      true,
    ],
    [
      'connection.sni without TLS',
      '{ when: [{ key: connection.sni, values: ["*"] }] }',
      request({ sni: undefined }),
      undefined,
      false,
    ],
    [
      'from OR, to AND',
      '{ from: [{ source: { ipBlocks: ["1.1.1.1"] } }, { source: { ipBlocks: ["10.0.0.1"] } }], to: [{ operation: { methods: ["GET"], paths: ["/"] } }] }',
      request(),
      undefined,
      true,
    ],
  ])('%s', (_name, rule, req, identity, allowed) => {
    expect(authorize(allowOnly(rule), req, identity).allowed).toBe(allowed)
  })
})

describe('parseJwt: jwt_verify_lib statuses', () => {
  const b = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  it.each<[string, string, string]>([
    ['two sections', 'a.b', JWT_STATUS.badFormat],
    ['empty signature', `${b({ alg: 'RS256' })}.${b({})}.`, JWT_STATUS.badFormat],
    ['header not base64url', `a+b.${b({})}.c2ln`, JWT_STATUS.headerBadBase64],
    ['header not JSON', `${Buffer.from('x').toString('base64url')}.${b({})}.c2ln`, JWT_STATUS.headerBadJson],
    ['no alg', `${b({})}.${b({})}.c2ln`, JWT_STATUS.headerBadAlg],
    ['alg none', `${b({ alg: 'none' })}.${b({})}.c2ln`, JWT_STATUS.headerNotImplementedAlg],
    ['kid not a string', `${b({ alg: 'RS256', kid: 1 })}.${b({})}.c2ln`, JWT_STATUS.headerBadKid],
    [
      'payload not JSON',
      `${b({ alg: 'RS256' })}.${Buffer.from('[').toString('base64url')}.c2ln`,
      JWT_STATUS.payloadBadJson,
    ],
    ['iss not a string', `${b({ alg: 'RS256' })}.${b({ iss: 1 })}.c2ln`, JWT_STATUS.issNotString],
    ['exp not a number', `${b({ alg: 'RS256' })}.${b({ exp: '1' })}.c2ln`, JWT_STATUS.expNotInteger],
    ['exp negative', `${b({ alg: 'RS256' })}.${b({ exp: -1 })}.c2ln`, JWT_STATUS.expOutOfRange],
    ['aud not strings', `${b({ alg: 'RS256' })}.${b({ aud: [1] })}.c2ln`, JWT_STATUS.audNotString],
    ['signature not base64url', `${b({ alg: 'RS256' })}.${b({})}.a*b`, JWT_STATUS.signatureBadBase64],
  ])('%s', (_name, token, status) => {
    expect(parseJwt(token)).toBe(status)
  })
})

describe('explainRequest: authentication and authorization steps', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k', alg: 'ES256' }] })
  const token = (payload: Record<string, unknown>) => {
    const input = `${Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'k' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`
    return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
  }
  const config = compiled(`---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: jwt, namespace: istio-system }
spec:
  jwtRules: [{ issuer: me, jwks: '${jwk}' }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: require-jwt, namespace: istio-system }
spec:
  rules: [{ from: [{ source: { requestPrincipals: ["me/*"] } }] }]
`)
  const facts = (headers: Record<string, string>) => ({
    port: 80,
    scheme: 'http' as const,
    method: 'GET',
    authority: 'a.example.com',
    path: '/x',
    headers: { host: 'a.example.com', ...headers },
  })
  it('shows the provider, the principal, the deciding rule and the claim route', async () => {
    const text = await explainRequest(
      config,
      facts({ authorization: `Bearer ${token({ iss: 'me', sub: 'u', group: 'v2' })}` }),
    )
    expect(text).toContain(
      'authn      origins-0 (issuer me, istio-system/jwt jwtRules[0]) verified the token from header authorization (prefix "Bearer "): principal me/u',
    )
    expect(text).toContain('authz      allowed by istio-system/require-jwt rules[0] (ALLOW)')
    expect(text).toContain('claim group exact "v2"')
    expect(text).toContain('decision   direct response 200')
  })
  it('shows 401 and 403 decisions', async () => {
    expect(
      await explainRequest(
        config,
        facts({ authorization: `Bearer ${token({ iss: 'me', sub: 'u', exp: 1 })}` }),
      ),
    ).toContain('decision   401 "Jwt is expired" (jwt_authn)')
    const denied = await explainRequest(config, facts({}))
    expect(denied).toContain('authn      no token: passes without a request principal')
    expect(denied).toContain('authz      denied: no rule of the 1 ALLOW policy matches')
    expect(denied).toContain('decision   403 "RBAC: access denied" (rbac)')
  })
})
