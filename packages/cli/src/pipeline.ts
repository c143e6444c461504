import {
  type CompiledConfig,
  compile,
  createSnapshot,
  type Diagnostic,
  hasErrors,
  loadRegexEngine,
  loadResources,
  type Resource,
  sortDiagnostics,
  sourceOf,
  validate,
} from '@portico/core'
import type { EtcdStore } from '@portico/etcd'
import type { CliIo } from './io.js'

/** What the commands that read configuration get: resources, every finding, and the compiled config when valid. */
export interface LoadedConfig {
  readonly resources: readonly Resource[]
  readonly diagnostics: readonly Diagnostic[]
  /** Absent when loading or validation found errors. */
  readonly compiled?: CompiledConfig
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  readonly labels?: Readonly<Record<string, string>>
  /** The gateway's namespace, for security policy scope (default `istio-system`). */
  readonly namespace?: string
  readonly portMap?: Readonly<Record<number, number>>
  /** The GatewayClass whose Gateway API Gateways are served (default `istio`). */
  readonly gatewayClassName?: string
  /** Resources added after the files' (e.g. a generated TLS Secret). */
  readonly extra?: readonly Resource[]
}

/** Loads, validates and (when valid) compiles the configuration in `files`. */
export async function loadConfig(
  files: readonly string[],
  io: CliIo,
  options: LoadConfigOptions = {},
): Promise<LoadedConfig> {
  const loaded = await loadResources(files, { cwd: io.cwd, stdin: io.stdin })
  await loadRegexEngine([...loaded.resources, ...(options.extra ?? [])])
  return checkConfig(loaded.resources, loaded.diagnostics, options, loaded.rejected)
}

/** Reads, validates and (when valid) compiles the configuration in a store (`--store`) at its current revision. */
export async function loadStoreConfig(
  store: EtcdStore,
  options: LoadConfigOptions = {},
): Promise<LoadedConfig & { readonly revision: number }> {
  const read = await store.read()
  await loadRegexEngine(read.resources)
  return { ...checkConfig(read.resources, read.diagnostics, options), revision: read.revision }
}

function checkConfig(
  loadedResources: readonly Resource[],
  loadDiagnostics: readonly Diagnostic[],
  options: LoadConfigOptions,
  rejected: readonly Resource[] = [],
): LoadedConfig {
  const resources = [...loadedResources, ...(options.extra ?? [])]
  const findings = [
    ...loadDiagnostics,
    ...validate(resources, {
      rejected,
      ...(options.labels ? { gatewayLabels: options.labels } : {}),
      ...(options.namespace ? { gatewayNamespace: options.namespace } : {}),
    }),
  ]
  if (hasErrors(findings)) return { resources, diagnostics: sortDiagnostics(findings) }
  const compiled = compile(createSnapshot(resources), {
    ...(options.labels ? { labels: options.labels } : {}),
    ...(options.namespace ? { namespace: options.namespace } : {}),
    ...(options.portMap ? { portMap: options.portMap } : {}),
    ...(options.gatewayClassName ? { gatewayClassName: options.gatewayClassName } : {}),
    locate: (resource, path) => sourceOf(resource as Resource)?.locate(path),
  })
  return {
    resources,
    diagnostics: sortDiagnostics([...findings, ...compiled.diagnostics]),
    compiled: compiled.value,
  }
}
