import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))

// What the built CLI loads before any command runs: every CommonJS module it pulls in.
function commonJsLoadedBy(specifier: string): string[] {
  const probe = `
    import { createRequire } from 'node:module'
    await import(${JSON.stringify(specifier)})
    process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)))
  `
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' })
  expect(r.stderr).toBe('')
  return JSON.parse(r.stdout) as string[]
}

describe('what the portico command loads up front', () => {
  it('leaves out the testing kit (node-forge) until portico demo needs it', () => {
    const loaded = commonJsLoadedBy(cli)
    // yaml is CommonJS and always needed: it shows the probe sees the CLI's dependencies.
    expect(loaded.some((f) => f.includes('/node_modules/yaml/'))).toBe(true)
    expect(loaded.filter((f) => f.includes('/node_modules/node-forge/'))).toEqual([])
  })
})
