#!/usr/bin/env node
// The packages as a user gets them: `pnpm pack` each one (workspace: ranges become versions),
// check each with publint and "are the types wrong", then install the tarballs with plain npm
// into an empty project (no pnpm, no workspace), run `import { createGateway } from
// '@portico/server'` and the `portico` binary, and type-check an import under
// `moduleResolution` NodeNext and Bundler. Needs the packages built (`pnpm build`) and the npm
// registry for the packages' own dependencies. Exits non-zero on the first failure.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
// Every published package of the workspace.
const packages = readdirSync(join(root, 'packages')).filter((dir) => {
  try {
    return JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')).private !== true
  } catch {
    return false
  }
})
const bin = (name) => join(root, 'node_modules', '.bin', name)
const work = mkdtempSync(join(tmpdir(), 'portico-pack-'))
const tarballs = join(work, 'tarballs')
const project = join(work, 'project')

function run(command, args, cwd, label) {
  const started = Date.now()
  try {
    const out = execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    process.stdout.write(`pack-check: ${label} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`)
    return out
  } catch (error) {
    process.stderr.write(`${error.stdout ?? ''}${error.stderr ?? ''}`)
    throw new Error(`pack-check: ${label} failed`)
  }
}

try {
  mkdirSync(tarballs)
  mkdirSync(project)
  const files = {}
  run(
    'npx',
    [
      '--yes',
      'pnpm@10.34.9',
      '--recursive',
      '--filter',
      './packages/*',
      'pack',
      '--pack-destination',
      tarballs,
    ],
    root,
    `pnpm pack ${packages.map((n) => `@portico/${n}`).join(' ')}`,
  )
  for (const name of packages) {
    const dir = join(root, 'packages', name)
    const tgz = readdirSync(tarballs).find((f) => f.startsWith(`portico-${name}-`) && f.endsWith('.tgz'))
    if (tgz === undefined) throw new Error(`pack-check: no tarball for @portico/${name}`)
    files[name] = join(tarballs, tgz)
    run(bin('publint'), ['run', files[name], '--level', 'warning'], dir, `publint @portico/${name}`)
    // ESM-only packages: node10 and CommonJS `require` resolution are out of scope by design.
    run(
      bin('attw'),
      [files[name], '--profile', 'esm-only', '--format', 'table-flipped'],
      dir,
      `attw @portico/${name}`,
    )
  }

  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify(
      {
        name: 'portico-consumer',
        private: true,
        type: 'module',
        dependencies: Object.fromEntries(packages.map((n) => [`@portico/${n}`, `file:${files[n]}`])),
        devDependencies: { '@types/node': '^20.19.0' },
      },
      null,
      2,
    )}\n`,
  )
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], project, 'npm install the tarballs')

  writeFileSync(
    join(project, 'run.mjs'),
    `import { parseResources } from '@portico/core'
import { createGateway } from '@portico/server'
const { resources } = parseResources(\`
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ['*'] }]
\`, 'gw.yaml')
const gateway = await createGateway({ config: { resources }, ports: { 80: 0 } })
const { port } = gateway.addresses['80']
const res = await fetch(\`http://127.0.0.1:\${port}/\`)
await gateway.close()
if (res.status !== 404) throw new Error(\`expected 404 from a gateway without routes, got \${res.status}\`)
console.log('createGateway ran: 404 with no routes')
`,
  )
  process.stdout.write(
    run(process.execPath, ['run.mjs'], project, 'run createGateway from the installed package'),
  )
  const version = run(
    join(project, 'node_modules', '.bin', 'portico'),
    ['--version'],
    project,
    'portico --version',
  ).trim()
  if (!/^\d+\.\d+\.\d+/.test(version)) throw new Error(`pack-check: portico --version printed "${version}"`)

  writeFileSync(
    join(project, 'index.ts'),
    `import { type CompiledConfig, compile, createSnapshot } from '@portico/core'
import { createGateway, type Gateway, type GatewayOptions } from '@portico/server'
import { startHttpbin } from '@portico/testing'
import { main } from '@portico/cli'

const compiled: CompiledConfig = compile(createSnapshot([])).value
const options: GatewayOptions = { config: compiled, ports: { 80: 0 } }
const gateway: Promise<Gateway> = createGateway(options)
const exit: Promise<number> = main(['--version'])
export { exit, gateway, startHttpbin }
`,
  )
  const base = { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', types: ['node'] }
  for (const [label, compilerOptions] of [
    ['NodeNext', { ...base, module: 'NodeNext', moduleResolution: 'NodeNext' }],
    ['Bundler', { ...base, module: 'ESNext', moduleResolution: 'Bundler' }],
  ]) {
    const config = `tsconfig.${label}.json`
    writeFileSync(
      join(project, config),
      `${JSON.stringify({ compilerOptions, files: ['index.ts'] }, null, 2)}\n`,
    )
    run(bin('tsc'), ['-p', config], project, `tsc with moduleResolution ${label}`)
  }
  process.stdout.write('pack-check: every package installs, runs and type-checks\n')
} finally {
  rmSync(work, { recursive: true, force: true })
}
