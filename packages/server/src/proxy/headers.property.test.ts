import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { readClientHello } from '../downstream/client-hello.js'
import type { HeaderRecord } from '../types.js'
import { applyHeaderOps, endToEnd, HOP_BY_HOP } from './headers.js'

const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/)
const value = fc.stringMatching(/^[ -~]{0,20}$/)
/** Values without formatter syntax (`%`), which are copied verbatim. */
const plain = fc.stringMatching(/^[ -$&-~]{0,20}$/)

describe('header hygiene (properties)', () => {
  it('endToEnd never keeps a hop-by-hop field, a field Connection names, or a pseudo header', () => {
    fc.assert(
      fc.property(
        fc.dictionary(token, value),
        fc.array(token, { maxLength: 4 }),
        fc.subarray([...HOP_BY_HOP]),
        (fields, named, hop) => {
          const headers: Record<string, string> = { ...fields, ':path': '/x' }
          for (const h of hop) headers[h] = 'v'
          headers.connection = named.map((n) => (n.length % 2 ? n.toUpperCase() : ` ${n} `)).join(',')
          const out = endToEnd(headers)
          for (const name of Object.keys(out)) {
            expect(HOP_BY_HOP.has(name)).toBe(false)
            expect(named.includes(name)).toBe(false)
            expect(name.startsWith(':')).toBe(false)
          }
          for (const [name, v] of Object.entries(fields)) {
            if (!HOP_BY_HOP.has(name) && !named.includes(name)) expect(out[name]).toBe(v)
          }
        },
      ),
    )
  })

  it('header operations: removals happen before set/add, set overwrites, add appends', () => {
    fc.assert(
      fc.property(fc.dictionary(token, value), token, plain, plain, (fields, name, a, b) => {
        const headers: HeaderRecord = { ...fields }
        applyHeaderOps(headers, [{ remove: [name], set: [[name, a]], add: [[name, b]] }])
        expect(headers[name]).toEqual([a, b])
      }),
    )
  })

  it('formats %% as a literal % and substitutes the downstream address', () => {
    const headers: HeaderRecord = {}
    applyHeaderOps(
      headers,
      [
        {
          remove: [],
          set: [
            ['x-a', '100%%'],
            ['x-peer', '%DOWNSTREAM_REMOTE_ADDRESS%'],
          ],
          add: [],
        },
      ],
      { remoteAddress: '10.1.2.3' },
    )
    expect(headers).toEqual({ 'x-a': '100%', 'x-peer': '10.1.2.3' })
  })
})

describe('readClientHello (properties)', () => {
  it('never throws and never claims a complete hello for a truncated record', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const result = readClientHello(bytes)
        expect(['complete', 'incomplete', 'invalid']).toContain(result.kind)
      }),
      { numRuns: 2000 },
    )
  })

  it('never throws on a plausible handshake header followed by noise', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), (noise) => {
        const len = noise.length + 4
        const body = Buffer.concat([Buffer.from([1, 0, noise.length >> 8, noise.length & 255]), noise])
        const record = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, len >> 8, len & 255]), body])
        const result = readClientHello(record)
        expect(result.kind === 'complete' || result.kind === 'invalid').toBe(true)
      }),
      { numRuns: 2000 },
    )
  })
})
