import { describe, expect, it } from 'vitest'
import type { SecretResource } from '../resources/index.js'
import { validateSecret } from './secret.js'
import { brief } from './test-helpers.js'

const secret = (fields: Partial<SecretResource>): SecretResource => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'cred', namespace: 'istio-system' },
  ...fields,
})

describe('validateSecret', () => {
  it.each<[string, Partial<SecretResource>]>([
    ['TLS secret with data', { type: 'kubernetes.io/tls', data: { 'tls.crt': 'YQ==', 'tls.key': 'YQ==' } }],
    [
      'TLS secret with stringData',
      { type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'x', 'tls.key': 'y' } },
    ],
    ['generic cert/key', { type: 'Opaque', data: { cert: 'YQ==', key: 'YQ==' } }],
    ['CA-only secret', { data: { 'ca.crt': 'YQ==' } }],
  ])('accepts %s', (_title, fields) => {
    expect(validateSecret(secret(fields))).toEqual([])
  })

  it('requires tls.crt and tls.key on kubernetes.io/tls', () => {
    expect(
      validateSecret(secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': 'YQ==' } })).map(brief),
    ).toEqual(['E PTC2250 data["tls.key"] | data[tls.key]: Required value'])
  })

  it('warns when a secret can serve no certificate', () => {
    const [d] = validateSecret(secret({ type: 'Opaque', data: { password: 'YQ==' } }))
    expect(d && brief(d)).toBe(
      'W PTC2251 data | secret holds neither tls.crt/tls.key, cert/key nor ca.crt, so it cannot serve as a TLS credential',
    )
    expect(d?.resource).toEqual({ kind: 'Secret', namespace: 'istio-system', name: 'cred' })
  })
})
