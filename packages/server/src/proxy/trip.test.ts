import { describe, expect, it } from 'vitest'
import { Trip } from './trip.js'

describe('Trip', () => {
  it('calls its listeners once, in the order they were added, minus those removed', () => {
    const trip = new Trip()
    const calls: string[] = []
    const a = () => calls.push('a')
    const b = () => calls.push('b')
    const c = () => calls.push('c')
    const d = () => calls.push('d')
    trip.once('abort', a).once('abort', b).once('abort', c).on('abort', d)
    trip.removeListener('abort', a)
    trip.removeListener('abort', c)
    trip.once('abort', a)
    trip.abort('why')
    trip.abort('again')
    expect(calls).toEqual(['b', 'd', 'a'])
    expect(trip.aborted).toBe(true)
    expect(trip.reason).toBe('why')
  })

  it('keeps a listener added after all others were removed, and none after it fired', () => {
    const trip = new Trip()
    const calls: string[] = []
    const a = () => calls.push('a')
    const b = () => calls.push('b')
    trip.once('abort', a)
    trip.removeListener('abort', a)
    trip.removeListener('abort', b)
    trip.once('abort', b)
    trip.abort()
    trip.once('abort', a)
    trip.abort()
    expect(calls).toEqual(['b'])
  })
})
