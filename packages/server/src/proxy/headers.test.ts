import { describe, expect, it } from 'vitest'
import type { HeaderRecord } from '../types.js'
import { ensureRequestId, requestId } from './headers.js'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('requestId', () => {
  it('gives version-4 UUIDs, all distinct, across many refills of its random pool', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 20_000; i++) {
      const id = requestId()
      expect(id).toMatch(UUID_V4)
      seen.add(id)
    }
    expect(seen.size).toBe(20_000)
  })

  it('draws every random digit: each of the 30 random hex positions takes all 16 values', () => {
    const positions = [...'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'].flatMap((c, i) => (c === 'x' ? [i] : []))
    const values = positions.map(() => new Set<string>())
    for (let i = 0; i < 2_000; i++) {
      const id = requestId()
      for (let k = 0; k < positions.length; k++) values[k]!.add(id[positions[k]!]!)
    }
    for (const v of values) expect(v.size).toBe(16)
  })

  it('the variant digit takes the four RFC 9562 values', () => {
    const variants = new Set<string>()
    for (let i = 0; i < 1_000; i++) variants.add(requestId()[19]!)
    expect([...variants].sort()).toEqual(['8', '9', 'a', 'b'])
  })

  it('returns strings that stay intact after later ids are generated', () => {
    const first = requestId()
    const copy = `${first}`
    for (let i = 0; i < 600; i++) requestId()
    expect(first).toBe(copy)
    expect(first).toMatch(UUID_V4)
  })
})

describe('ensureRequestId', () => {
  it("keeps a client's id (the first of repeated ones) and generates one when absent or empty", () => {
    const kept: HeaderRecord = { 'x-request-id': ['abc', 'def'] }
    expect(ensureRequestId(kept)).toBe('abc')
    expect(kept['x-request-id']).toBe('abc')
    const empty: HeaderRecord = { 'x-request-id': '' }
    expect(ensureRequestId(empty)).toMatch(UUID_V4)
    const none: HeaderRecord = {}
    const id = ensureRequestId(none)
    expect(id).toMatch(UUID_V4)
    expect(none['x-request-id']).toBe(id)
  })
})
