// `pnpm bench`: the route()/compile() microbenchmarks (vitest bench), then the proxy benchmark.
// Flags pass through to bench/run.mjs: --quick, --full, --only=portico,nginx; --no-micro skips vitest.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
if (!args.includes('--no-micro')) {
  const r = spawnSync(join(root, 'node_modules/.bin/vitest'), ['bench', '--run', 'packages/core/bench'], {
    cwd: root,
    stdio: 'inherit',
  })
  if (r.status !== 0) console.error(`vitest bench exited ${r.status}; continuing with the proxy benchmark`)
}
const r = spawnSync(
  process.execPath,
  [join(root, 'bench/run.mjs'), ...args.filter((a) => a !== '--no-micro')],
  { cwd: root, stdio: 'inherit' },
)
process.exit(r.status ?? 1)
