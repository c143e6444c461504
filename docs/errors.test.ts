import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path))
    else if (path.endsWith('.ts') && !path.endsWith('.test.ts')) out.push(path)
  }
  return out
}

function codesInSources(): Set<string> {
  const codes = new Set<string>()
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const src = join(root, 'packages', pkg, 'src')
    try {
      statSync(src)
    } catch {
      continue
    }
    for (const file of sourceFiles(src)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/['"`]((?:PTC|IST)\d{4})['"`]/g))
        codes.add(m[1] as string)
    }
  }
  return codes
}

function codesInDocs(): Set<string> {
  const text = readFileSync(join(root, 'docs', 'errors.md'), 'utf8')
  return new Set([...text.matchAll(/^\|\s*((?:PTC|IST)\d{4})\s*\|/gm)].map((m) => m[1] as string))
}

describe('docs/errors.md', () => {
  it('lists every diagnostic code the sources use', () => {
    const documented = codesInDocs()
    const missing = [...codesInSources()].filter((code) => !documented.has(code)).sort()
    expect(missing).toEqual([])
  })
  it('lists each code once', () => {
    const text = readFileSync(join(root, 'docs', 'errors.md'), 'utf8')
    const rows = [...text.matchAll(/^\|\s*((?:PTC|IST)\d{4})\s*\|/gm)].map((m) => m[1] as string)
    expect(rows.length).toBe(new Set(rows).size)
  })
})
