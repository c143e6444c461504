import { execFile } from 'node:child_process'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../', import.meta.url))

describe('docs/embedding.md', () => {
  it('the 15-line gateway runs as written (on ephemeral ports)', { timeout: 30_000 }, async () => {
    const text = await readFile(join(root, 'docs/embedding.md'), 'utf8')
    const snippet = /## A gateway in 15 lines\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(text)?.[1]
    expect(snippet).toBeDefined()
    const lines = (snippet ?? '').trimEnd().split('\n')
    expect(lines.length).toBeLessThanOrEqual(15)
    const program = (snippet ?? '')
      .replace('ports: { 80: 8080 }', 'ports: { 80: 0 }')
      .replace("process.once('SIGTERM', () => gateway.close())", 'await gateway.close()')
    const dir = join(root, '.portico')
    await mkdir(dir, { recursive: true })
    const file = join(dir, `embedding-snippet-${process.pid}.mjs`)
    await writeFile(file, program)
    try {
      const run = await new Promise<{ code: number; out: string }>((resolve) =>
        execFile(process.execPath, [file], { cwd: root }, (error, stdout, stderr) =>
          resolve({ code: error === null ? 0 : Number(error.code ?? 1), out: stdout + stderr }),
        ),
      )
      expect(run.code, run.out).toBe(0)
      expect(run.out).toMatch(/'80': \{ address: '127\.0\.0\.1', port: \d+, protocol: 'HTTP' \}/)
    } finally {
      await rm(file, { force: true })
    }
  })
})
