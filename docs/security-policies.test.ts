import { generateKeyPairSync, sign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { explainRequest, parseResources, type Resource } from '@portico/core'
import { createGateway, createJwksCache, type Gateway } from '@portico/server'
import { type RunningHttpbin, seedYamlDocuments, startHttpbin } from '@portico/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// Serves the YAML blocks of security-policies.md step by step, as a reader applies them, and
// checks each answer the page shows. The page's jwksUri is swapped for a key server on
// 127.0.0.1 serving a key generated here; the tokens are signed with it.

const page = readFileSync(fileURLToPath(new URL('./security-policies.md', import.meta.url)), 'utf8')
const yamlBlocks = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string)
const consoleBlocks = [...page.matchAll(/```console\n([\s\S]*?)```/g)].map((m) => m[1] as string)
const ISSUER = 'testing@secure.istio.io'

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'doc', alg: 'RS256' }
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
function token(claims: Record<string, unknown>): string {
  const input = `${b64({ alg: 'RS256', kid: 'doc', typ: 'JWT' })}.${b64({ iss: ISSUER, sub: ISSUER, ...claims })}`
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`
}
const exp = () => Math.floor(Date.now() / 1000) + 3600
const TOKEN = token({ exp: exp() })
const TOKEN_GROUP = token({ exp: exp(), groups: ['group1', 'group2'] })
const EXPIRED_TOKEN = token({ exp: Math.floor(Date.now() / 1000) - 3600 })

let jwksServer: Server
let jwksUrl: string
let httpbin: RunningHttpbin
let gateway: Gateway
let port: number

function load(blocks: readonly string[]): Resource[] {
  // The page applies its blocks to the seed's cluster: httpbin as the seed's ServiceEntry.
  const serviceEntry = seedYamlDocuments(1, { httpbinPort: httpbin.port })[2]
  const text = [serviceEntry, ...blocks]
    .join('\n---\n')
    .replace(/jwksUri: https:\/\/raw\.githubusercontent\.com\S+/g, `jwksUri: ${jwksUrl}`)
  const { resources, diagnostics } = parseResources(text, 'security-policies.md')
  expect(diagnostics).toEqual([])
  return resources
}

async function curl(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers })
  return { status: response.status, headers: response.headers, body: await response.text() }
}

beforeAll(async () => {
  jwksServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ keys: [jwk] }))
  })
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve))
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`
  httpbin = await startHttpbin()
  gateway = await createGateway({ config: { resources: load(yamlBlocks.slice(0, 1)) }, ports: { 80: 0 } })
  port = gateway.addresses['80']!.port
})

afterAll(async () => {
  await gateway?.close()
  await httpbin?.close()
  await new Promise((resolve) => jwksServer?.close(resolve))
})

describe('docs/security-policies.md', () => {
  it('has the blocks this test walks through', () => {
    expect(yamlBlocks).toHaveLength(6)
    expect(consoleBlocks).toHaveLength(5)
  })

  it('end-user authentication: no token passes, a bad token is 401 with the reason', async () => {
    await gateway.update({ resources: load(yamlBlocks.slice(0, 2)) })
    expect(consoleBlocks[0]).toContain(
      'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
    )
    expect((await curl('/headers')).status).toBe(200)
    const bad = await curl('/headers', { authorization: 'Bearer deadbeef' })
    expect({ status: bad.status, body: bad.body }).toEqual({
      status: 401,
      body: 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
    })
    const expired = await curl('/headers', { authorization: `Bearer ${EXPIRED_TOKEN}` })
    expect(expired.status).toBe(401)
    expect(expired.headers.get('www-authenticate')).toBe(
      `Bearer realm="http://127.0.0.1:${port}/headers", error="invalid_token"`,
    )
    expect(consoleBlocks[0]).toContain(
      'www-authenticate: Bearer realm="http://127.0.0.1:8080/headers", error="invalid_token"',
    )
    expect((await curl('/headers', { authorization: `Bearer ${TOKEN}` })).status).toBe(200)
  })

  it('requiring a token: DENY without a request principal', async () => {
    await gateway.update({ resources: load(yamlBlocks.slice(0, 3)) })
    const denied = await curl('/headers')
    expect(`${denied.body} ${denied.status}`).toBe('RBAC: access denied 403')
    expect(consoleBlocks[1]).toContain('RBAC: access denied 403')
    expect((await curl('/headers', { authorization: `Bearer ${TOKEN}` })).status).toBe(200)
  })

  it('claims in rules: a list claim matches by element', async () => {
    await gateway.update({ resources: load(yamlBlocks.slice(0, 4)) })
    expect((await curl('/ip', { authorization: `Bearer ${TOKEN_GROUP}` })).status).toBe(200)
    expect((await curl('/ip', { authorization: `Bearer ${TOKEN}` })).status).toBe(403)
  })

  it('routing on claims, and routes --explain', async () => {
    // The claim-routed VirtualService replaces the first one (same name).
    const gatewayOnly = yamlBlocks[0]!.split('\n---\n')[0]!
    const blocks = [gatewayOnly, yamlBlocks[1]!, yamlBlocks[2]!, yamlBlocks[3]!, yamlBlocks[4]!]
    await gateway.update({ resources: load(blocks) })
    const routed = await curl('/headers', { authorization: `Bearer ${TOKEN_GROUP}` })
    expect(routed.body.toLowerCase()).toMatch(/"x-routed-by": "group1"/)
    expect(consoleBlocks[3]?.toLowerCase()).toContain('"x-routed-by": "group1"')
    const plain = await curl('/headers', { authorization: `Bearer ${TOKEN}`, 'x-routed-by': 'nope' })
    expect(plain.body.toLowerCase()).not.toContain('group1')

    const { compile, createSnapshot } = await import('@portico/core')
    const compiled = compile(createSnapshot(load(blocks))).value
    const keys = createJwksCache()
    const text = await explainRequest(
      compiled,
      {
        port: 80,
        scheme: 'http',
        method: 'GET',
        authority: '127.0.0.1',
        path: '/headers',
        headers: { host: '127.0.0.1', authorization: `Bearer ${TOKEN_GROUP}` },
      },
      { keys },
    )
    keys.close()
    const shown = (consoleBlocks[4] ?? '').split('\n').slice(1, 4)
    expect(text.split('\n').slice(0, 3)).toEqual(shown)
  })

  it('authorization by client IP: remoteIpBlocks never trusts a client X-Forwarded-For by default', async () => {
    await gateway.update({ resources: load([...yamlBlocks.slice(0, 2), yamlBlocks[5]!]) })
    expect((await curl('/headers', { 'x-forwarded-for': '192.0.2.7' })).status).toBe(200)
    const trusting = await createGateway({
      config: { resources: load([...yamlBlocks.slice(0, 2), yamlBlocks[5]!]) },
      ports: { 80: 0 },
      numTrustedProxies: 1,
    })
    try {
      const p = trusting.addresses['80']!.port
      const denied = await fetch(`http://127.0.0.1:${p}/headers`, {
        headers: { 'x-forwarded-for': '192.0.2.7' },
      })
      expect(denied.status).toBe(403)
      expect(
        (await fetch(`http://127.0.0.1:${p}/headers`, { headers: { 'x-forwarded-for': '198.51.100.1' } }))
          .status,
      ).toBe(200)
    } finally {
      await trusting.close()
    }
  })
})
