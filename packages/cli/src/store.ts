import { readFile } from 'node:fs/promises'
import { isAbsolute, resolve } from 'node:path'
import type { EtcdStore } from '@portico/etcd'
import { type CliIo, UsageError } from './io.js'

/** The `--store` flags, as `parseArgs` options. */
export const storeOptions = {
  store: { type: 'string' },
  'store-ca': { type: 'string' },
  'store-cert': { type: 'string' },
  'store-key': { type: 'string' },
} as const

/** Help text of the `--store` flags. */
export const storeHelp = '[--store etcd://HOST:PORT[,…]/PREFIX [--store-ca F] [--store-cert F --store-key F]]'

interface StoreValues {
  readonly store?: string | undefined
  readonly 'store-ca'?: string | undefined
  readonly 'store-cert'?: string | undefined
  readonly 'store-key'?: string | undefined
}

async function pem(io: CliIo, flag: string, path: string | undefined): Promise<Buffer | undefined> {
  if (path === undefined) return undefined
  try {
    return await readFile(isAbsolute(path) ? path : resolve(io.cwd, path))
  } catch (error) {
    throw new UsageError(`--${flag}: cannot read ${path}: ${(error as Error).message}`)
  }
}

/**
 * Connects to the store of `--store` (undefined without the flag). TLS files apply to
 * `etcds://`; the etcd user and password come from PORTICO_ETCD_USERNAME / PORTICO_ETCD_PASSWORD.
 */
export async function openStore(values: StoreValues, io: CliIo): Promise<EtcdStore | undefined> {
  if (values.store === undefined) {
    for (const flag of ['store-ca', 'store-cert', 'store-key'] as const)
      if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --store`)
    return undefined
  }
  const tlsFlags = ['store-ca', 'store-cert', 'store-key'] as const
  if (!values.store.startsWith('etcds://') && tlsFlags.some((f) => values[f] !== undefined))
    throw new UsageError('--store-ca, --store-cert and --store-key need an etcds:// store')
  if ((values['store-cert'] === undefined) !== (values['store-key'] === undefined))
    throw new UsageError('--store-cert and --store-key go together')
  const [ca, cert, key] = await Promise.all([
    pem(io, 'store-ca', values['store-ca']),
    pem(io, 'store-cert', values['store-cert']),
    pem(io, 'store-key', values['store-key']),
  ])
  // Loaded only when a store is named: the gRPC stack stays out of every other command.
  const { connectStore, StoreAddressError } = await import('@portico/etcd')
  try {
    return connectStore({
      url: values.store,
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
    })
  } catch (error) {
    if (error instanceof StoreAddressError) throw new UsageError(error.message)
    throw error
  }
}
