import { defineConfig } from 'vitest/config'
import base from './vitest.config.js'

/** `pnpm soak`: the long leak and churn run (`packages/server/src/test/soak/*.soak.ts`), not part of `pnpm test`. */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['packages/server/src/test/soak/*.soak.ts'],
    testTimeout: 0,
    hookTimeout: 60_000,
  },
})
