import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { compile, createSnapshot, formatMermaid, loadResources, routeGraph } from '@portico/core'
import { expect, it } from 'vitest'

const root = fileURLToPath(new URL('../', import.meta.url))

it("routing.md's Mermaid diagram is what `portico routes --output mermaid` draws for the canary example", async () => {
  const doc = await readFile(`${root}docs/routing.md`, 'utf8')
  const block = /```mermaid\n([\s\S]*?)```/.exec(doc)?.[1]
  const { resources } = await loadResources([`${root}examples/canary`])
  const compiled = compile(createSnapshot(resources), { labels: { istio: 'ingressgateway' } }).value
  expect(block).toBe(formatMermaid(routeGraph(compiled)))
})
