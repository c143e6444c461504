import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { SERVE_V8_FLAGS, serveV8Flags } from './v8-flags.js'

// Arrays of one literal that all live long enough to survive young collections (the last 20,000
// made), in a young generation kept at its 1 MiB ceiling: V8 decides to pretenure the literal
// (allocate its arrays in the old generation) unless allocation-site pretenuring is off.
const WORKLOAD = `
import { setFlagsFromString } from 'node:v8'
for (const flag of JSON.parse(process.env.FLAGS)) setFlagsFromString(flag)
function make(i) { return [i, String(i)] }
const window = new Array(20000)
let n = 0
function turn() {
  for (let i = 0; i < 2000; i++) window[n++ % window.length] = make(n)
  if (n < 600000) setImmediate(turn)
}
turn()
`

function pretenured(flags: readonly string[]): number {
  const run = spawnSync(
    process.execPath,
    [
      '--max-semi-space-size=1',
      '--trace-pretenuring',
      '--trace-pretenuring-statistics',
      '--input-type=module',
      '-e',
      WORKLOAD,
    ],
    {
      env: { ...process.env, NODE_OPTIONS: '', FLAGS: JSON.stringify(flags) },
      encoding: 'utf8',
      timeout: 60_000,
    },
  )
  expect(run.status).toBe(0)
  return run.stdout.split('\n').filter((line) => /AllocationSite.*=> tenure/.test(line)).length
}

describe('the V8 flags portico serve applies to itself', () => {
  it('stop V8 from pretenuring an allocation site when set after start', () => {
    expect(pretenured([])).toBeGreaterThan(0)
    expect(pretenured(SERVE_V8_FLAGS)).toBe(0)
  })

  it("leave a flag the user gave Node either way to the user's choice", () => {
    expect(serveV8Flags('')).toEqual(['--no-allocation-site-pretenuring'])
    expect(serveV8Flags('--allocation-site-pretenuring')).toEqual([])
    expect(serveV8Flags('--max-semi-space-size=32 --no-allocation_site_pretenuring')).toEqual([])
    expect(serveV8Flags('--max-semi-space-size=32')).toEqual(['--no-allocation-site-pretenuring'])
  })
})
