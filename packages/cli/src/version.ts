import { readFileSync } from 'node:fs'

/**
 * The version of `@portico/cli`, read from its package.json (one directory above both `src/`
 * and `dist/`, so it is right in the sources and in the published package).
 */
export function cliVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8')
  const { version } = JSON.parse(text) as { version?: unknown }
  return typeof version === 'string' ? version : 'unknown'
}
