import {
  type ChangeOperation,
  type ChangePlan,
  type CompileOptions,
  type ConfigSink,
  type ConfigSource,
  type ConfigSyncOptions,
  type ConfigWrite,
  compile,
  createConfigStore,
  type Diagnostic,
  inNamespace,
  loadRegexEngine,
  parseResources,
  type Resource,
  type ResourceChange,
  type ResourceKey,
  type Snapshot,
  type SnapshotResource,
  type SourceConnection,
  sourceOf,
  validate,
} from '@portico/core'
import { type AccessLog, type AccessLogOptions, createAccessLog } from '../access-log/access-log.js'
import type { OverloadState } from '../downstream/overload.js'
import { publishConfig } from '../events/config.js'
import { createGateway, type Gateway, type GatewayConfig, type GatewayOptions } from '../gateway.js'
import { createMetrics, type Metrics } from '../metrics/metrics.js'
import { type ConfigHistory, createConfigHistory } from './history.js'

/** Validates a whole resource set (`validate` of `@portico/core`). */
export type ValidateFunction = (resources: readonly SnapshotResource[]) => readonly Diagnostic[]

/** Options of {@link createManagedGateway}: those of `createGateway`, with resources instead of a compiled config. */
export interface ManagedGatewayOptions extends Omit<GatewayOptions, 'config'> {
  /** The initial resources (validated; an error refuses to start). */
  readonly resources?: readonly SnapshotResource[]
  /** Compile options (labels, port map, service registry…); `locate` defaults to the loader's positions. */
  readonly compile?: CompileOptions
  /** Validation of every candidate snapshot (default: `validate` of `@portico/core`). */
  readonly validate?: ValidateFunction
  /** Per-request access log (default off). */
  readonly accessLog?: AccessLogOptions
  /**
   * Labels of the Istio metrics (`source_workload`, `source_workload_namespace`); `requests:
   * false` when nothing will read the request metrics (no admin endpoint), which spares every
   * request the observation.
   */
  readonly metrics?: { readonly workload?: string; readonly namespace?: string; readonly requests?: boolean }
  /**
   * Where the configuration comes from instead of `resources` (etcd with `@portico/etcd`, …). The
   * gateway starts with no configuration and is not ready until the source's first valid one is
   * served; then the source feeds it (see `ConfigSource`). With a writable source, `create`,
   * `replace`, `apply` and `delete` are written to the source and answered once served here.
   */
  readonly source?: ConfigSource
}

/** How a gateway's config source stands; plain JSON (the admin endpoint's `GET /source`). */
export interface SourceStatus {
  /** The source's name (`etcd://10.0.0.5:2379/portico`). */
  readonly name: string
  readonly connection: SourceConnection
  /** Why the source is not connected, when it said. */
  readonly error?: string
  /** True once a configuration from the source has been served. */
  readonly loaded: boolean
  /** The source revision being served. */
  readonly appliedRevision?: number
  /** The last revision refused (invalid as a whole), and why. */
  readonly rejectedRevision?: number
  readonly rejectedDiagnostics: readonly Diagnostic[]
}

/** The answer to a configuration change; JSON-serializable. */
export interface ChangeOutcome {
  readonly ok: boolean
  readonly operation: ChangeOperation | 'reload' | 'sync'
  /**
   * Version served after the change (the old one when refused). A change written to a config
   * source (`ManagedGatewayOptions.source`) answers with the source's revision instead.
   */
  readonly version: number
  readonly changes: readonly ResourceChange[]
  readonly diagnostics: readonly Diagnostic[]
}

/** What `apply`/`create`/`replace` take: resources, or YAML/JSON text parsed with `parseResources`. */
export type ResourceInput = readonly SnapshotResource[] | string

/** How the resources of one change are read. */
export interface ChangeInputOptions {
  /** Names the text in diagnostics (default `<request>`). */
  readonly file?: string
  /**
   * kubectl's `-n`: resources without `metadata.namespace` go to this namespace, and one that
   * names another namespace refuses the change (PTC1007); cluster-scoped kinds are left alone.
   */
  readonly namespace?: string
}

/**
 * A gateway that owns its configuration: istioctl's verbs change it live. Each change is
 * validated as a whole snapshot, compiled, and its certificates loaded before the swap; a change
 * that fails anywhere is refused with its diagnostics and the running config is kept.
 */
export interface ManagedGateway extends Gateway, ConfigSink {
  /** The resources being served. */
  readonly snapshot: Snapshot<SnapshotResource>
  /** The snapshot version being served. */
  readonly version: number
  /** True once every listener listens, until `close()` starts. */
  readonly ready: boolean
  /** The gateway's Istio-style metrics. */
  readonly metrics: Metrics
  /** The config source and how it stands, when the gateway has one. */
  readonly source: SourceStatus | undefined
  /** The last configuration changes (accepted and refused), and the last refused one. */
  readonly history: ConfigHistory
  /**
   * Serves a config that does not come from the gateway's resources (`Gateway.update`); the next
   * `create`/`replace`/`apply`/`delete` compiles from the resources again.
   */
  update(config: GatewayConfig): Promise<void>
  create(input: ResourceInput, options?: ChangeInputOptions): Promise<ChangeOutcome>
  replace(input: ResourceInput, options?: ChangeInputOptions): Promise<ChangeOutcome>
  /** Creates or replaces; `prune` deletes resources in the same change (missing ones are skipped). */
  apply(
    input: ResourceInput,
    options?: ChangeInputOptions & { prune?: readonly ResourceKey[] },
  ): Promise<ChangeOutcome>
  delete(
    keys: ResourceKey | readonly ResourceKey[] | string,
    options?: ChangeInputOptions,
  ): Promise<ChangeOutcome>
  /** Reads certificates and keys again (rotation on disk) and swaps them in; refused if one fails. */
  reload(): Promise<ChangeOutcome>
}

const PTC_PARSE_REFUSED = 'PTC4210'
const PTC_COMPILE_REFUSED = 'PTC4211'
const PTC_INVALID_START = 'PTC4212'
const PTC_NOT_SERVED_YET = 'PTC4214'
/** How long a change written to the source waits to be served here before it is answered. */
const SERVED_WAIT_MS = 5000

/**
 * `validate` of `@portico/core` for the gateway the options compile: Gateway and policy selectors
 * compared with its labels, policy scope judged from its namespace.
 */
const defaultValidate =
  (compile: CompileOptions | undefined): ValidateFunction =>
  (resources) =>
    validate(resources as readonly Resource[], {
      ...(compile?.labels === undefined ? {} : { gatewayLabels: compile.labels }),
      ...(compile?.namespace === undefined ? {} : { gatewayNamespace: compile.namespace }),
    })

function errorDiagnostic(code: string, message: string): Diagnostic {
  return { severity: 'error', code, message }
}

function runtimeFailure(error: unknown): Diagnostic {
  const code = (error as { code?: unknown }).code
  const message = error instanceof Error ? error.message : String(error)
  return errorDiagnostic(
    typeof code === 'string' && code.startsWith('PTC') ? code : PTC_COMPILE_REFUSED,
    message,
  )
}

/** An error carrying the diagnostics of a configuration that cannot start. */
export class ConfigurationError extends Error {
  readonly code = PTC_INVALID_START
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(
      `the configuration is invalid:\n${diagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => `  ${d.code} ${d.message}`)
        .join('\n')}`,
    )
    this.name = 'ConfigurationError'
  }
}

function keyText(r: SnapshotResource): string {
  return `${r.kind}\u0000${r.metadata.namespace || 'default'}\u0000${r.metadata.name}`
}

/** The overload guard's figures, when it is on: whether it sheds, and how much it shed. */
function overloadGauges(state: OverloadState | undefined) {
  if (state === undefined) return []
  return [
    {
      name: 'portico_overload_active',
      help: 'Whether new requests are being shed because the process is overloaded (1) or not (0).',
      value: state.active ? 1 : 0,
      merge: 'max' as const,
    },
    {
      name: 'portico_overload_shed_total',
      help: 'Requests answered 503 by the overload guard.',
      value: state.shed,
      type: 'counter' as const,
    },
    {
      name: 'portico_overload_episodes_total',
      help: 'Times the overload guard started shedding.',
      value: state.episodes,
      type: 'counter' as const,
    },
    {
      name: 'portico_overload_event_loop_delay_seconds',
      help: 'Event-loop delay the overload guard measured last (99th percentile of its interval).',
      value: state.eventLoopDelayMs / 1000,
      merge: 'max' as const,
    },
  ]
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`
}

/**
 * Starts a gateway on `options.resources` and returns it with `create`, `replace`, `apply`,
 * `delete` and `reload`, its metrics and (optionally) an access log. Rejects with a
 * {@link ConfigurationError} when the initial resources do not validate.
 */
export async function createManagedGateway(options: ManagedGatewayOptions = {}): Promise<ManagedGateway> {
  const check = options.validate ?? defaultValidate(options.compile)
  const compileOptions: CompileOptions = {
    locate: (resource, path) => sourceOf(resource)?.locate(path),
    ...options.compile,
  }
  const source = options.source
  if (source !== undefined && (options.resources ?? []).length > 0)
    throw new TypeError('createManagedGateway takes resources or a source, not both')
  const initial = options.resources ?? []
  await loadRegexEngine(initial)
  const initialFindings = check(initial)
  if (initialFindings.some((d) => d.severity === 'error')) throw new ConfigurationError(initialFindings)
  const store = createConfigStore<SnapshotResource>({
    resources: initial,
    validate: check,
  })
  const first = compile(store.snapshot, compileOptions)
  const {
    resources: _r,
    compile: _c,
    validate: _v,
    accessLog: accessLogOptions,
    metrics: labels,
    source: _s,
    ...rest
  } = options
  const gateway = await createGateway({ ...rest, config: first.value })
  let ready = true
  // Addresses this gateway ever listened on: requests still draining on a removed port count too.
  const localAddresses = new Set<string>()
  let upstreams = new Set<string>()
  const refresh = () => {
    for (const a of Object.values(gateway.addresses)) localAddresses.add(hostPort(a.address, a.port))
    upstreams = new Set<string>()
    for (const cluster of gateway.config.clusters.values()) {
      for (const e of cluster.endpoints) upstreams.add(hostPort(e.address, e.port))
    }
  }
  refresh()
  const mine = (event: { downstreamLocalAddress: string | undefined }) =>
    event.downstreamLocalAddress === undefined || localAddresses.has(event.downstreamLocalAddress)
  const changeCounts = { accepted: 0, refused: 0 }
  const sourceState:
    | {
        connection: SourceConnection
        error?: string
        applied?: number
        rejected?: number
        rejectedDiagnostics: readonly Diagnostic[]
      }
    | undefined = source === undefined ? undefined : { connection: 'connecting', rejectedDiagnostics: [] }
  const sourceLabels: Record<string, string> = source === undefined ? {} : { source: source.name }
  const history = createConfigHistory()
  history.record({
    version: store.snapshot.version,
    ok: true,
    operation: 'start',
    changes: initial.map((r) => ({
      action: 'created' as const,
      resource: { kind: r.kind, namespace: r.metadata.namespace ?? 'default', name: r.metadata.name },
    })),
    diagnostics: initialFindings,
  })
  const metrics = createMetrics({
    localAddresses: () => localAddresses,
    upstreams: () => upstreams,
    ...(labels?.workload === undefined ? {} : { workload: labels.workload }),
    ...(labels?.namespace === undefined ? {} : { namespace: labels.namespace }),
    ...(labels?.requests === undefined ? {} : { requests: labels.requests }),
    gauges: () => [
      {
        name: 'portico_config_version',
        help: 'Version of the configuration being served.',
        value: store.snapshot.version,
        // Processes serving one configuration hold the same version: the oldest one is reported.
        merge: 'min',
      },
      {
        name: 'portico_config_changes_total',
        help: 'Configuration changes by result.',
        value: changeCounts.accepted,
        labels: { result: 'accepted' },
        type: 'counter',
        // Every process applies each change: one change is counted once, not once per process.
        merge: 'max',
      },
      {
        name: 'portico_config_changes_total',
        help: 'Configuration changes by result.',
        value: changeCounts.refused,
        labels: { result: 'refused' },
        type: 'counter',
        // Every process applies each change: one change is counted once, not once per process.
        merge: 'max',
      },
      ...(sourceState === undefined
        ? []
        : [
            {
              name: 'portico_config_source_connected',
              help: 'Whether the config source is connected (1) or not (0).',
              value: sourceState.connection === 'connected' ? 1 : 0,
              labels: sourceLabels,
              merge: 'min' as const,
            },
            {
              name: 'portico_config_source_applied_revision',
              help: 'The config source revision being served (0 before the first).',
              value: sourceState.applied ?? 0,
              labels: sourceLabels,
              merge: 'min' as const,
            },
            {
              name: 'portico_config_source_rejected_revision',
              help: 'The last config source revision refused as invalid (0 when none).',
              value: sourceState.rejected ?? 0,
              labels: sourceLabels,
              merge: 'max' as const,
            },
          ]),
      ...overloadGauges(gateway.overload),
    ],
  })
  let accessLog: AccessLog | undefined
  if (accessLogOptions !== undefined) {
    const userFilter = accessLogOptions.filter
    accessLog = createAccessLog({
      ...accessLogOptions,
      filter: (e) => mine(e) && (userFilter === undefined || userFilter(e)),
    })
  }

  let queue: Promise<unknown> = Promise.resolve()
  const serialized = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task)
    queue = run.catch(() => {})
    return run
  }

  const outcome = (
    ok: boolean,
    operation: ChangeOutcome['operation'],
    changes: readonly ResourceChange[],
    diagnostics: readonly Diagnostic[],
  ): ChangeOutcome => {
    const result = { ok, operation, version: store.snapshot.version, changes, diagnostics }
    if (ok) changeCounts.accepted++
    else changeCounts.refused++
    history.record(result)
    publishConfig(result)
    return result
  }

  /** Compiles a plan's snapshot and swaps it in, then commits; any failure keeps the running config. */
  async function enact(plan: ChangePlan<SnapshotResource>): Promise<ChangeOutcome> {
    if (!plan.ok) return outcome(false, plan.operation, plan.changes, plan.diagnostics)
    if (plan.next === plan.base) return outcome(true, plan.operation, plan.changes, plan.diagnostics)
    const compiled = compile(plan.next, compileOptions)
    const diagnostics = [...plan.diagnostics, ...compiled.diagnostics]
    if (compiled.diagnostics.some((d) => d.severity === 'error')) {
      return outcome(false, plan.operation, plan.changes, diagnostics)
    }
    const previous = gateway.config
    try {
      await gateway.update(compiled.value)
    } catch (error) {
      if (gateway.config !== previous) await gateway.update(previous).catch(() => {})
      refresh()
      return outcome(false, plan.operation, plan.changes, [...diagnostics, runtimeFailure(error)])
    }
    const committed = store.commit(plan)
    refresh()
    return outcome(committed.ok, plan.operation, plan.changes, [
      ...committed.diagnostics,
      ...compiled.diagnostics,
    ])
  }

  function parse(
    input: ResourceInput,
    opts: ChangeInputOptions | undefined,
  ): { resources: SnapshotResource[]; diagnostics: Diagnostic[] } {
    const loaded =
      typeof input === 'string'
        ? parseResources(input, opts?.file ?? '<request>')
        : { resources: [...input], diagnostics: [] }
    if (opts?.namespace === undefined) return loaded
    const placed = inNamespace<SnapshotResource>(loaded.resources, opts.namespace)
    return { resources: placed.resources, diagnostics: [...loaded.diagnostics, ...placed.diagnostics] }
  }

  // A change written to the source is not queued here: it comes back through `sync`, which is.
  const ownChange = <T>(task: () => Promise<T>): Promise<T> =>
    source?.write === undefined ? serialized(task) : task()

  // Changes written to the source wait here until this gateway serves (or refuses) their revision.
  const servedWaiters = new Set<{ revision: number; done: () => void }>()
  function revisionSettled(): void {
    for (const w of servedWaiters) {
      if ((sourceState?.applied ?? 0) >= w.revision || (sourceState?.rejected ?? 0) >= w.revision) w.done()
    }
  }
  function waitServed(revision: number): Promise<boolean> {
    return new Promise((resolve) => {
      const waiter = {
        revision,
        done: () => {
          clearTimeout(timer)
          servedWaiters.delete(waiter)
          resolve((sourceState?.applied ?? 0) >= revision)
        },
      }
      const timer = setTimeout(() => {
        servedWaiters.delete(waiter)
        resolve(false)
      }, SERVED_WAIT_MS)
      servedWaiters.add(waiter)
      revisionSettled()
    })
  }

  /** A change for a writable source: written there, answered once this gateway serves it. */
  async function writeThrough(change: ConfigWrite): Promise<ChangeOutcome> {
    const write = source?.write
    if (write === undefined) throw new Error('the config source takes no writes')
    let written: Awaited<ReturnType<typeof write>>
    try {
      written = await write.call(source, change)
    } catch (error) {
      return outcome(false, change.operation, [], [runtimeFailure(error)])
    }
    if (!written.ok) {
      const result = {
        ok: false,
        operation: change.operation,
        version: written.revision,
        changes: written.changes,
        diagnostics: written.diagnostics,
      }
      changeCounts.refused++
      history.record(result)
      publishConfig(result)
      return result
    }
    const served = await waitServed(written.revision)
    const diagnostics = served
      ? written.diagnostics
      : [
          ...written.diagnostics,
          {
            severity: 'warning' as const,
            code: PTC_NOT_SERVED_YET,
            message: `written to ${source?.name} at revision ${written.revision}, which this gateway does not serve yet`,
          },
        ]
    return {
      ok: true,
      operation: change.operation,
      version: written.revision,
      changes: written.changes,
      diagnostics,
    }
  }

  function upsert(operation: 'create' | 'replace' | 'apply') {
    return (input: ResourceInput, opts?: ChangeInputOptions & { prune?: readonly ResourceKey[] }) =>
      ownChange(async () => {
        if (closed)
          return outcome(
            false,
            operation,
            [],
            [errorDiagnostic(PTC_COMPILE_REFUSED, 'the gateway is closed')],
          )
        const parsed = parse(input, opts)
        if (parsed.diagnostics.some((d) => d.severity === 'error')) {
          return outcome(false, operation, [], parsed.diagnostics)
        }
        await loadRegexEngine(parsed.resources)
        if (parsed.resources.length === 0 && (opts?.prune ?? []).length === 0) {
          return outcome(
            false,
            operation,
            [],
            [...parsed.diagnostics, errorDiagnostic(PTC_PARSE_REFUSED, 'no resources in the request')],
          )
        }
        const result =
          source?.write === undefined
            ? await enact(store.plan(operation, parsed.resources, opts?.prune))
            : await writeThrough({
                operation,
                resources: parsed.resources,
                ...(opts?.prune === undefined ? {} : { prune: opts.prune }),
              })
        return parsed.diagnostics.length === 0
          ? result
          : { ...result, diagnostics: [...parsed.diagnostics, ...result.diagnostics] }
      })
  }

  /** The whole configuration at a source revision: validated, compiled and swapped, or refused and recorded. */
  function sync(resources: readonly SnapshotResource[], opts: ConfigSyncOptions): Promise<ChangeOutcome> {
    return serialized(async () => {
      if (closed)
        return outcome(false, 'sync', [], [errorDiagnostic(PTC_COMPILE_REFUSED, 'the gateway is closed')])
      const read = opts.diagnostics ?? []
      let result: ChangeOutcome
      if (read.some((d) => d.severity === 'error')) result = outcome(false, 'sync', [], read)
      else {
        const wanted = new Set(resources.map((r) => keyText(r)))
        const prune: ResourceKey[] = []
        for (const r of store.snapshot.resources) {
          if (!wanted.has(keyText(r)))
            prune.push({ kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name })
        }
        await loadRegexEngine(resources)
        const enacted = await enact(store.plan('apply', resources, prune))
        result = read.length === 0 ? enacted : { ...enacted, diagnostics: [...read, ...enacted.diagnostics] }
      }
      if (sourceState !== undefined) {
        if (result.ok) {
          sourceState.applied = opts.revision
          loaded = true
        } else {
          sourceState.rejected = opts.revision
          sourceState.rejectedDiagnostics = result.diagnostics
        }
        revisionSettled()
      }
      return result
    })
  }

  let loaded = source === undefined
  let closed = false
  const close = async (): Promise<void> => {
    ready = false
    closed = true
    await source?.close()
    for (const w of servedWaiters) w.done()
    await gateway.close()
    metrics.close()
    await accessLog?.close()
  }

  const managed: ManagedGateway = {
    get addresses() {
      return gateway.addresses
    },
    get config() {
      return gateway.config
    },
    get snapshot() {
      return store.snapshot
    },
    get version() {
      return store.snapshot.version
    },
    get ready() {
      return ready && loaded && !closed
    },
    get source(): SourceStatus | undefined {
      if (source === undefined || sourceState === undefined) return undefined
      return {
        name: source.name,
        connection: sourceState.connection,
        ...(sourceState.error === undefined ? {} : { error: sourceState.error }),
        loaded,
        ...(sourceState.applied === undefined ? {} : { appliedRevision: sourceState.applied }),
        ...(sourceState.rejected === undefined ? {} : { rejectedRevision: sourceState.rejected }),
        rejectedDiagnostics: sourceState.rejectedDiagnostics,
      }
    },
    get overload() {
      return gateway.overload
    },
    metrics,
    sync,
    connection(state, error) {
      if (sourceState === undefined) return
      sourceState.connection = state
      if (state === 'connected' || error === undefined) delete sourceState.error
      else sourceState.error = error
    },
    history,
    update: (config) => gateway.update(config),
    create: upsert('create'),
    replace: upsert('replace'),
    apply: upsert('apply'),
    delete(keys, opts) {
      return ownChange(async () => {
        let list: ResourceKey[]
        if (typeof keys === 'string') {
          const parsed = parse(keys, opts)
          if (parsed.diagnostics.some((d) => d.severity === 'error'))
            return outcome(false, 'delete', [], parsed.diagnostics)
          list = parsed.resources.map((r) => ({
            kind: r.kind,
            name: r.metadata.name,
            namespace: r.metadata.namespace,
          }))
        } else list = Array.isArray(keys) ? [...(keys as readonly ResourceKey[])] : [keys as ResourceKey]
        if (list.length === 0)
          return outcome(
            false,
            'delete',
            [],
            [errorDiagnostic(PTC_PARSE_REFUSED, 'no resources in the request')],
          )
        return source?.write === undefined
          ? enact(store.plan('delete', list))
          : writeThrough({ operation: 'delete', keys: list })
      })
    },
    reload() {
      return serialized(async () => {
        try {
          await gateway.update(gateway.config)
          return outcome(true, 'reload', [], [])
        } catch (error) {
          return outcome(false, 'reload', [], [runtimeFailure(error)])
        }
      })
    },
    close,
    [Symbol.asyncDispose]: close,
  }
  if (options.signal !== undefined)
    options.signal.addEventListener('abort', () => void close(), { once: true })
  source?.start(managed)
  return managed
}
