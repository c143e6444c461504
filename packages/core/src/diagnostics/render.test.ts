import { describe, expect, it } from 'vitest'
import { formatPath } from './diagnostic.js'
import { formatDiagnostic, sortDiagnostics } from './render.js'

describe('formatPath', () => {
  it('prints property names dotted and indexes bracketed', () => {
    expect(formatPath(['spec', 'http', 0, 'match', 1, 'uri', 'regex'])).toBe(
      'spec.http[0].match[1].uri.regex',
    )
  })
  it('quotes keys that are not identifiers', () => {
    expect(formatPath(['metadata', 'labels', 'app.kubernetes.io/name'])).toBe(
      'metadata.labels["app.kubernetes.io/name"]',
    )
  })
})

describe('formatDiagnostic', () => {
  it('prints file:line:col, severity, code, message, resource and path', () => {
    const line = formatDiagnostic({
      severity: 'error',
      code: 'PTC1001',
      message: 'unknown field "mach", did you mean "match"?',
      resource: { kind: 'VirtualService', namespace: 'default', name: 'httpbin' },
      path: 'spec.http[0].mach',
      source: { file: 'vs.yaml', line: 9, column: 5 },
    })
    expect(line).toBe(
      'vs.yaml:9:5  error  PTC1001  unknown field "mach", did you mean "match"?  (VirtualService default/httpbin  spec.http[0].mach)',
    )
  })
  it('sorts by file, then position, errors first', () => {
    const sorted = sortDiagnostics([
      { severity: 'warning', code: 'B', message: '', source: { file: 'a', line: 2, column: 1 } },
      { severity: 'error', code: 'C', message: '', source: { file: 'a', line: 2, column: 1 } },
      { severity: 'error', code: 'A', message: '', source: { file: 'a', line: 1, column: 9 } },
    ])
    expect(sorted.map((d) => d.code)).toEqual(['A', 'C', 'B'])
  })
})
