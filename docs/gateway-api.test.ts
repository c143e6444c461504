import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blocksOf, prepareWalkthrough, root } from './walkthrough.js'

// Executes every shell block of gateway-api.md in order and compares what each prints with the
// output block that follows it (ports 8080, 15000 and 18001 swapped for ephemeral ones).

const doc = join(root, 'docs/gateway-api.md')

let walkthrough: Awaited<ReturnType<typeof prepareWalkthrough>> | undefined

beforeAll(async () => {
  walkthrough = await prepareWalkthrough([8080, 15000, 18001], {
    'gateway-api': ['gateway.yaml', 'httproute.yaml', 'service.yaml'],
    'gateway-api-tls-tcp': ['gateway.yaml', 'tlsroute.yaml', 'tcproute.yaml', 'services.yaml'],
  })
})

afterAll(async () => {
  await walkthrough?.close()
})

describe('docs/gateway-api.md', () => {
  it('finds the blocks it runs', async () => {
    const blocks = blocksOf(await readFile(doc, 'utf8')).filter((b) => b.lang === 'sh')
    expect(blocks.filter((b) => b.marker?.startsWith('background')).length).toBe(2)
    expect(blocks.filter((b) => b.expected !== undefined).length).toBeGreaterThanOrEqual(8)
  })

  it('works as written, printing what it shows', { timeout: 90_000 }, async () => {
    await walkthrough?.runDoc(doc)
  })
})
