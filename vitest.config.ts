import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url))

/** One run covers every package; workspace packages resolve to their sources, so tests need no build. */
export default defineConfig({
  resolve: {
    alias: {
      '@portico/core': pkg('core'),
      '@portico/server': pkg('server'),
      '@portico/testing': pkg('testing'),
      '@portico/etcd': pkg('etcd'),
      '@portico/cli': pkg('cli'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'examples/**/*.test.ts', 'docs/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
})
