import { ExponentialBackoff, handleWhen, type IBackoff, noop, retry } from 'cockatiel'
import { Etcd3, type IKeyValue, isRecoverableError } from 'etcd3'
import { PTC_STORE_UNREACHABLE } from './codes.js'
import { type DecodedConfig, decodeEntries, type StoreEntry } from './layout.js'
import { parseStoreUrl, type StoreAddress } from './url.js'

/** Environment variables holding the etcd user and password (never put them in the address). */
export const STORE_USERNAME_ENV = 'PORTICO_ETCD_USERNAME'
/** See {@link STORE_USERNAME_ENV}. */
export const STORE_PASSWORD_ENV = 'PORTICO_ETCD_PASSWORD'

/** Options of {@link connectStore}. */
export interface StoreOptions {
  /** `etcd://HOST:PORT[,HOST:PORT…]/PREFIX` or `etcds://…` (TLS). */
  readonly url: string
  /** TLS (`etcds://`): PEM of the CA that signed the members' certificates (default: the system's). */
  readonly ca?: Buffer | string
  /** TLS client certificate (PEM), with `key`, for members that ask for one. */
  readonly cert?: Buffer | string
  /** TLS client key (PEM). */
  readonly key?: Buffer | string
  /** etcd user and password (default: {@link storeAuthFromEnv}). */
  readonly auth?: { readonly username: string; readonly password: string }
  /**
   * How long one request (a read, a transaction) may take before it fails, in ms (default 3000):
   * what makes a writer against an unreachable store fail within seconds.
   */
  readonly timeoutMs?: number
  /** Longest wait between two reconnection attempts of a watch, in ms (default 1000). */
  readonly maxBackoffMs?: number
}

/** A connection to an etcd cluster and the prefix the configuration lives under. */
export interface EtcdStore extends AsyncDisposable {
  /** Where the store is, parsed. */
  readonly address: StoreAddress
  /** The normalized address (`etcd://10.0.0.5:2379/portico`): names the store in messages. */
  readonly name: string
  /** The key prefix (`/portico`). */
  readonly prefix: string
  /** The etcd3 client. */
  readonly client: Etcd3
  /** Request timeout in ms. */
  readonly timeoutMs: number
  /** Longest wait between two reconnection attempts, in ms. */
  readonly maxBackoffMs: number
  /** Reads every key under the prefix at one revision. */
  read(): Promise<StoreRead>
  /** Closes the connections. */
  close(): Promise<void>
}

/** The configuration under a prefix at one store revision. */
export interface StoreRead extends DecodedConfig {
  /** The store revision the keys were read at. */
  readonly revision: number
  /** Every key read, as stored. */
  readonly entries: readonly StoreEntry[]
}

/** An error reaching or using the store; its message names the store. */
export class StoreError extends Error {
  override readonly name = 'StoreError'
  readonly code = PTC_STORE_UNREACHABLE
  constructor(
    readonly store: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${store}: ${message}`, options)
  }
}

/** The user and password in {@link STORE_USERNAME_ENV} and {@link STORE_PASSWORD_ENV}, when the user is set. */
export function storeAuthFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): { username: string; password: string } | undefined {
  const username = env[STORE_USERNAME_ENV]
  if (username === undefined || username === '') return undefined
  return { username, password: env[STORE_PASSWORD_ENV] ?? '' }
}

const toBuffer = (v: Buffer | string) => (typeof v === 'string' ? Buffer.from(v) : v)

/**
 * Text of an etcd or gRPC error, without the stack; etcd's authentication and permission errors
 * say where the credentials come from, and which keys the user's roles must grant (`prefix`).
 */
export function reason(error: unknown, prefix?: string): string {
  const text = (error instanceof Error ? error.message : String(error)).replace(/^\d+ [A-Z_]+: /, '')
  if (/user name is empty|authentication failed|invalid user ID or password/.test(text))
    return `${text} (etcd has authentication on: check the user and password, ${STORE_USERNAME_ENV} and ${STORE_PASSWORD_ENV})`
  if (/permission denied/.test(text))
    return `${text} (the etcd user's roles must grant readwrite on the keys under ${prefix ?? 'the prefix'}/)`
  return text
}

/** The end of the key range holding every key that starts with `prefix`. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix)
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1
      return end.subarray(0, i + 1)
    }
  }
  return Buffer.from([0])
}

function entryOf(kv: IKeyValue): StoreEntry {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    modRevision: Number(kv.mod_revision),
    createRevision: Number(kv.create_revision),
  }
}

/**
 * Connects to the etcd cluster of `options.url` (lazily: the first request connects). Requests
 * fail after `timeoutMs` instead of waiting for a member to come back, and try each member once.
 */
export function connectStore(options: StoreOptions): EtcdStore {
  const address = parseStoreUrl(options.url)
  const timeoutMs = options.timeoutMs ?? 3000
  const maxBackoffMs = options.maxBackoffMs ?? 1000
  const tls = address.scheme === 'etcds'
  const auth = options.auth ?? storeAuthFromEnv()
  const client = new Etcd3({
    hosts: address.hosts.map((h) => `${tls ? 'https' : 'http'}://${h}`),
    ...(tls
      ? {
          credentials: {
            // null: the system's CAs (grpc-js's default roots).
            rootCertificate: (options.ca === undefined ? null : toBuffer(options.ca)) as Buffer,
            ...(options.key === undefined ? {} : { privateKey: toBuffer(options.key) }),
            ...(options.cert === undefined ? {} : { certChain: toBuffer(options.cert) }),
          },
        }
      : {}),
    ...(auth === undefined
      ? {}
      : { auth: { ...auth, callOptions: () => ({ deadline: Date.now() + timeoutMs }) } }),
    dialTimeout: timeoutMs,
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeoutMs }),
    grpcOptions: {
      // Notice a member that went away without closing its connection.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': maxBackoffMs,
    },
    faultHandling: {
      // No circuit breaker per member: it would hold a member off for seconds after it is back.
      host: () => noop,
      // Each member once, then fail (the caller retries on its own schedule).
      global: retry(handleWhen(isRecoverableError), { maxAttempts: address.hosts.length - 1 }),
      // etcd3 takes cockatiel's backoff factory here, whatever its type says.
      watchBackoff: new ExponentialBackoff({
        initialDelay: 100,
        maxDelay: maxBackoffMs,
      }) as unknown as IBackoff<unknown>,
    },
  })
  const prefixKey = Buffer.from(`${address.prefix}/`)
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    client.close()
  }
  return {
    address,
    name: address.url,
    prefix: address.prefix,
    client,
    timeoutMs,
    maxBackoffMs,
    async read() {
      let response: Awaited<ReturnType<typeof client.kv.range>>
      try {
        response = await client.kv.range({ key: prefixKey, range_end: prefixEnd(prefixKey) })
      } catch (error) {
        throw new StoreError(address.url, `cannot read the configuration: ${reason(error, address.prefix)}`, {
          cause: error,
        })
      }
      const entries = response.kvs.map(entryOf)
      return {
        revision: Number(response.header.revision),
        entries,
        ...decodeEntries(address.prefix, entries),
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}
