import { describe, expect, it } from 'vitest'
import { normalizeTarget } from './normalize.js'

const base = (target: string) => {
  const r = normalizeTarget(target)
  return r.ok ? `${r.path}${r.query === '' ? '' : `?${r.query}`}` : `REJECT ${r.reason}`
}

describe('normalizeTarget BASE (Envoy normalize_path, test/common/http/path_utility_test.cc vectors)', () => {
  it.each([
    ['/a/b/../c', '/a/c'],
    ['/a/b/./c', '/a/b/c'],
    ['/a/b/../../../../c', '/c'],
    ['/a/..\\c', '/c'],
    ['/a/b/%2E%2E/c', '/a/c'],
    ['/a/b/%2E./c', '/a/c'],
    ['/xyz/..;foo=bar/abc', '/abc'],
    ['/%5c%25', '/%5c%25'],
    ['/a/b/..', '/a/'],
    ['/a/.', '/a/'],
    ['/..', '/'],
    ['/a//../b', '/a/b'],
    ['/status/200', '/status/200'],
    ['//status/200', '//status/200'],
    ['/%41%62%7e%2d', '/Ab~-'],
    ['/%252e', '/%252e'],
    ['/a%2Fb', '/a%2Fb'],
    ['/a b', '/a%20b'],
    ['/a"<>`', '/a%22%3C%3E%60'],
    ['/a/../b?x=/../y', '/b?x=/../y'],
    ['/a#frag', '/a'],
    ['/a?q=1#frag', '/a?q=1'],
  ])('%s → %s', (input, expected) => {
    expect(base(input)).toBe(expected)
  })

  it.each([['/xyz/.%00../abc'], ['/a%zz'], ['/a%4'], ['a/b'], ['*'], ['/a\u0001']])('rejects %s', (input) => {
    expect(normalizeTarget(input).ok).toBe(false)
  })

  it('rejects a fragment when asked to', () => {
    expect(normalizeTarget('/a#x', { fragment: 'reject' }).ok).toBe(false)
  })

  it('is idempotent on its output', () => {
    for (const t of ['/a/./b/../c/%2e%2E/d', '/x//y/..', '/%7Euser/./a']) {
      const once = normalizeTarget(t)
      expect(once.ok).toBe(true)
      if (!once.ok) continue
      const twice = normalizeTarget(once.path)
      expect(twice).toEqual({ ok: true, path: once.path, query: '' })
    }
  })
})

describe('normalizeTarget modes', () => {
  it('NONE forwards the path as received', () => {
    expect(normalizeTarget('/a/../b', { normalization: 'NONE' })).toEqual({
      ok: true,
      path: '/a/../b',
      query: '',
    })
  })
  it('MERGE_SLASHES merges after BASE', () => {
    expect(normalizeTarget('//a///b/../c', { normalization: 'MERGE_SLASHES' })).toMatchObject({
      path: '/a/c',
    })
    expect(normalizeTarget('/a%2F%2Fb', { normalization: 'MERGE_SLASHES' })).toMatchObject({
      path: '/a%2F%2Fb',
    })
  })
  it('DECODE_AND_MERGE_SLASHES decodes %2F and %5C first', () => {
    expect(normalizeTarget('/a%2F..%5Cb', { normalization: 'DECODE_AND_MERGE_SLASHES' })).toMatchObject({
      path: '/b',
    })
    expect(normalizeTarget('/a%2f%2fb', { normalization: 'DECODE_AND_MERGE_SLASHES' })).toMatchObject({
      path: '/a/b',
    })
  })
  it('escaped slashes: reject, forward or redirect', () => {
    expect(normalizeTarget('/a%2Fb', { escapedSlashes: 'REJECT_REQUEST' }).ok).toBe(false)
    expect(normalizeTarget('/a%2Fb', { escapedSlashes: 'UNESCAPE_AND_FORWARD' })).toMatchObject({
      path: '/a/b',
    })
    expect(normalizeTarget('/a%2Fb', { escapedSlashes: 'UNESCAPE_AND_REDIRECT' })).toMatchObject({
      path: '/a/b',
      redirect: true,
    })
    expect(normalizeTarget('/a/b', { escapedSlashes: 'UNESCAPE_AND_REDIRECT' })).not.toHaveProperty(
      'redirect',
    )
  })
})
