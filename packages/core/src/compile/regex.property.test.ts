import fc from 'fast-check'
import { RE2JS } from 're2js'
import { describe, expect, it } from 'vitest'
import { compileRegex, translateSubstitution } from './regex.js'

const atoms = [
  'a',
  'b',
  '.',
  '[a-c]',
  '[^a]',
  '\\d',
  '\\w',
  '\\W',
  '\\b',
  '(ab)',
  '(a|b)',
  '(?:a.)',
  '\\-',
  '\\.',
  '/',
  '^',
  '$',
  '{',
  '}',
]
const quantifiers = ['', '', '', '*', '+', '?', '{1,2}', '*?', '{2}']
const patternArb = fc
  .array(fc.tuple(fc.constantFrom(...atoms), fc.constantFrom(...quantifiers)), { minLength: 1, maxLength: 6 })
  .map((parts) => parts.map(([a, q]) => a + q).join(''))
const inputArb = fc
  .array(fc.constantFrom('a', 'b', 'c', '1', '-', '.', '/', '\n', '\r', '😀', '_', ' '), { maxLength: 8 })
  .map((p) => p.join(''))

describe('native translation agrees with RE2', () => {
  it('full match and global replace give RE2 answers', () => {
    let native = 0
    fc.assert(
      fc.property(patternArb, fc.array(inputArb, { minLength: 1, maxLength: 8 }), (pattern, inputs) => {
        let re2: RE2JS
        try {
          re2 = RE2JS.compile(pattern)
        } catch {
          expect(compileRegex(pattern).ok).toBe(false)
          return
        }
        const compiled = compileRegex(pattern)
        expect(compiled.ok).toBe(true)
        if (!compiled.ok || compiled.regex.engine !== 'native') return
        native++
        const sub = translateSubstitution('<\\0>')
        for (const input of inputs) {
          expect(compiled.regex.fullMatch(input)).toBe(re2.testExact(input))
          expect(compiled.regex.replaceAll(input, sub)).toBe(re2.matcher(input).replaceAll(sub))
        }
      }),
      { numRuns: 1500 },
    )
    expect(native).toBeGreaterThan(100)
  })
})
