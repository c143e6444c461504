import { describe, expect, it } from 'vitest'
import { compileRegex, translateRe2ToJs, translateSubstitution } from './regex.js'

function compiled(pattern: string) {
  const r = compileRegex(pattern)
  if (!r.ok) throw new Error(r.error)
  return r.regex
}

describe('compileRegex', () => {
  it('full-matches (Envoy safe_regex)', () => {
    expect(compiled('/status/[0-9]+').fullMatch('/status/200')).toBe(true)
    expect(compiled('/status/[0-9]+').fullMatch('/status/200/x')).toBe(false)
    expect(compiled('a|b').fullMatch('ab')).toBe(false)
    expect(compiled('a|b').fullMatch('b')).toBe(true)
  })
  it('uses native RegExp for the safe subset and re2js otherwise', () => {
    expect(compiled('/api/v[0-9]{1,3}/.*').engine).toBe('native')
    expect(compiled('/api/v[0-9]+/.*').engine).toBe('re2')
    expect(compiled('(a+)+$').engine).toBe('re2')
    expect(compiled('(?i)/ABC').engine).toBe('re2')
    expect(compiled('\\pL+').engine).toBe('re2')
    expect(compiled('.*a.*').engine).toBe('re2')
  })
  it('keeps RE2 meaning where JS differs', () => {
    // RE2 \s is ASCII whitespace only; JS \s also matches U+00A0.
    expect(compiled('a\\sb').fullMatch('a\u00a0b')).toBe(false)
    expect(compiled('(?i)/abc').fullMatch('/ABC')).toBe(true)
    expect(compiled('\\Qa.b\\E').fullMatch('a.b')).toBe(true)
    expect(compiled('\\Qa.b\\E').fullMatch('axb')).toBe(false)
    expect(compiled('x{').fullMatch('x{')).toBe(true)
    // RE2 `.` is any code point but \n: it matches \r and a whole astral character.
    expect(compiled('a.b').engine).toBe('native')
    expect(compiled('a.b').fullMatch('a\rb')).toBe(true)
    expect(compiled('a.b').fullMatch('a\u{1F600}b')).toBe(true)
    expect(compiled('a.b').fullMatch('a\nb')).toBe(false)
    expect(compiled('[^x]').fullMatch('\u{1F600}')).toBe(true)
  })
  it('reports RE2 syntax errors instead of throwing', () => {
    const r = compileRegex('(a')
    expect(r.ok).toBe(false)
    expect(compileRegex('(?<=a)b').ok).toBe(false)
    expect(compileRegex('(a)\\1').ok).toBe(false)
  })
  it('rewrites with \\N captures in both engines', () => {
    // The Istio docs' example claims `/customprefix/v1/api/update`; RE2 GlobalReplace gives `//`
    // because \2 starts with a slash.
    const sub = translateSubstitution('/customprefix/\\2/\\1')
    const native = compiled('^/service/([^/]{1,64})(/.*)$')
    expect(native.engine).toBe('native')
    expect(native.replaceAll('/service/update/v1/api', sub)).toBe('/customprefix//v1/api/update')
    const re2 = compiled('^/service/([^/]+)(/.*)$')
    expect(re2.engine).toBe('re2')
    expect(re2.replaceAll('/service/update/v1/api', sub)).toBe('/customprefix//v1/api/update')
    expect(compiled('a').replaceAll('banana', translateSubstitution('$'))).toBe('b$n$n$')
  })
  it('translates literals that JS would read differently', () => {
    expect(translateRe2ToJs('/a/b')).toBe('\\/a\\/b')
    expect(translateRe2ToJs('a.b')).toBe('a[^\\n]b')
    expect(compiled('a\\-b\\:c[\\-\\:]').engine).toBe('native')
    expect(compiled('a\\-b\\:c[\\-\\:]').fullMatch('a-b:c:')).toBe(true)
    expect(translateRe2ToJs('(?P<x>a)')).toBeUndefined()
  })
})
