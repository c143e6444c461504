import { constants, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { parseResources } from '@portico/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatTextLine } from '../access-log/access-log.js'
import { CHANNELS, type RequestEndEvent } from '../events/channels.js'
import { createGateway, type Gateway } from '../gateway.js'
import { closedPort, http1, type Reply, startUpstream, type Upstream } from '../test/config.js'

type Alg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA'

interface TestKey {
  readonly alg: Alg
  readonly kid: string
  readonly privateKey: KeyObject
  readonly jwk: Record<string, unknown>
}

function makeKey(alg: Alg, kid: string): TestKey {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    alg,
    kid,
    privateKey: pair.privateKey,
    jwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, alg },
  }
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A compact JWS signed with node:crypto (RFC 7515 / 7518 encodings). */
function jwt(key: TestKey, payload: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const input = `${b64({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })}.${b64(payload)}`
  const data = Buffer.from(input)
  let signature: Buffer
  switch (key.alg) {
    case 'RS256':
      signature = sign('sha256', data, key.privateKey)
      break
    case 'PS256':
      signature = sign('sha256', data, {
        key: key.privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      })
      break
    case 'ES256':
      signature = sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      break
    case 'EdDSA':
      signature = sign(null, data, key.privateKey)
      break
  }
  return `${input}.${signature.toString('base64url')}`
}

const now = () => Math.floor(Date.now() / 1000)
const rsa = makeKey('RS256', 'rsa')
const ps = makeKey('PS256', 'ps')
const ec = makeKey('ES256', 'ec')
const ed = makeKey('EdDSA', 'ed')
const remoteKey = makeKey('RS256', 'remote')
const stranger = { ...makeKey('RS256', 'rsa') }

const A = 'issuer-a'
const B = 'issuer-b'
const good = (extra: Record<string, unknown> = {}) => ({
  iss: A,
  sub: 'alice',
  aud: ['portico', 'other'],
  exp: now() + 600,
  ...extra,
})

/** A JWKS server on 127.0.0.1 that counts its requests; `hang` keeps requests open forever. */
async function startJwks(keys: readonly Record<string, unknown>[], hang = false) {
  const sockets = new Set<Socket>()
  const state = { requests: 0 }
  const server: Server = createServer((_req, res) => {
    state.requests++
    if (hang) return
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ keys }))
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

function config(upstreamPort: number, jwksUri: string, extra = '', jwksTimeout = '5s'): string {
  const jwks = JSON.stringify({ keys: [rsa.jwk, ps.jwk, ec.jwk, ed.jwk] })
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: echo }
spec:
  hosts: [echo.example.com]
  ports: [{ number: 80, name: http, protocol: HTTP }]
  resolution: STATIC
  endpoints: [{ address: 127.0.0.1, ports: { http: ${upstreamPort} } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: routes, namespace: istio-system }
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{ uri: { prefix: /claims }, headers: { "@request.auth.claims.group": { exact: v2 } } }]
    directResponse: { status: 200, body: { string: v2 } }
  - match: [{ uri: { prefix: /claims }, headers: { "@request.auth.claims[nested][level]": { exact: gold } } }]
    directResponse: { status: 200, body: { string: gold } }
  - match: [{ uri: { prefix: /claims }, withoutHeaders: { "@request.auth.claims.group": { prefix: v } } }]
    directResponse: { status: 200, body: { string: no-v-group } }
  - match:
    - uri: { prefix: /anything }
    - uri: { prefix: /public }
    - uri: { prefix: /claims }
    - uri: { prefix: /remote }
    - uri: { prefix: /local }
    - uri: { prefix: /port }
    - uri: { prefix: /put }
    - uri: { prefix: /group }
    route: [{ destination: { host: echo.example.com } }]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: jwt, namespace: istio-system }
spec:
  selector: { matchLabels: { istio: ingressgateway } }
  jwtRules:
  - issuer: ${A}
    audiences: [portico]
    jwks: '${jwks}'
    outputPayloadToHeader: x-jwt-payload
    outputClaimToHeaders: [{ header: x-jwt-sub, claim: sub }]
  - issuer: ${B}
    jwksUri: ${jwksUri}
    timeout: ${jwksTimeout}
    fromHeaders: [{ name: x-token }]
    fromParams: [tok]
    fromCookies: [session]
    forwardOriginalToken: true
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny, namespace: istio-system }
spec:
  action: DENY
  rules:
  - to: [{ operation: { paths: ["/anything/deny*"] } }]
  - when: [{ key: "request.headers[x-block]", values: ["yes"] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow, namespace: istio-system }
spec:
  action: ALLOW
  rules:
  - from: [{ source: { requestPrincipals: ["${A}/*"] } }]
    to: [{ operation: { paths: ["/anything*", "/claims*"] } }]
  - to: [{ operation: { paths: ["/public*"], notPaths: ["/public/secret"] } }]
  - to: [{ operation: { paths: ["/group*"] } }]
    when: [{ key: "request.auth.claims[groups]", values: ["admins"] }]
  - from: [{ source: { remoteIpBlocks: ["203.0.113.0/24"] } }]
    to: [{ operation: { paths: ["/remote*"] } }]
  - from: [{ source: { ipBlocks: ["127.0.0.1/32"], notRequestPrincipals: ["*"] } }]
    to: [{ operation: { paths: ["/local*"] } }]
  - to: [{ operation: { hosts: ["allowed.example.com"], methods: ["PUT"], paths: ["/put"] } }]
  - from: [{ source: { requestPrincipals: ["${B}/bob"] } }]
    to: [{ operation: { paths: ["/claims*"] } }]
${extra}`
}

let upstream: Upstream
let jwksServer: Awaited<ReturnType<typeof startJwks>>
let gateway: Gateway
let port: number

function resources(text: string) {
  const { resources: list, diagnostics } = parseResources(text, 'policies.yaml')
  expect(diagnostics).toEqual([])
  return list
}

beforeAll(async () => {
  upstream = await startUpstream('echo')
  jwksServer = await startJwks([remoteKey.jwk])
  gateway = await createGateway({
    config: { resources: resources(config(upstream.port, jwksServer.url)) },
    ports: { 80: 0 },
    numTrustedProxies: 1,
  })
  port = gateway.addresses['80']!.port
  // `destination.port` is the port the request arrived on: add a rule for it now that it is known.
  await gateway.update({
    resources: resources(
      config(
        upstream.port,
        jwksServer.url,
        `  - to: [{ operation: { ports: ["${port}"], paths: ["/port"] } }]
    when: [{ key: destination.port, values: ["${port}"] }]`,
      ),
    ),
  })
})

afterAll(async () => {
  await gateway?.close()
  await upstream?.close()
  await jwksServer?.close()
})

const get = (path: string, headers: Record<string, string> = {}, method = 'GET', host = 'echo.example.com') =>
  http1(port, path, { host, method, headers })
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const seenBy = (reply: Reply) => JSON.parse(reply.body) as { url: string; headers: Record<string, string> }

function expect401(reply: Reply, message: string, path: string) {
  expect({ status: reply.status, body: reply.body }).toEqual({ status: 401, body: message })
  expect(reply.headers['www-authenticate']).toBe(
    `Bearer realm="http://echo.example.com${path}", error="invalid_token"`,
  )
}

describe('RequestAuthentication over real sockets', () => {
  it('a valid token authenticates; output headers are set and the token header is removed', async () => {
    const token = jwt(rsa, good())
    const reply = await get('/anything', { ...bearer(token), 'x-jwt-sub': 'forged' })
    expect(reply.status).toBe(200)
    const seen = seenBy(reply)
    expect(seen.headers['x-jwt-sub']).toBe('alice')
    expect(seen.headers['x-jwt-payload']).toBe(token.split('.')[1])
    expect(seen.headers.authorization).toBeUndefined()
  })

  it.each([
    ['PS256', ps],
    ['ES256', ec],
    ['EdDSA', ed],
  ])('verifies %s', async (_alg, key) => {
    expect((await get('/anything', bearer(jwt(key, good())))).status).toBe(200)
  })

  it('client copies of output headers never reach the upstream', async () => {
    const reply = await get('/public', { 'x-jwt-sub': 'forged', 'x-jwt-payload': 'forged' })
    expect(reply.status).toBe(200)
    expect(seenBy(reply).headers['x-jwt-sub']).toBeUndefined()
    expect(seenBy(reply).headers['x-jwt-payload']).toBeUndefined()
  })

  it.each<[string, () => string, string]>([
    ['expired', () => jwt(rsa, good({ exp: now() - 120 })), 'Jwt is expired'],
    ['not yet valid', () => jwt(rsa, good({ nbf: now() + 600 })), 'Jwt not yet valid'],
    ['bad signature', () => jwt(stranger, good()), 'Jwt verification fails'],
    [
      'unknown key',
      () => jwt({ ...rsa, kid: 'nope' }, good()),
      "Jwks doesn't have key to match kid or alg from Jwt",
    ],
    ['unknown issuer', () => jwt(rsa, good({ iss: 'issuer-c' })), 'Jwt issuer is not configured'],
    [
      'an issuer read at another issuer location',
      () => jwt(remoteKey, { iss: B, sub: 'bob', exp: now() + 60 }),
      'Jwt issuer is not configured',
    ],
    ['alg none', () => `${b64({ alg: 'none' })}.${b64(good())}.c2ln`, 'Jwt header [alg] is not supported'],
    [
      'malformed',
      () => 'not-a-token',
      'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
    ],
  ])(
    '%s → 401 with jwt_verify_lib text, even where nothing is allowed or routed',
    async (_name, token, message) => {
      expect401(await get('/anything?x=1', bearer(token())), message, '/anything?x=1')
      expect401(await get('/nowhere', bearer(token())), message, '/nowhere')
    },
  )

  it('the clock skew is 60 s, as Envoy', async () => {
    expect((await get('/anything', bearer(jwt(rsa, good({ exp: now() - 30 }))))).status).toBe(200)
  })

  it('a token whose audience is not allowed → 403 "Audiences in Jwt are not allowed"', async () => {
    const reply = await get('/anything', bearer(jwt(rsa, good({ aud: 'someone-else' }))))
    expect({ status: reply.status, body: reply.body }).toEqual({
      status: 403,
      body: 'Audiences in Jwt are not allowed',
    })
  })

  it('Authorization: Basic is no token; no token passes authentication without a principal', async () => {
    expect((await get('/public', { authorization: 'Basic YTpi' })).status).toBe(200)
    const denied = await get('/anything', { authorization: 'Basic YTpi' })
    expect({ status: denied.status, body: denied.body }).toEqual({ status: 403, body: 'RBAC: access denied' })
  })

  it('the access_token query parameter is a default location, and stays in the forwarded target', async () => {
    const token = jwt(rsa, good())
    const reply = await get(`/anything?access_token=${token}`)
    expect(reply.status).toBe(200)
    expect(seenBy(reply).url).toBe(`/anything?access_token=${token}`)
  })

  it('custom header, query and cookie locations, with jwksUri keys; forwardOriginalToken keeps the header', async () => {
    const token = jwt(remoteKey, { iss: B, sub: 'bob', groups: ['users', 'admins'], exp: now() + 600 })
    const viaHeader = await get('/group', { 'x-token': token })
    expect(viaHeader.status).toBe(200)
    expect(seenBy(viaHeader).headers['x-token']).toBe(token)
    expect((await get(`/group?tok=${token}`)).status).toBe(200)
    expect((await get('/group', { cookie: `a=b; session=${token}` })).status).toBe(200)
    // Once the rule names locations, Authorization is not one of them.
    expect401(await get('/group', bearer(token)), 'Jwt issuer is not configured', '/group')
    const plain = jwt(remoteKey, { iss: B, sub: 'bob', groups: ['users'], exp: now() + 600 })
    expect((await get('/group', { 'x-token': plain })).status).toBe(403)
  })

  it('fetches a jwksUri once and serves later requests from the cache', async () => {
    const before = jwksServer.state.requests
    const token = jwt(remoteKey, { iss: B, sub: 'bob', groups: ['admins'], exp: now() + 600 })
    for (let i = 0; i < 5; i++) expect((await get('/group', { 'x-token': token })).status).toBe(200)
    expect(jwksServer.state.requests).toBe(before)
    expect(jwksServer.state.requests).toBeLessThanOrEqual(1)
  })
})

describe('AuthorizationPolicy over real sockets', () => {
  it('DENY is evaluated before ALLOW', async () => {
    const token = jwt(rsa, good())
    expect((await get('/anything/x', bearer(token))).status).toBe(200)
    const denied = await get('/anything/deny', bearer(token))
    expect({ status: denied.status, body: denied.body }).toEqual({ status: 403, body: 'RBAC: access denied' })
    expect((await get('/public', { 'x-block': 'yes' })).status).toBe(403)
  })

  it('an ALLOW policy that matches nothing denies, and a denied path with no route is 403, not 404', async () => {
    expect((await get('/anything')).status).toBe(403)
    const unrouted = await get('/nowhere')
    expect({ status: unrouted.status, body: unrouted.body }).toEqual({
      status: 403,
      body: 'RBAC: access denied',
    })
    expect((await get('/public/secret')).status).toBe(403)
  })

  it("logs a policy denial with Envoy's flags: none (Envoy has no response flag for RBAC or jwt_authn)", async () => {
    const ended = new Map<string, RequestEndEvent>()
    const onEnd = (message: unknown) => {
      const event = message as RequestEndEvent
      ended.set(event.path, event)
    }
    subscribe(CHANNELS.requestEnd, onEnd)
    try {
      expect((await get('/anything/deny', bearer(jwt(rsa, good())))).status).toBe(403)
      expect((await get('/anything', bearer(jwt(stranger, good())))).status).toBe(401)
      for (let i = 0; i < 200 && !(ended.has('/anything/deny') && ended.has('/anything')); i++)
        await new Promise((r) => setTimeout(r, 10))
    } finally {
      unsubscribe(CHANNELS.requestEnd, onEnd)
    }
    const denied = ended.get('/anything/deny')
    const unauthenticated = ended.get('/anything')
    expect(denied).toMatchObject({ responseCode: 403, responseFlags: [] })
    expect(unauthenticated).toMatchObject({ responseCode: 401, responseFlags: [] })
    expect(formatTextLine(denied!)).toContain('"GET /anything/deny HTTP/1.1" 403 - ')
  })

  it('remoteIpBlocks read X-Forwarded-For through numTrustedProxies; ipBlocks the peer', async () => {
    expect((await get('/remote', { 'x-forwarded-for': '203.0.113.9' })).status).toBe(200)
    expect((await get('/remote')).status).toBe(403)
    expect((await get('/local')).status).toBe(200)
    expect((await get('/local', bearer(jwt(rsa, good())))).status).toBe(403)
  })

  it('hosts, methods, ports and destination.port', async () => {
    expect((await get('/put', {}, 'PUT', 'allowed.example.com')).status).toBe(200)
    expect((await get('/put', {}, 'PUT', 'ALLOWED.example.com')).status).toBe(200)
    expect((await get('/put', {}, 'GET', 'allowed.example.com')).status).toBe(403)
    expect((await get('/put', {}, 'PUT')).status).toBe(403)
    expect((await get('/port')).status).toBe(200)
  })
})

describe('routing on validated claims', () => {
  it('matches @request.auth.claims keys, nested and by list element, and only for a verified token', async () => {
    expect((await get('/claims', bearer(jwt(rsa, good({ group: 'v2' }))))).body).toBe('v2')
    expect((await get('/claims', bearer(jwt(rsa, good({ nested: { level: 'gold' } }))))).body).toBe('gold')
    expect((await get('/claims', bearer(jwt(rsa, good({ group: ['x', 'v2'] }))))).body).toBe('v2')
    expect((await get('/claims', bearer(jwt(rsa, good({ group: 'other' }))))).body).toBe('no-v-group')
    // An unverified copy of the claim in a header changes nothing.
    const bob = jwt(remoteKey, { iss: B, sub: 'bob', exp: now() + 600 })
    expect((await get('/claims', { 'x-token': bob, group: 'v2' })).body).toBe('no-v-group')
  })
})

describe('an unreachable JWKS', () => {
  it('answers 401 "Jwks remote fetch is failed" within the rule timeout, and never hangs', async () => {
    const hanging = await startJwks([remoteKey.jwk], true)
    const closed = await closedPort()
    const token = jwt(remoteKey, { iss: B, sub: 'bob', groups: ['admins'], exp: now() + 600 })
    for (const uri of [hanging.url, `http://127.0.0.1:${closed}/jwks.json`]) {
      const gw = await createGateway({
        config: { resources: resources(config(upstream.port, uri, '', '300ms')) },
        ports: { 80: 0 },
      })
      try {
        const p = gw.addresses['80']!.port
        const reply = await http1(p, '/group', { host: 'echo.example.com', headers: { 'x-token': token } })
        expect({ status: reply.status, body: reply.body }).toEqual({
          status: 401,
          body: 'Jwks remote fetch is failed',
        })
        // Requests without a token for that issuer are unaffected.
        expect((await http1(p, '/public', { host: 'echo.example.com' })).status).toBe(200)
        // The client's own X-Forwarded-For is not trusted with numTrustedProxies 0.
        const spoofed = await http1(p, '/remote', {
          host: 'echo.example.com',
          headers: { 'x-forwarded-for': '203.0.113.9' },
        })
        expect(spoofed.status).toBe(403)
      } finally {
        await gw.close()
      }
    }
    expect(hanging.state.requests).toBeGreaterThanOrEqual(1)
    await hanging.close()
  })

  it('keeps serving cached keys when a refresh fails', async () => {
    const jwks = await startJwks([remoteKey.jwk])
    const gw = await createGateway({
      config: { resources: resources(config(upstream.port, jwks.url)) },
      ports: { 80: 0 },
    })
    try {
      const p = gw.addresses['80']!.port
      const token = jwt(remoteKey, { iss: B, sub: 'bob', groups: ['admins'], exp: now() + 600 })
      expect(
        (await http1(p, '/group', { host: 'echo.example.com', headers: { 'x-token': token } })).status,
      ).toBe(200)
      await jwks.close()
      expect(
        (await http1(p, '/group', { host: 'echo.example.com', headers: { 'x-token': token } })).status,
      ).toBe(200)
    } finally {
      await gw.close()
    }
  })
})
