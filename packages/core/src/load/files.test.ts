import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadResources } from './files.js'
import { sourceOf } from './source.js'

const dr = (name: string) =>
  `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: ${name}}\nspec: {host: ${name}}\n`

let root: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'portico-load-'))
  await mkdir(join(root, 'config', 'b-sub', 'deeper'), { recursive: true })
  await mkdir(join(root, 'config', 'a-sub'), { recursive: true })
  await writeFile(join(root, 'config', 'z.yaml'), dr('z'))
  await writeFile(join(root, 'config', 'm.yml'), `${dr('m1')}---\n${dr('m2')}`)
  await writeFile(
    join(root, 'config', 'j.json'),
    JSON.stringify({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'j' },
      spec: { host: 'j' },
    }),
  )
  await writeFile(join(root, 'config', 'README.md'), '# not config\n')
  await writeFile(join(root, 'config', 'notes.txt'), 'kind: [\n')
  await writeFile(join(root, 'config', 'a-sub', 'a.YAML'), dr('a'))
  await writeFile(join(root, 'config', 'b-sub', 'deeper', 'd.yaml'), dr('d'))
  await writeFile(join(root, 'config', 'b-sub', 'broken.yaml'), 'kind: [\n')
  await writeFile(join(root, 'explicit.conf'), dr('explicit'))
  // A symlink loop must not make the walk go round forever.
  await symlink(join(root, 'config'), join(root, 'config', 'b-sub', 'loop'), 'dir')
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('loadResources', () => {
  test('directories are read recursively, sorted, .yaml/.yml/.json only', async () => {
    const { resources, diagnostics } = await loadResources(['config'], { cwd: root })
    expect(resources.map((r) => r.metadata.name)).toEqual(['a', 'd', 'j', 'm1', 'm2', 'z'])
    expect(diagnostics.map((d) => `${d.code} ${d.source?.file}`)).toEqual([
      `PTC1001 ${join('config', 'b-sub', 'broken.yaml')}`,
    ])
    const d = resources[1]
    expect(d && sourceOf(d)?.file).toBe(join('config', 'b-sub', 'deeper', 'd.yaml'))
    expect(d && sourceOf(d)?.locate(['spec', 'host'])).toEqual({
      file: join('config', 'b-sub', 'deeper', 'd.yaml'),
      line: 4,
      column: 8,
    })
  })

  test('argument order is load order; explicit files are read whatever their extension', async () => {
    const { resources, diagnostics } = await loadResources(
      [join(root, 'explicit.conf'), join('config', 'z.yaml'), join('config', 'm.yml')],
      { cwd: root },
    )
    expect(diagnostics).toEqual([])
    expect(resources.map((r) => r.metadata.name)).toEqual(['explicit', 'z', 'm1', 'm2'])
    expect(resources[0] && sourceOf(resources[0])?.file).toBe(join(root, 'explicit.conf'))
  })

  test('an unknown path is an error naming it; the other paths still load', async () => {
    const { resources, diagnostics } = await loadResources(['missing.yaml', join('config', 'z.yaml')], {
      cwd: root,
    })
    expect(resources.map((r) => r.metadata.name)).toEqual(['z'])
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        code: 'PTC1000',
        message: 'cannot read missing.yaml: no such file or directory',
        source: { file: 'missing.yaml', line: 1, column: 1 },
      },
    ])
  })

  test('- reads standard input once, from a stream', async () => {
    const stdin = Readable.from([Buffer.from(dr('in1')), Buffer.from(`---\n${dr('in2')}`)])
    const { resources, diagnostics } = await loadResources(['-', join('config', 'z.yaml'), '-'], {
      cwd: root,
      stdin,
    })
    expect(diagnostics).toEqual([])
    expect(resources.map((r) => r.metadata.name)).toEqual(['in1', 'in2', 'z'])
    expect(resources[1] && sourceOf(resources[1])?.locate(['metadata', 'name'])).toEqual({
      file: '<stdin>',
      line: 8,
      column: 12,
    })
  })

  test('a resource defined in two files is reported once, at the later definition', async () => {
    const { resources, diagnostics } = await loadResources(
      [join('config', 'z.yaml'), '-', join('config', 'z.yaml')],
      {
        cwd: root,
        stdin: dr('other'),
      },
    )
    expect(resources.map((r) => r.metadata.name)).toEqual(['z', 'other', 'z'])
    expect(diagnostics).toEqual([
      {
        severity: 'warning',
        code: 'PTC1006',
        message: `DestinationRule default/z is defined more than once; the later definition replaces the earlier one (first defined at ${join('config', 'z.yaml')}:1:1)`,
        resource: { kind: 'DestinationRule', namespace: 'default', name: 'z' },
        path: 'metadata.name',
        source: { file: join('config', 'z.yaml'), line: 3, column: 12 },
      },
    ])
  })

  test('- reads standard input given as a string', async () => {
    const { resources } = await loadResources(['-'], { stdin: dr('text') })
    expect(resources.map((r) => r.metadata.name)).toEqual(['text'])
  })

  test('multi-byte characters split across chunks decode correctly', async () => {
    const text = Buffer.from(`${dr('utf')}# é ü 中\n`)
    const chunks = [text.subarray(0, text.length - 5), text.subarray(text.length - 5)]
    const { resources, diagnostics } = await loadResources(['-'], { stdin: Readable.from(chunks) })
    expect(diagnostics).toEqual([])
    expect(resources).toHaveLength(1)
  })

  test('an aborted signal stops before reading', async () => {
    const controller = new AbortController()
    controller.abort()
    const result = await loadResources(['config'], { cwd: root, signal: controller.signal })
    expect(result).toEqual({ resources: [], diagnostics: [], rejected: [] })
  })
})
