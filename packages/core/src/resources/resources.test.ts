import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'
import {
  base64Error,
  destinationRuleSpecSchema,
  gatewaySpecSchema,
  isResourceKind,
  type Resource,
  resourceKinds,
  resourceRef,
  resourceSchemaFor,
  secretSchema,
  serviceEntrySpecSchema,
  virtualServiceSpecSchema,
} from './index.js'

const docs = (name: string): Record<string, unknown>[] =>
  parseAllDocuments(readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8')).map(
    (d) => d.toJS() as Record<string, unknown>,
  )

function check(obj: Record<string, unknown>) {
  const kind = obj.kind
  if (!isResourceKind(kind)) throw new Error(`fixture kind ${String(kind)}`)
  return resourceSchemaFor(kind).safeParse(obj)
}

describe('schemas accept Istio-valid resources unchanged', () => {
  test.each(['seed.yaml', 'full.yaml'])('%s', (file) => {
    const objects = docs(file)
    expect(objects.length).toBeGreaterThan(3)
    for (const obj of objects) {
      const result = check(obj)
      expect(result.error?.issues).toBeUndefined()
      // No transforms, no defaults: the parsed value equals the input.
      expect(result.data).toEqual(obj)
    }
  })

  test('full.yaml covers every kind', () => {
    expect(new Set(docs('full.yaml').map((d) => d.kind))).toEqual(new Set(resourceKinds))
  })

  test('every apiVersion of the networking kinds has the same shape', () => {
    const gateway = docs('seed.yaml')[0] as Record<string, unknown>
    for (const apiVersion of [
      'networking.istio.io/v1alpha3',
      'networking.istio.io/v1beta1',
      'networking.istio.io/v1',
    ]) {
      expect(check({ ...gateway, apiVersion }).success).toBe(true)
    }
    expect(check({ ...gateway, apiVersion: 'networking.istio.io/v2' }).success).toBe(false)
  })

  test('resourceRef defaults the namespace', () => {
    const vs = check(docs('seed.yaml')[1] as Record<string, unknown>).data as Resource
    expect(resourceRef(vs)).toEqual({ kind: 'VirtualService', namespace: 'default', name: 'httpbin' })
  })
})

const issues = (
  schema: { safeParse(v: unknown): { error?: { issues: { path: PropertyKey[] }[] } } },
  yaml: string,
) => (schema.safeParse(parse(yaml)).error?.issues ?? []).map((i) => i.path.join('.'))

describe('strictness', () => {
  test('unknown fields anywhere are errors', () => {
    expect(
      issues(virtualServiceSpecSchema, 'http: [{ timout: 1s, route: [{ destination: { host: a } }] }]'),
    ).toEqual(['http.0'])
    expect(
      issues(
        gatewaySpecSchema,
        'servers: [{ port: { number: 80, name: h, protocol: HTTP, nmae: x }, hosts: ["*"] }]',
      ),
    ).toEqual(['servers.0.port'])
    expect(
      issues(destinationRuleSpecSchema, 'host: a\ntrafficPolicy: { tls: { mode: SIMPLE, sniHost: a } }'),
    ).toEqual(['trafficPolicy.tls'])
  })

  test('proto (snake_case) names are refused, as kubectl refuses them', () => {
    expect(
      issues(
        gatewaySpecSchema,
        'servers: [{ port: { number: 443, name: h, protocol: HTTPS }, hosts: ["*"], tls: { server_certificate: a } }]',
      ),
    ).toEqual(['servers.0.tls'])
  })

  test('the envelope allows only apiVersion, kind, metadata, spec, status', () => {
    const base = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'a' },
      spec: { host: 'a' },
    }
    expect(resourceSchemaFor('DestinationRule').safeParse(base).success).toBe(true)
    expect(
      resourceSchemaFor('DestinationRule').safeParse({ ...base, status: { anything: [1] } }).success,
    ).toBe(true)
    expect(resourceSchemaFor('DestinationRule').safeParse({ ...base, specs: {} }).success).toBe(false)
    expect(
      resourceSchemaFor('DestinationRule').safeParse({ ...base, metadata: { name: 'a', nmae: 'b' } }).success,
    ).toBe(false)
    const { spec: _spec, ...noSpec } = base
    expect(resourceSchemaFor('DestinationRule').safeParse(noSpec).success).toBe(false)
  })

  test('enum names are exact', () => {
    expect(issues(serviceEntrySpecSchema, 'hosts: [a.com]\nresolution: dns')).toEqual(['resolution'])
    expect(issues(serviceEntrySpecSchema, 'hosts: [a.com]\nresolution: DNS')).toEqual([])
    expect(
      issues(destinationRuleSpecSchema, 'host: a\ntrafficPolicy: { loadBalancer: { simple: round_robin } }'),
    ).toEqual(['trafficPolicy.loadBalancer.simple'])
  })

  test('protocols are plain strings (case-insensitive in Istio), not enums', () => {
    expect(
      issues(gatewaySpecSchema, 'servers: [{ port: { number: 80, name: h, protocol: http }, hosts: ["*"] }]'),
    ).toEqual([])
  })
})

describe('integers are strict', () => {
  test.each([
    ['quoted number', 'number: "80"'],
    ['fraction', 'number: 80.5'],
    ['negative uint32', 'number: -1'],
    ['beyond uint32', 'number: 4294967296'],
    ['a word', 'number: eighty'],
  ])('%s fails', (_, port) => {
    expect(issues(serviceEntrySpecSchema, `hosts: [a.com]\nports: [{ ${port}, name: http }]`)).toEqual([
      'ports.0.number',
    ])
  })

  test('int32 weights may not be fractions but may be negative at schema level', () => {
    const vs = (w: string) => `http: [{ route: [{ destination: { host: a }, weight: ${w} }] }]`
    expect(issues(virtualServiceSpecSchema, vs('33.5'))).toEqual(['http.0.route.0.weight'])
    expect(issues(virtualServiceSpecSchema, vs('-1'))).toEqual([])
    expect(issues(virtualServiceSpecSchema, vs('2147483648'))).toEqual(['http.0.route.0.weight'])
  })

  test('Percent is a message, not a number', () => {
    expect(
      issues(
        virtualServiceSpecSchema,
        'http: [{ route: [{ destination: { host: a } }], mirrorPercentage: 50 }]',
      ),
    ).toEqual(['http.0.mirrorPercentage'])
    expect(
      issues(
        virtualServiceSpecSchema,
        'http: [{ route: [{ destination: { host: a } }], mirrorPercentage: { value: 50.5 } }]',
      ),
    ).toEqual([])
  })
})

describe('oneof groups', () => {
  test.each([
    [
      'StringMatch',
      virtualServiceSpecSchema,
      'http: [{ match: [{ uri: { exact: /a, prefix: /b } }], route: [{ destination: { host: a } }] }]',
      ['http.0.match.0.uri.prefix'],
    ],
    [
      'StringMatch (three)',
      virtualServiceSpecSchema,
      'http: [{ match: [{ headers: { x: { exact: a, prefix: b, regex: c } } }], route: [{ destination: { host: a } }] }]',
      ['http.0.match.0.headers.x.prefix', 'http.0.match.0.headers.x.regex'],
    ],
    [
      'redirect port',
      virtualServiceSpecSchema,
      'http: [{ redirect: { uri: /a, port: 80, derivePort: FROM_REQUEST_PORT } }]',
      ['http.0.redirect.derivePort'],
    ],
    [
      'body',
      virtualServiceSpecSchema,
      'http: [{ directResponse: { status: 200, body: { string: a, bytes: YQ== } } }]',
      ['http.0.directResponse.body.bytes'],
    ],
    [
      'abort',
      virtualServiceSpecSchema,
      'http: [{ fault: { abort: { httpStatus: 500, grpcStatus: UNAVAILABLE } }, route: [{ destination: { host: a } }] }]',
      ['http.0.fault.abort.grpcStatus'],
    ],
    [
      'abort http2',
      virtualServiceSpecSchema,
      'http: [{ fault: { abort: { httpStatus: 500, http2Error: X } }, route: [{ destination: { host: a } }] }]',
      ['http.0.fault.abort.http2Error'],
    ],
    [
      'delay',
      virtualServiceSpecSchema,
      'http: [{ fault: { delay: { fixedDelay: 1s, exponentialDelay: 1s } }, route: [{ destination: { host: a } }] }]',
      ['http.0.fault.delay.exponentialDelay'],
    ],
    [
      'hash key',
      destinationRuleSpecSchema,
      'host: a\ntrafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: x, useSourceIp: true } } }',
      ['trafficPolicy.loadBalancer.consistentHash.useSourceIp'],
    ],
    [
      'hash algorithm',
      destinationRuleSpecSchema,
      'host: a\ntrafficPolicy: { loadBalancer: { consistentHash: { useSourceIp: true, ringHash: {}, maglev: {} } } }',
      ['trafficPolicy.loadBalancer.consistentHash.maglev'],
    ],
    [
      'load balancer',
      destinationRuleSpecSchema,
      'host: a\ntrafficPolicy: { loadBalancer: { simple: RANDOM, consistentHash: { useSourceIp: true } } }',
      ['trafficPolicy.loadBalancer.consistentHash'],
    ],
  ] as const)('%s: two members set is an error', (_, schema, yaml, paths) => {
    expect(issues(schema, yaml)).toEqual(paths)
  })

  test('one member, or none, is fine', () => {
    expect(
      issues(
        virtualServiceSpecSchema,
        'http: [{ match: [{ uri: {} }, { uri: { regex: "^/a" } }], route: [{ destination: { host: a } }] }]',
      ),
    ).toEqual([])
  })
})

describe('durations', () => {
  test.each(['10s', '1.5s', '500ms', '1h30m', '100us', '0s'])('%s is a duration', (d) => {
    expect(
      issues(virtualServiceSpecSchema, `http: [{ route: [{ destination: { host: a } }], timeout: "${d}" }]`),
    ).toEqual([])
  })
  test.each(['"10"', '"1d"', '"10 s"', '10', '"3000000h"'])('%s is not', (d) => {
    expect(
      issues(virtualServiceSpecSchema, `http: [{ route: [{ destination: { host: a } }], timeout: ${d} }]`),
    ).toEqual(['http.0.timeout'])
  })
  test('the value stays the string', () => {
    const parsed = virtualServiceSpecSchema.parse(
      parse('http: [{ route: [{ destination: { host: a } }], timeout: 1h30m }]'),
    )
    expect(parsed.http?.[0]?.timeout).toBe('1h30m')
  })
})

describe('metadata', () => {
  const dr = (metadata: unknown) =>
    resourceSchemaFor('DestinationRule').safeParse({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata,
      spec: { host: 'a' },
    }).success
  test.each([
    [{ name: 'a' }, true],
    [{ name: 'web.vs-1' }, true],
    [{ name: 'a'.repeat(253) }, true],
    [{ name: 'a'.repeat(254) }, false],
    [{ name: 'Web' }, false],
    [{ name: 'a_b' }, false],
    [{ name: '' }, false],
    [{}, false],
    [{ name: 'a', namespace: 'team-a' }, true],
    [{ name: 'a', namespace: 'team.a' }, false],
    [{ name: 'a', namespace: 'a'.repeat(64) }, false],
    [{ name: 'a', labels: { version: 1 } }, false],
    [{ name: 'a', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } }, true],
    [
      {
        name: 'a',
        creationTimestamp: null,
        deletionGracePeriodSeconds: 30,
        selfLink: '/x',
        generateName: 'a-',
      },
      true,
    ],
  ])('%j → %s', (metadata, ok) => {
    expect(dr(metadata)).toBe(ok)
  })
})

describe('Secret', () => {
  const secret = (extra: Record<string, unknown>) =>
    secretSchema.safeParse({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      type: 'kubernetes.io/tls',
      ...extra,
    })
  test('data must be base64; stringData is plain', () => {
    expect(secret({ data: { 'tls.crt': 'aGVsbG8=' } }).success).toBe(true)
    expect(secret({ data: { 'tls.crt': 'aGVs\nbG8=' } }).success).toBe(true)
    expect(secret({ data: { 'tls.crt': 'not base64!' } }).success).toBe(false)
    expect(secret({ stringData: { 'tls.crt': 'not base64!' } }).success).toBe(true)
  })
  test('only Secret fields at the top level', () => {
    expect(secret({ spec: {} }).success).toBe(false)
    expect(
      secretSchema.safeParse({ apiVersion: 'v2', kind: 'Secret', metadata: { name: 's' } }).success,
    ).toBe(false)
  })
  test.each([
    ['', undefined],
    ['YQ==', undefined],
    ['YWI=', undefined],
    ['YWJj', undefined],
    ['YQ=', 'illegal base64 data at input byte 3'],
    ['YQ', 'illegal base64 data at input byte 2'],
    ['Y===', 'illegal base64 data at input byte 1'],
    ['YQ==YQ==', 'illegal base64 data at input byte 4'],
    ['a-b_', 'illegal base64 data at input byte 1'],
  ])('base64Error(%j)', (text, expected) => {
    expect(base64Error(text)).toBe(expected)
  })
})
