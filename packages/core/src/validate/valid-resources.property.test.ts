import { arbitraries } from '@portico/testing'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Diagnostic } from '../diagnostics/diagnostic.js'
import { formatDiagnostics } from '../diagnostics/render.js'
import { checkResource } from '../load/check.js'
import type { Resource } from '../resources/index.js'
import { validate } from './index.js'

const RUNS = { numRuns: 200 }

const errorsOf = (diagnostics: readonly Diagnostic[]) => diagnostics.filter((d) => d.severity === 'error')

/** Schema check and Istio's rules both accept the resource: no error, with the findings printed when not. */
function expectValid(resource: Resource): void {
  const schema = checkResource(resource)
  expect(formatDiagnostics(errorsOf(schema.diagnostics)), JSON.stringify(resource)).toBe('')
  expect(schema.value).toEqual(resource)
  expect(formatDiagnostics(errorsOf(validate([resource]))), JSON.stringify(resource)).toBe('')
}

describe('resources Istio accepts are accepted', () => {
  it('Gateways', () => {
    fc.assert(fc.property(arbitraries.gateway(), expectValid), RUNS)
  })

  it('VirtualServices', () => {
    fc.assert(fc.property(arbitraries.virtualService(), expectValid), RUNS)
  })

  it('DestinationRules', () => {
    fc.assert(fc.property(arbitraries.destinationRule(), expectValid), RUNS)
  })

  it('ServiceEntries', () => {
    fc.assert(fc.property(arbitraries.serviceEntry(), expectValid), RUNS)
  })

  it('coherent config sets: no errors, and every reference resolves', () => {
    fc.assert(
      fc.property(arbitraries.config(), (resources) => {
        for (const r of resources) expect(errorsOf(checkResource(r).diagnostics)).toEqual([])
        const diagnostics = validate(resources)
        const text = `${formatDiagnostics(diagnostics)}\n${JSON.stringify(resources)}`
        expect(errorsOf(diagnostics), text).toEqual([])
        // IST0101 (unknown gateway, host, subset) and IST0132 (host not in gateway) would mean the set is not coherent.
        expect(
          diagnostics.filter((d) => d.code === 'IST0101' || d.code === 'IST0132' || d.code === 'IST0145'),
          text,
        ).toEqual([])
      }),
      { numRuns: 100 },
    )
  })
})
