import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const text = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8')
const server = join(root, 'packages', 'server', 'src')

/** Every `code span` that names a .ts file. */
function namedFiles(): string[] {
  return [...text.matchAll(/`([\w./-]+\.ts)`/g)].map((m) => m[1] as string)
}

/** Where a name may be relative to: the repo, packages/, a package's sources, a server room. */
function bases(): string[] {
  const rooms = readdirSync(server, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(server, d.name))
  return [
    root,
    join(root, 'packages'),
    join(root, 'packages', 'core', 'src'),
    join(root, 'packages', 'testing', 'src'),
    server,
    ...rooms,
  ]
}

describe('docs/architecture.md', () => {
  it('names only files that exist', () => {
    const named = namedFiles()
    expect(named.length).toBeGreaterThan(30)
    const candidates = bases()
    const missing = named.filter((name) => !candidates.some((base) => existsSync(join(base, name))))
    expect(missing).toEqual([])
  })

  it('lists every production file of the server rooms', () => {
    const rooms = ['downstream', 'proxy', 'upstream', 'events', 'metrics', 'access-log', 'admin', 'watch']
    const unlisted: string[] = []
    for (const room of rooms) {
      for (const file of readdirSync(join(server, room))) {
        if (!file.endsWith('.ts') || file.endsWith('.test.ts') || file === 'index.ts') continue
        if (!text.includes(`\`${file}\``) && !text.includes(`\`${room}/${file}\``))
          unlisted.push(`${room}/${file}`)
      }
    }
    expect(unlisted).toEqual([])
  })
})
