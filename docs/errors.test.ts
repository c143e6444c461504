import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatDiagnostics, parseResources, validate } from '@portico/core'
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

/** The `### ISTnnnn` sections of docs/errors.md: the example YAML and the output shown for it. */
function analyzerExamples(): { code: string; yaml: string; output: string }[] {
  const text = readFileSync(join(root, 'docs', 'errors.md'), 'utf8')
  const out: { code: string; yaml: string; output: string }[] = []
  for (const m of text.matchAll(
    /^### (IST\d{4}) [\s\S]*?```yaml\n([\s\S]*?)```\n\n```text\n([\s\S]*?)```/gm,
  )) {
    out.push({
      code: m[1] as string,
      yaml: m[2] as string,
      output: (m[3] as string).replace(/^\$ .*\n/, '').trimEnd(),
    })
  }
  return out
}

describe('docs/errors.md analyzer examples', () => {
  const examples = analyzerExamples()
  it('has an example for every Istio code the sources use', () => {
    const documented = new Set(examples.map((e) => e.code))
    const missing = [...codesInSources()]
      .filter((code) => code.startsWith('IST') && !documented.has(code))
      .sort()
    expect(missing).toEqual([])
  })
  it.each(examples.map((e) => [e.code, e] as const))(
    '%s: the example prints what the page shows, and has the code',
    (code, example) => {
      const { resources, diagnostics } = parseResources(example.yaml, 'example.yaml')
      const found = [...diagnostics, ...validate(resources)]
      expect(found.some((d) => d.code === code)).toBe(true)
      expect(formatDiagnostics(found)).toBe(example.output)
    },
  )
})

describe('docs/operations.md "Why 404?"', () => {
  it('points only to analyzer codes that errors.md explains with an example', () => {
    const text = readFileSync(join(root, 'docs', 'operations.md'), 'utf8')
    const section = text.slice(text.indexOf('## Why 404?'))
    const cited = new Set([...section.matchAll(/`(IST\d{4})`/g)].map((m) => m[1] as string))
    const explained = new Set(analyzerExamples().map((e) => e.code))
    expect(cited.size).toBeGreaterThan(5)
    expect([...cited].filter((code) => !explained.has(code))).toEqual([])
  })
})
