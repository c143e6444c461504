import { type CompiledConfig, compile, createSnapshot } from '@portico/core'
import { seedResources } from '@portico/testing'
import { describe, expect, it } from 'vitest'
import { createGateway } from '../gateway.js'

/** The seed on `prefixes`, with httpbin's port speaking `protocol`. */
function seed(protocol: string, prefixes: string[]): CompiledConfig {
  const resources = seedResources(1, { prefixes }).map((r) =>
    r.kind === 'ServiceEntry'
      ? { ...r, spec: { ...r.spec, ports: [{ number: 8000, name: 'http', protocol }] } }
      : r,
  )
  const result = compile(createSnapshot(resources))
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
  return result.value
}

describe('undici, loaded for the first HTTP/2 cluster', () => {
  it('a config with an HTTP/2 cluster goes live once undici is loaded; an update made meanwhile still wins', async () => {
    const initial = seed('HTTP', ['/a'])
    await using gateway = await createGateway({ config: initial, ports: { 80: 0 } })
    const h2 = seed('HTTP2', ['/b'])
    const later = seed('HTTP', ['/c'])
    const first = gateway.update(h2)
    // Nothing in this process has loaded undici yet: the HTTP/2 config waits for it.
    expect(gateway.config).toBe(initial)
    const second = gateway.update(later)
    expect(gateway.config).toBe(later)
    await Promise.all([first, second])
    expect(gateway.config).toBe(later)
    // Loaded now: the same config goes live at once.
    const again = gateway.update(h2)
    expect(gateway.config).toBe(h2)
    await again
  })
})
