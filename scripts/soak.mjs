#!/usr/bin/env node
// `pnpm soak [--duration 10m|600s|600]`: runs the soak (packages/server/src/test/soak/gateway.soak.ts)
// for the given time, printing RSS, heap, fds, handles, req/s and p99 every 10 s. Needs `pnpm build`.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

function seconds(text) {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text ?? '')
  if (!match) throw new Error(`--duration: expected a number with s, m or h (got ${text})`)
  return Math.round(Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] ?? 's'])
}

const args = process.argv.slice(2)
const at = args.indexOf('--duration')
const duration = at >= 0 ? seconds(args[at + 1]) : 120
const root = fileURLToPath(new URL('..', import.meta.url))
const result = spawnSync(
  'npx',
  ['vitest', 'run', '--config', 'vitest.soak.config.ts', '--reporter', 'verbose'],
  { cwd: root, stdio: 'inherit', env: { ...process.env, PORTICO_SOAK_SECONDS: String(duration) } },
)
process.exit(result.status ?? 1)
