import { arbitraries } from '@portico/testing'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { formatDiagnostics } from '../diagnostics/render.js'
import type { Resource } from '../resources/index.js'
import { parseResources } from './parse.js'

/** Serializes like `kubectl get -o yaml` would: one document per resource, `---` between them. */
function toYaml(resources: readonly Resource[], options: { flow: boolean; quote: boolean }): string {
  return resources
    .map((r) =>
      stringify(r, {
        ...(options.flow ? { collectionStyle: 'flow' as const } : {}),
        ...(options.quote
          ? { defaultStringType: 'QUOTE_DOUBLE' as const, defaultKeyType: 'PLAIN' as const }
          : {}),
      }),
    )
    .join('---\n')
}

const style = fc.record({ flow: fc.boolean(), quote: fc.boolean() })

function expectRoundTrip(resources: readonly Resource[], options: { flow: boolean; quote: boolean }): void {
  const text = toYaml(resources, options)
  const result = parseResources(text, 'roundtrip.yaml')
  expect(formatDiagnostics(result.diagnostics.filter((d) => d.severity === 'error')), text).toBe('')
  expect(result.resources, text).toEqual(resources)
}

/**
 * These properties run a fixed number of cases, CPU-bound: a few seconds alone, several times
 * that on a machine busy with other work. The timeout only has to catch a hang.
 */
const PROPERTY_TIMEOUT = 120_000

describe('valid resources survive YAML serialization and loading unchanged', {
  timeout: PROPERTY_TIMEOUT,
}, () => {
  const single = fc.oneof(
    arbitraries.gateway(),
    arbitraries.virtualService(),
    arbitraries.destinationRule(),
    arbitraries.serviceEntry(),
  )

  it('one resource at a time, block and flow style, plain and quoted scalars', () => {
    fc.assert(
      fc.property(single, style, (resource, options) => expectRoundTrip([resource], options)),
      { numRuns: 200 },
    )
  })

  it('whole config sets as one multi-document file', () => {
    fc.assert(
      fc.property(arbitraries.config(), style, (resources, options) => expectRoundTrip(resources, options)),
      { numRuns: 60 },
    )
  })
})
