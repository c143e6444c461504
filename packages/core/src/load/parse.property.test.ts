import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { stringify } from 'yaml'
import type { Diagnostic } from '../diagnostics/diagnostic.js'
import { parseResources } from './parse.js'

const seed = readFileSync(new URL('../resources/testdata/seed.yaml', import.meta.url), 'utf8')
const full = readFileSync(new URL('../resources/testdata/full.yaml', import.meta.url), 'utf8')

/** Every diagnostic with a position points inside the text. */
function positionsInside(text: string, diagnostics: readonly Diagnostic[]): boolean {
  const lines = text.replace(/^\uFEFF/, '').split('\n')
  return diagnostics.every((d) => {
    if (!d.source) return true
    const { line, column } = d.source
    return (
      line >= 1 && line <= lines.length + 1 && column >= 1 && column <= (lines[line - 1]?.length ?? 0) + 2
    )
  })
}

const fragments = [
  'apiVersion: networking.istio.io/v1\n',
  'apiVersion: v1\n',
  'kind: Gateway\n',
  'kind: VirtualService\n',
  'kind: List\n',
  'kind: Secret\n',
  'items:\n',
  'metadata: {name: a}\n',
  'metadata:\n  name: b\n',
  'spec:\n',
  '  servers:\n',
  '  - port: {number: 80, name: http, protocol: HTTP}\n',
  '    hosts: ["*"]\n',
  '  http:\n  - route: [{destination: {host: a}}]\n',
  '    timeout: 10s\n',
  'data: {tls.crt: "@@"}\n',
  '---\n',
  '...\n',
  '- ',
  '  ',
  '\t',
  ': ',
  '? ',
  '{',
  '}',
  '[',
  ']',
  ',',
  '"',
  "'",
  '\\',
  '#',
  '&a ',
  '*a',
  '*b',
  '<<: ',
  '!!binary ',
  '!tag ',
  '%YAML 1.2\n',
  '|\n',
  '>-\n',
  '\n',
  '\r\n',
  '0x1F',
  '1e400',
  'null',
  '~',
  '\u0000',
  '\uFEFF',
  '😀',
]

/**
 * These properties run a fixed number of cases, CPU-bound: a few seconds alone, several times
 * that on a machine busy with other work. The timeout only has to catch a hang.
 */
const PROPERTY_TIMEOUT = 120_000

describe('parseResources never throws', { timeout: PROPERTY_TIMEOUT }, () => {
  test('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        const result = parseResources(text, 'any.yaml')
        expect(positionsInside(text, result.diagnostics)).toBe(true)
      }),
      { numRuns: 400 },
    )
  })

  test('on YAML-ish text built from YAML and Kubernetes fragments', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 60 }), (parts) => {
        const text = parts.join('')
        const result = parseResources(text, 'frag.yaml')
        expect(positionsInside(text, result.diagnostics)).toBe(true)
        for (const r of result.resources) expect(typeof r.metadata.name).toBe('string')
      }),
      { numRuns: 400 },
    )
  })

  test('on the full fixture with random edits', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.nat({ max: full.length }),
            fc.nat({ max: 5 }),
            fc.constantFrom('', ' ', ':', '-', '\n', '{', '"', 'x', '  '),
          ),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        (edits) => {
          let text = full
          for (const [at, cut, insert] of edits) text = text.slice(0, at) + insert + text.slice(at + cut)
          const result = parseResources(text, 'edited.yaml')
          expect(positionsInside(text, result.diagnostics)).toBe(true)
          // Every finding a resource produced names that resource and a path.
          for (const d of result.diagnostics) if (d.code >= 'PTC1010') expect(d.path).toBeDefined()
        },
      ),
      { numRuns: 80 },
    )
  })
})

describe('round trip: load → serialize → load gives equal resources', { timeout: PROPERTY_TIMEOUT }, () => {
  const handwritten = [
    ...parseResources(seed, 'seed.yaml').resources,
    ...parseResources(full, 'full.yaml').resources,
  ]

  test('the handwritten resources load clean', () => {
    expect(handwritten.length).toBe(12)
  })

  test('through YAML in several styles, and through JSON', () => {
    fc.assert(
      fc.property(
        fc.subarray(handwritten, { minLength: 1 }),
        fc.record({
          indent: fc.integer({ min: 1, max: 8 }),
          flow: fc.boolean(),
          json: fc.boolean(),
          doubleQuoted: fc.boolean(),
        }),
        (resources, style) => {
          const text = style.json
            ? resources.map((r) => JSON.stringify(r, null, style.indent)).join('\n---\n')
            : resources
                .map((r) =>
                  stringify(r, {
                    indent: style.indent,
                    collectionStyle: style.flow ? 'flow' : 'block',
                    defaultStringType: style.doubleQuoted ? 'QUOTE_DOUBLE' : 'PLAIN',
                    defaultKeyType: 'PLAIN',
                    // The yaml package's own flow output with folded lines does not always parse back.
                    lineWidth: style.flow ? 0 : 80,
                  }),
                )
                .join('---\n')
          const again = parseResources(text, 'round.yaml')
          expect(again.diagnostics).toEqual([])
          expect(again.resources).toEqual(resources)
        },
      ),
      { numRuns: 80 },
    )
  })
})
