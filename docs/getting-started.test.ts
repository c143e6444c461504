import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blocksOf, prepareWalkthrough, root } from './walkthrough.js'

// Executes every shell block of getting-started.md in order, as a reader would, and compares
// what each prints with the output block that follows it. The doc's fixed ports (8080, 8443,
// 15000, 18001) are swapped for free ephemeral ones on the way in and back on the way out.

const doc = join(root, 'docs/getting-started.md')

let walkthrough: Awaited<ReturnType<typeof prepareWalkthrough>> | undefined

beforeAll(async () => {
  walkthrough = await prepareWalkthrough([8080, 8443, 15000, 18001], {
    httpbin: ['gateway.yaml', 'virtualservice.yaml', 'serviceentry.yaml'],
  })
})

afterAll(async () => {
  await walkthrough?.close()
})

describe('docs/getting-started.md', () => {
  it('finds the blocks it runs', async () => {
    const blocks = blocksOf(await readFile(doc, 'utf8')).filter((b) => b.lang === 'sh')
    expect(blocks.length).toBeGreaterThanOrEqual(12)
    expect(blocks.filter((b) => b.marker?.startsWith('background')).length).toBe(2)
    expect(blocks.filter((b) => b.expected !== undefined).length).toBeGreaterThanOrEqual(10)
  })

  it('works as written, printing what it shows', { timeout: 90_000 }, async () => {
    await walkthrough?.runDoc(doc)
  })
})
