/** Where a configuration store is: `etcd://HOST:PORT[,HOST:PORT…]/PREFIX` (`etcds://` for TLS). */
export interface StoreAddress {
  /** `etcds` talks TLS to every member. */
  readonly scheme: 'etcd' | 'etcds'
  /** The members, as `host:port` (`[v6]:port` for IPv6). */
  readonly hosts: readonly string[]
  /** The key prefix, with a leading `/` and no trailing one (`/portico`). */
  readonly prefix: string
  /** The address as text, normalized: names the store in messages, the admin endpoint and metrics. */
  readonly url: string
}

/** etcd's client port. */
export const DEFAULT_ETCD_PORT = 2379

/** An error in a store address. */
export class StoreAddressError extends Error {
  override readonly name = 'StoreAddressError'
}

function parseHost(text: string, url: string): string {
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(text)
  const plain = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(text)
  const m = v6 ?? plain
  if (m === null) throw new StoreAddressError(`"${text}" in ${url} is not HOST:PORT`)
  const port = m[2] === undefined ? DEFAULT_ETCD_PORT : Number(m[2])
  if (port < 1 || port > 65535) throw new StoreAddressError(`port ${m[2]} in ${url} is out of range`)
  return v6 === null ? `${m[1]}:${port}` : `[${m[1]}]:${port}`
}

/**
 * Parses `etcd://10.0.0.5:2379,10.0.0.6:2379/portico`: the members (port 2379 when omitted) and
 * the prefix every key of the configuration lives under. Throws a {@link StoreAddressError}
 * saying what is wrong.
 */
export function parseStoreUrl(text: string): StoreAddress {
  const m = /^(etcds?):\/\/([^/]*)(\/.*)?$/.exec(text.trim())
  if (m === null)
    throw new StoreAddressError(`--store wants etcd://HOST:PORT[,HOST:PORT…]/PREFIX, not "${text}"`)
  const scheme = m[1] as 'etcd' | 'etcds'
  const hostsText = m[2] ?? ''
  if (hostsText === '' || hostsText.includes('@'))
    throw new StoreAddressError(
      `${text} names no etcd member (credentials go in the environment, not the address)`,
    )
  const hosts = hostsText.split(',').map((h) => parseHost(h.trim(), text))
  const prefix = (m[3] ?? '').replace(/\/+$/, '').replace(/\/{2,}/g, '/')
  if (prefix === '')
    throw new StoreAddressError(`${text} has no key prefix (e.g. ${scheme}://${hostsText}/portico)`)
  if (/[?#\s]/.test(prefix))
    throw new StoreAddressError(`the prefix of ${text} has a character keys should not carry`)
  return { scheme, hosts, prefix, url: `${scheme}://${hosts.join(',')}${prefix}` }
}
