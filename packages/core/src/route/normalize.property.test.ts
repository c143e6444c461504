import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { PathNormalization } from '../compile/types.js'
import { normalizeTarget } from './normalize.js'

const pieces = [
  'a',
  'B',
  '/',
  '//',
  '.',
  '..',
  '%2e',
  '%2E',
  '%2F',
  '%2f',
  '%5C',
  '%41',
  '%7e',
  '%25',
  '%252e',
  '\\',
  ';x',
  '~',
  ' ',
  '"',
]
const pathArb = fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((p) => `/${p.join('')}`)
const modes: PathNormalization[] = ['BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES']

describe('normalizeTarget properties (SECURITY-ANCHORS §1)', () => {
  it('is idempotent and leaves no dot segments, backslashes or decodable escapes', () => {
    fc.assert(
      fc.property(pathArb, fc.constantFrom(...modes), (path, normalization) => {
        const once = normalizeTarget(path, { normalization })
        if (!once.ok) return
        expect(once.path.startsWith('/')).toBe(true)
        const twice = normalizeTarget(once.path, { normalization })
        expect(twice).toEqual({ ok: true, path: once.path, query: '' })
        const segments = once.path.split('/')
        expect(
          segments.some((s) => s === '.' || s === '..' || s.startsWith('..;') || s.startsWith('.;')),
        ).toBe(false)
        expect(once.path).not.toMatch(/\\|%2[eE]|%41|%7[eE]/)
        if (normalization !== 'BASE') expect(once.path).not.toContain('//')
        if (normalization === 'DECODE_AND_MERGE_SLASHES') expect(once.path).not.toMatch(/%2[fF]|%5[cC]/)
      }),
      { numRuns: 2000 },
    )
  })
  it('never touches the query', () => {
    fc.assert(
      fc.property(pathArb, fc.string(), (path, query) => {
        const q = query.replace(/#/g, '')
        const r = normalizeTarget(`${path}?${q}`)
        if (r.ok) expect(r.query).toBe(q)
      }),
    )
  })
})
