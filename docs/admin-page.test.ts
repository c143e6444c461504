import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseResources, type Resource } from '@portico/core'
import { type AdminServer, createManagedGateway, type ManagedGateway, startAdmin } from '@portico/server'
import {
  createCertificate,
  type RunningHttpbin,
  request,
  seedYamlDocuments,
  startHttpbin,
} from '@portico/testing'
import { type BrowserContext, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The admin page in a real browser (Debian's Chromium) against a real gateway serving the seed:
// the routes are shown, requests move the counters, the explain form answers, and a screenshot
// lands in test-output/ (PORTICO_UPDATE_DOCS=1 also refreshes docs/admin-page.png).

const CHROMIUM = '/usr/bin/chromium'
const root = fileURLToPath(new URL('../', import.meta.url))
const HOST = 'httpbin.example.com'
// Chromium resolves this name to 127.0.0.1 (--host-resolver-rules): the state a DNS rebinding
// attack ends in, a page's own name pointing at the admin address.
const REBOUND = 'rebind.example'

const hasChromium = existsSync(CHROMIUM)
if (!hasChromium) {
  console.warn(`admin page browser test skipped: ${CHROMIUM} is missing (.ci/run installs Debian's chromium)`)
}

let httpbin: RunningHttpbin
let gateway: ManagedGateway
let admin: AdminServer
let context: BrowserContext
let profile: string

async function seed(httpbinPort: number): Promise<Resource[]> {
  const text = await Promise.all(
    ['gateway.yaml', 'virtualservice.yaml'].map((f) => readFile(join(root, 'examples/httpbin', f), 'utf8')),
  )
  // A certificate 20 days from expiry, so that the page highlights it. The example's Gateway and
  // VirtualService are read from examples/httpbin (the page links their file:line); httpbin's
  // ServiceEntry and the task's certificate Secret come from the seed fixture.
  const { cert, key } = createCertificate({ commonName: HOST, days: 20 })
  const [, , serviceEntry, ...secret] = seedYamlDocuments(2, {
    httpbinPort,
    certificate: { cert, key },
  })
  const loaded = parseResources([...text, serviceEntry, ...secret].join('\n---\n'), 'examples/httpbin')
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
  return loaded.resources as Resource[]
}

describe.skipIf(!hasChromium)('admin page in Chromium', () => {
  beforeAll(async () => {
    httpbin = await startHttpbin({ port: 0, host: '127.0.0.1' })
    gateway = await createManagedGateway({ resources: await seed(httpbin.port), ports: { 80: 0, 443: 0 } })
    admin = await startAdmin(gateway, { port: 0 })
    // History: one refused change (an unknown regex syntax) after the start.
    const refused = await gateway.apply(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: broken }
spec:
  hosts: ["${HOST}"]
  gateways: [httpbin-gateway]
  http: [{ match: [{ uri: { regex: "(" } }], route: [{ destination: { host: httpbin, port: { number: 8000 } } }] }]
`)
    expect(refused.ok).toBe(false)
    profile = await mkdtemp(join(tmpdir(), 'portico-chromium-'))
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--host-resolver-rules=MAP ${REBOUND} 127.0.0.1`,
      ],
      viewport: { width: 1500, height: 1000 },
    })
  }, 60_000)

  afterAll(async () => {
    await context?.close()
    await admin?.close()
    await gateway?.close()
    await httpbin?.close()
    if (profile !== undefined) await rm(profile, { recursive: true, force: true })
  })

  it('shows the seed, counts requests live, explains a request, and changes nothing', async () => {
    const page = await context.newPage()
    const problems: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text())
    })
    page.on('pageerror', (e) => problems.push(e.message))
    const requests: string[] = []
    page.on('request', (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}`))
    const base = `http://127.0.0.1:${admin.address.port}/`
    await page.goto(base)
    await expect(page.title()).resolves.toBe('Portico admin')

    // Listeners: both ports, the HTTPS server's certificate highlighted (20 days left).
    const expiring = page.locator('tr.expiring')
    await expect(expiring.count()).resolves.toBe(1)
    expect(await expiring.textContent()).toMatch(/CN=httpbin\.example\.com — expires .* \(in (19|20) days\)/)
    // The seed's routes, each linked to its VirtualService with file:line.
    const rows = page.locator('tr[data-route-name]')
    await expect(rows.count()).resolves.toBe(4)
    const table = await page.locator('table').nth(1).textContent()
    expect(table).toContain('uri prefix "/status"')
    expect(table).toContain('uri prefix "/delay"')
    expect(table).toMatch(/examples\/httpbin:\d+:\d+/)
    expect(
      await page.locator('a', { hasText: 'default/httpbin http[0].match[0]' }).first().getAttribute('href'),
    ).toBe('resource?namespace=default&name=httpbin')
    // The route graph, drawn inline.
    await expect(page.locator('svg.route-graph g.node').count()).resolves.toBeGreaterThan(4)
    // History: the start and the refused change with its diagnostic.
    expect(await page.locator('#last-refused').textContent()).toMatch(/error \S+ .*regex/i)

    // Requests through the gateway move the counters without a reload.
    const http = gateway.addresses[80]!
    const statusRow = rows.filter({ hasText: 'uri prefix "/status"' }).first()
    await expect(statusRow.locator('td[data-stat=requests]').textContent()).resolves.toBe('0')
    for (const status of [200, 200, 418, 503]) {
      const res = await request(`127.0.0.1:${http.port}`, {
        url: `http://${HOST}:${http.port}/status/${status}`,
      })
      expect(res.status).toBe(status)
    }
    await page.waitForFunction(
      () => document.querySelector('tr[data-route-name] td[data-stat=requests]')?.textContent === '4',
      undefined,
      { timeout: 10_000 },
    )
    expect(await statusRow.locator('td[data-stat=status4xx]').textContent()).toBe('1')
    expect(await statusRow.locator('td[data-stat=status5xx]').textContent()).toBe('1')
    expect(Number(await statusRow.locator('td[data-stat=p99Ms]').textContent())).toBeGreaterThan(0)
    const cluster = page.locator('tr[data-cluster="outbound|8000||httpbin.default.svc.cluster.local"]')
    await expect(cluster.locator('td[data-stat=requests]').textContent()).resolves.toBe('4')

    // The host filter hides the routes of other hosts.
    await page.fill('#host-filter', 'nothing.example')
    await expect(rows.filter({ visible: true }).count()).resolves.toBe(0)
    await page.fill('#host-filter', 'httpbin')
    await expect(rows.filter({ visible: true }).count()).resolves.toBe(4)

    // The explain form: the same trace as `portico routes --explain`.
    await page.fill('#explain input[name=url]', `http://${HOST}/headers`)
    await page.click('#explain button[type=submit]')
    await page.waitForFunction(() => (document.getElementById('explain-result')?.textContent ?? '') !== '')
    const trace = await page.locator('#explain-result').textContent()
    expect(trace).toMatch(/^request +GET http:\/\/httpbin\.example\.com\/headers/)
    expect(trace).toMatch(/decision +404/)

    const output = join(root, 'test-output')
    await mkdir(output, { recursive: true })
    await page.screenshot({ path: join(output, 'admin-page.png'), fullPage: true })
    if (process.env.PORTICO_UPDATE_DOCS === '1')
      await copyFile(join(output, 'admin-page.png'), join(root, 'docs/admin-page.png'))

    // Read-only: the page only ever sent GETs, and the configuration did not move.
    expect(requests.filter((r) => !r.startsWith('GET '))).toEqual([])
    expect(gateway.version).toBe(1)
    expect(problems).toEqual([])
  }, 60_000)

  it('cannot be read through a rebound name, nor changed by a page of another origin', async () => {
    const before = gateway.version
    const page = await context.newPage()
    const rebound = await page.goto(`http://${REBOUND}:${admin.address.port}/config_dump`)
    expect(rebound?.status()).toBe(403)
    expect(await page.textContent('body')).toContain(`does not answer for host \\"${REBOUND}\\"`)

    // Another local page sends the simple cross-origin POST any page may send without reading the answer.
    const change = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: planted }
spec:
  hosts: ["${HOST}"]
  gateways: [httpbin-gateway]
  http: [{ route: [{ destination: { host: httpbin, port: { number: 8000 } } }] }]
`
    const html = `<!doctype html><title>elsewhere</title><script>
fetch(${JSON.stringify(`http://127.0.0.1:${admin.address.port}/config/apply`)},
  { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(change)} })
  .then(() => { document.title = 'sent' }, (e) => { document.title = 'failed ' + e })
</script>`
    const elsewhere: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end(html)
    })
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve))
    try {
      const answered = page.waitForResponse((r) => r.url().endsWith('/config/apply'))
      await page.goto(`http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/`)
      const answer = await answered
      expect(answer.status()).toBe(403)
      // Its Host (127.0.0.1) is allowed: the Origin that Chromium adds to the POST is what refused it.
      await page.waitForFunction(() => document.title === 'sent')
    } finally {
      await page.close()
      elsewhere.closeAllConnections()
      await new Promise<void>((resolve) => elsewhere.close(() => resolve()))
    }
    expect(gateway.version).toBe(before)
    expect(gateway.snapshot.resources.some((r) => r.metadata.name === 'planted')).toBe(false)
  }, 60_000)
})
