import { describe, expect, it } from 'vitest'
import { trustedClientAddress } from '../proxy/headers.js'

describe('trustedClientAddress (Envoy xff_num_trusted_hops)', () => {
  it.each([
    ['no trusted hops: the peer, whatever the header says', '1.1.1.1, 2.2.2.2', 0, '9.9.9.9'],
    ['one hop: the right-most entry', '1.1.1.1, 2.2.2.2', 1, '2.2.2.2'],
    ['two hops: the next one', '1.1.1.1,2.2.2.2', 2, '1.1.1.1'],
    ['more hops than entries: the peer', '1.1.1.1', 2, '9.9.9.9'],
    ['an empty entry: the peer', '1.1.1.1, ', 1, '9.9.9.9'],
    ['no header: the peer', undefined, 1, '9.9.9.9'],
  ] as const)('%s', (_name, header, hops, expected) => {
    expect(trustedClientAddress(header, '9.9.9.9', hops)).toBe(expected)
  })

  it('joins repeated header lines in order', () => {
    expect(trustedClientAddress(['1.1.1.1', '2.2.2.2, 3.3.3.3'], '9.9.9.9', 3)).toBe('1.1.1.1')
  })
})
