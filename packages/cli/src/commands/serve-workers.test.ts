import { availableParallelism } from 'node:os'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../io.js'
import { servesAdmin, workerCount } from './serve-workers.js'

describe('workerCount', () => {
  it('defaults to one process without --workers', () => {
    expect(workerCount(undefined)).toBe(1)
  })

  it('reads a whole number and "auto" as the number of cores', () => {
    expect(workerCount('3')).toBe(3)
    expect(workerCount('auto')).toBe(Math.max(1, availableParallelism()))
  })

  it.each(['0', '-1', '1.5', 'two', '', '1e3'])('refuses %j as a usage error', (value) => {
    expect(() => workerCount(value)).toThrow(UsageError)
  })
})

describe('servesAdmin', () => {
  it('is true in a process that is not a cluster worker', () => {
    expect(servesAdmin()).toBe(true)
  })
})
