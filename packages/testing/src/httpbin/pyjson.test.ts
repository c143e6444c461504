import { describe, expect, it } from 'vitest'
import { dumpsText, jsonifyText } from './pyjson.js'

describe('Python-style JSON', () => {
  it('pretty-prints like Flask 1.0 jsonify: sorted keys, indent 2, ", " separator, final newline', () => {
    expect(jsonifyText({ b: [1, 'x'], a: {}, c: [] })).toBe(
      '{\n  "a": {}, \n  "b": [\n    1, \n    "x"\n  ], \n  "c": []\n}\n',
    )
  })

  it('escapes everything outside printable ASCII with lowercase \\u escapes', () => {
    expect(dumpsText('é\u007f\n"\\😀\u0001')).toBe('"\\u00e9\\u007f\\n\\"\\\\\\ud83d\\ude00\\u0001"')
  })

  it('keeps insertion order and uses ", " / ": " on one line for json.dumps', () => {
    expect(dumpsText({ z: 1, a: [true, null] })).toBe('{"z": 1, "a": [true, null]}')
  })
})
