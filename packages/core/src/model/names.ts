import type { ResourceRef } from '../diagnostics/diagnostic.js'

/** The namespace a resource without `metadata.namespace` lives in. */
export const DEFAULT_NAMESPACE = 'default'

/** The cluster DNS domain short names are completed with. */
export const CLUSTER_DOMAIN = 'cluster.local'

/** The reserved gateway name that binds a VirtualService to the sidecars instead of a Gateway. */
export const MESH_GATEWAY = 'mesh'

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/

/**
 * True when `text` is an IPv4 or IPv6 address literal (no zone, no brackets, no prefix length).
 * IPv4 parts are decimal without leading zeros, as Go's `netip.ParseAddr` requires.
 */
export function isIpAddress(text: string): boolean {
  if (IPV4.test(text)) return true
  return isIpv6(text)
}

/** An IP or CIDR as address, prefix length and family; `undefined` when Go's netip refuses it. */
export function parseCidr(
  value: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const slash = value.indexOf('/')
  const address = slash < 0 ? value : value.slice(0, slash)
  const bits = slash < 0 ? undefined : value.slice(slash + 1)
  if (!isIpAddress(address)) return undefined
  const family = address.includes(':') ? 'ipv6' : 'ipv4'
  const max = family === 'ipv4' ? 32 : 128
  if (bits === undefined) return { address, prefix: max, family }
  if (!/^(?:0|[1-9]\d{0,2})$/.test(bits) || Number(bits) > max) return undefined
  return { address, prefix: Number(bits), family }
}

function isIpv6(text: string): boolean {
  if (!text.includes(':')) return false
  let body = text
  let groupsNeeded = 8
  const lastColon = body.lastIndexOf(':')
  const tail = body.slice(lastColon + 1)
  if (tail.includes('.')) {
    if (!IPV4.test(tail)) return false
    body = `${body.slice(0, lastColon + 1)}0`
    groupsNeeded = 7
  }
  const doubleColon = body.indexOf('::')
  if (doubleColon !== body.lastIndexOf('::') && doubleColon >= 0) return false
  const hex = /^[0-9a-fA-F]{1,4}$/
  if (doubleColon < 0) {
    const groups = body.split(':')
    return groups.length === groupsNeeded && groups.every((g) => hex.test(g))
  }
  const left = body.slice(0, doubleColon)
  const right = body.slice(doubleColon + 2)
  const lg = left === '' ? [] : left.split(':')
  const rg = right === '' ? [] : right.split(':')
  if (!lg.every((g) => hex.test(g)) || !rg.every((g) => hex.test(g))) return false
  return lg.length + rg.length < groupsNeeded
}

/**
 * Resolves a host as written in a VirtualService or DestinationRule to the name Istio uses
 * (Istio's `ResolveShortnameToFQDN`): a name without a dot becomes
 * `<name>.<namespace>.svc.cluster.local` (`httpbin` → `httpbin.default.svc.cluster.local`);
 * `*`, IP addresses and names containing a dot are returned unchanged. An empty namespace means
 * `default`.
 */
export function resolveShortname(host: string, namespace: string = DEFAULT_NAMESPACE): string {
  if (host === '' || host === '*' || host.includes('.') || isIpAddress(host)) return host
  const ns = namespace === '' ? DEFAULT_NAMESPACE : namespace
  return `${host}.${ns}.svc.${CLUSTER_DOMAIN}`
}

/**
 * Resolves one entry of a VirtualService's `gateways` (or a match's `gateways`) to the Gateway it
 * names (Istio's `resolveGatewayName`): `mesh` stays `'mesh'`; `name` and `./name` live in the
 * VirtualService's namespace; `ns/name` in `ns`; the legacy forms `name.ns` and
 * `name.ns.svc.cluster.local` mean `ns/name`.
 */
export function resolveGatewayName(
  name: string,
  vsNamespace: string = DEFAULT_NAMESPACE,
): ResourceRef | typeof MESH_GATEWAY {
  if (name === MESH_GATEWAY) return MESH_GATEWAY
  const ns = vsNamespace === '' ? DEFAULT_NAMESPACE : vsNamespace
  const slash = name.indexOf('/')
  if (slash >= 0) {
    const prefix = name.slice(0, slash)
    return { kind: 'Gateway', namespace: prefix === '.' ? ns : prefix, name: name.slice(slash + 1) }
  }
  const dot = name.indexOf('.')
  if (dot < 0) return { kind: 'Gateway', namespace: ns, name }
  const rest = name.slice(dot + 1)
  const next = rest.indexOf('.')
  return { kind: 'Gateway', namespace: next < 0 ? rest : rest.slice(0, next), name: name.slice(0, dot) }
}
