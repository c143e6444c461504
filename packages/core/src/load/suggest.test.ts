import { describe, expect, test } from 'vitest'
import { didYouMean, editDistance } from './suggest.js'

describe('editDistance', () => {
  test.each([
    ['', '', 0],
    ['a', '', 1],
    ['', 'abc', 3],
    ['mach', 'match', 1],
    ['tsl', 'tls', 1],
    ['kitten', 'sitting', 3],
    ['abc', 'abc', 0],
    ['ca', 'abc', 3],
  ])('%j → %j = %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d)
    expect(editDistance(b, a)).toBe(d)
  })
})

describe('didYouMean', () => {
  const httpRoute = [
    'name',
    'match',
    'route',
    'redirect',
    'directResponse',
    'rewrite',
    'timeout',
    'retries',
    'headers',
  ]
  test.each([
    ['mach', 'match'],
    ['timout', 'timeout'],
    ['Match', 'match'],
    ['direct_response', 'directResponse'],
    ['rout', 'route'],
    ['header', 'headers'],
    ['zzzzzz', undefined],
    ['x', undefined],
    ['destination', undefined],
  ])('%j → %j', (word, expected) => {
    expect(didYouMean(word, httpRoute)).toBe(expected)
  })
})
