import { type SeedStep, seedResources as seedFixture } from '@portico/testing'
import { createSnapshot, type SnapshotResource } from '../model/snapshot.js'
import { type CompileOptions, compile } from './compile.js'
import type { CompiledConfig, RequestFacts } from './types.js'

/** A resource as the loader produces it (test fixtures only). */
export type TestResource = SnapshotResource & {
  readonly apiVersion?: string
  readonly spec?: unknown
  readonly [k: string]: unknown
}

/** Compiles plain resources (fixtures for tests and benchmarks). */
export function compileResources(
  resources: readonly TestResource[],
  options?: CompileOptions,
): CompiledConfig {
  return compile(createSnapshot(resources), options).value
}

/** Request facts with defaults: GET, http, no headers. */
export function facts(
  port: number,
  authority: string,
  path: string,
  extra: Partial<RequestFacts> = {},
): RequestFacts {
  return { port, authority, path, scheme: 'http', method: 'GET', headers: {}, ...extra }
}

/**
 * The seed scenario (control-ingress-traffic) at `step`, from `@portico/testing`'s one definition:
 * httpbin as a STATIC ServiceEntry at 127.0.0.1:18001 with the label `version: v1`.
 */
export function seedResources(step: SeedStep = 1): TestResource[] {
  return seedFixture(step, { httpbinPort: 18001, httpbinLabels: { version: 'v1' } })
}
