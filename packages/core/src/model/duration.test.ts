import { describe, expect, test } from 'vitest'
import { parseDuration, parseDurationNanos } from './duration.js'

describe('parseDuration (Go time.ParseDuration syntax)', () => {
  test.each([
    ['10s', 10_000],
    ['1.5s', 1500],
    ['500ms', 500],
    ['1m', 60_000],
    ['1h30m', 5_400_000],
    ['100us', 0.1],
    ['100µs', 0.1],
    ['100μs', 0.1],
    ['1500us', 1.5],
    ['250ns', 0.00025],
    ['0', 0],
    ['+0', 0],
    ['0s', 0],
    ['-1.5h', -5_400_000],
    ['+10s', 10_000],
    ['.5s', 500],
    ['1.s', 1000],
    ['1h1m1s1ms', 3_661_001],
    ['1.001s', 1001],
    ['2562047h', 2562047 * 3_600_000],
  ])('%s parses to %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9)
  })

  test.each([
    '10',
    '1d',
    '10 s',
    ' 10s',
    '10s ',
    '',
    's',
    '.s',
    '1.2.3s',
    '-',
    '1S',
    '1sec',
    '10e3ms',
    '1h-30m',
    '0x10s',
    '3000000h', // overflows int64 nanoseconds
    '9223372036854775808ns',
  ])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined()
  })

  test('exact nanoseconds as Go computes them', () => {
    expect(parseDurationNanos('1.5ms')).toBe(1_500_000n)
    expect(parseDurationNanos('0.001s')).toBe(1_000_000n)
    expect(parseDurationNanos('9223372036854775807ns')).toBe(9223372036854775807n)
    expect(parseDurationNanos('1h30m')).toBe(5_400_000_000_000n)
  })
})
