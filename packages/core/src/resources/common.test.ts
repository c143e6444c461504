import { describe, expect, it } from 'vitest'
import { durationSchema } from './common.js'

describe('durationSchema', () => {
  it('takes Go duration units, microseconds in both spellings Go accepts (micro sign and Greek mu)', () => {
    for (const text of ['10s', '1.5s', '1h30m', '250ms', '100us', '100\u00b5s', '100\u03bcs', '5ns', '0'])
      expect(durationSchema.safeParse(text).success, text).toBe(true)
    for (const text of ['10', '100xs', '1 s', '100\u00c2s', 's'])
      expect(durationSchema.safeParse(text).success, text).toBe(false)
  })
})
