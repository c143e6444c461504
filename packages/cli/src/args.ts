import { UsageError } from './io.js'

/** Runs an argument parser, turning its errors into usage errors. */
export function usage<T>(parseArguments: () => T): T {
  try {
    return parseArguments()
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/** `-f` values, required. */
export function requireFiles(files: readonly string[] | undefined): string[] {
  if (!files || files.length === 0)
    throw new UsageError('at least one -f <file-or-dir> is required (use "-" for standard input)')
  return [...files]
}

/** `--output text|json`. */
export function outputFormat(value: string | undefined): 'text' | 'json' {
  if (value === undefined || value === 'text') return 'text'
  if (value === 'json') return 'json'
  throw new UsageError(`--output must be "text" or "json", not "${value}"`)
}

/** `--label k=v` list → labels; default `istio=ingressgateway` when none is given. */
export function parseLabels(pairs: readonly string[] | undefined): Record<string, string> {
  if (!pairs || pairs.length === 0) return { istio: 'ingressgateway' }
  const labels: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new UsageError(`--label wants key=value, not "${pair}"`)
    labels[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return labels
}

/** `--port 80=18080` list → gateway port → listen port. */
export function parsePortMap(pairs: readonly string[] | undefined): Record<number, number> {
  const map: Record<number, number> = {}
  for (const pair of pairs ?? []) {
    const m = /^(\d{1,5})=(\d{1,5})$/.exec(pair)
    const gw = m ? Number(m[1]) : Number.NaN
    const listen = m ? Number(m[2]) : Number.NaN
    if (!m || gw < 1 || gw > 65535 || listen > 65535)
      throw new UsageError(`--port wants <gateway-port>=<listen-port>, not "${pair}"`)
    map[gw] = listen
  }
  return map
}
