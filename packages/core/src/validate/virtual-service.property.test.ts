import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { VirtualServiceResource } from '../resources/index.js'
import { validateVirtualService } from './virtual-service.js'

const word = fc.constantFrom(
  '',
  '*',
  'a',
  'a.example.com',
  '*.example.com',
  'x y',
  '10.0.0.1',
  'ns/gw',
  'mesh',
  '%',
  '50%',
  ':path',
  'Host',
  '(',
  '0s',
  '1.5ms',
  '2s',
)
const stringMatch = fc.oneof(
  fc.record({ exact: word }),
  fc.record({ prefix: word }),
  fc.record({ regex: word }),
  fc.constant({}),
)
const stringMap = fc.dictionary(word, word, { maxKeys: 2 })
const matchMap = fc.dictionary(word, stringMatch, { maxKeys: 2 })
const percent = fc.record({ value: fc.double({ min: -10, max: 200, noNaN: true }) })
const destination = fc.record(
  { host: word, subset: word, port: fc.record({ number: fc.integer({ min: 0, max: 70000 }) }) },
  { requiredKeys: ['host'] },
)
const headers = fc.record(
  {
    request: fc.record(
      { set: stringMap, add: stringMap, remove: fc.array(word, { maxLength: 2 }) },
      { requiredKeys: [] },
    ),
    response: fc.record({ set: stringMap, remove: fc.array(word, { maxLength: 2 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
)
const httpMatch = fc.record(
  {
    name: word,
    uri: stringMatch,
    method: stringMatch,
    authority: stringMatch,
    headers: matchMap,
    withoutHeaders: matchMap,
    queryParams: matchMap,
    port: fc.integer({ min: 0, max: 70000 }),
    sourceLabels: stringMap,
    gateways: fc.array(word, { maxLength: 2 }),
    sourceNamespace: word,
  },
  { requiredKeys: [] },
)
const httpRoute = fc.record(
  {
    name: word,
    match: fc.array(httpMatch, { maxLength: 3 }),
    route: fc.array(
      fc.record(
        { destination, weight: fc.integer({ min: -5, max: 100 }), headers },
        { requiredKeys: ['destination'] },
      ),
      { maxLength: 3 },
    ),
    redirect: fc.record(
      {
        uri: word,
        authority: word,
        scheme: word,
        port: fc.integer({ min: 0, max: 70000 }),
        redirectCode: fc.integer({ min: 0, max: 600 }),
        prefixRewrite: word,
      },
      { requiredKeys: [] },
    ),
    directResponse: fc.record(
      { status: fc.integer({ min: 0, max: 700 }), body: fc.record({ string: word }) },
      { requiredKeys: [] },
    ),
    delegate: fc.record({ name: word }),
    rewrite: fc.record(
      {
        uri: word,
        authority: word,
        uriRegexRewrite: fc.record({ match: word, rewrite: word }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
    timeout: word,
    retries: fc.record(
      { attempts: fc.integer({ min: -2, max: 5 }), perTryTimeout: word, retryOn: word, backoff: word },
      { requiredKeys: [] },
    ),
    fault: fc.record(
      {
        delay: fc.record({ fixedDelay: word, percentage: percent }, { requiredKeys: [] }),
        abort: fc.record(
          { httpStatus: fc.integer({ min: 0, max: 700 }), percentage: percent },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
    mirror: destination,
    mirrors: fc.array(fc.record({ destination, percentage: percent }, { requiredKeys: [] }), {
      maxLength: 2,
    }),
    mirrorPercentage: percent,
    corsPolicy: fc.record(
      {
        allowOrigins: fc.array(stringMatch, { maxLength: 2 }),
        allowMethods: fc.array(word, { maxLength: 2 }),
        allowHeaders: fc.array(word, { maxLength: 2 }),
        maxAge: word,
      },
      { requiredKeys: [] },
    ),
    headers,
  },
  { requiredKeys: [] },
)
const l4Match = fc.record(
  {
    sniHosts: fc.array(word, { maxLength: 2 }),
    destinationSubnets: fc.array(word, { maxLength: 2 }),
    port: fc.integer({ min: 0, max: 70000 }),
    gateways: fc.array(word, { maxLength: 2 }),
  },
  { requiredKeys: [] },
)
const l4Route = fc.record(
  {
    match: fc.array(l4Match, { maxLength: 2 }),
    route: fc.array(
      fc.record({ destination, weight: fc.integer({ min: -1, max: 10 }) }, { requiredKeys: ['destination'] }),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: [] },
)
const spec = fc.record(
  {
    hosts: fc.array(word, { maxLength: 3 }),
    gateways: fc.array(word, { maxLength: 2 }),
    http: fc.array(httpRoute, { maxLength: 3 }),
    tls: fc.array(l4Route, { maxLength: 2 }),
    tcp: fc.array(l4Route, { maxLength: 2 }),
    exportTo: fc.array(word, { maxLength: 2 }),
  },
  { requiredKeys: [] },
)

/** Walks a formatted path (`spec.http[0].match[1]["x y"]`) and reports whether it names a node. */
function resolves(root: unknown, path: string): boolean {
  const segments: (string | number)[] = []
  const pattern = /(?:^|\.)([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g
  for (const m of path.matchAll(pattern)) {
    if (m[1] !== undefined) segments.push(m[1])
    else if (m[2] !== undefined) segments.push(Number(m[2]))
    else segments.push(JSON.parse(m[3] as string) as string)
  }
  let node: unknown = root
  for (const segment of segments) {
    if (node === null || typeof node !== 'object') return false
    node = (node as Record<string | number, unknown>)[segment]
  }
  return node !== undefined
}

describe('validateVirtualService on arbitrary specs', () => {
  it('never throws, uses only its code range and points into the resource', () => {
    fc.assert(
      fc.property(spec, (value) => {
        const resource = {
          apiVersion: 'networking.istio.io/v1',
          kind: 'VirtualService',
          metadata: { name: 'vs' },
          spec: value,
        } as unknown as VirtualServiceResource
        for (const d of validateVirtualService(resource)) {
          expect(d.code).toMatch(/^(PTC2[3-5]\d\d|IST013[01])$/)
          expect(d.path?.startsWith('spec')).toBe(true)
          // The last segment may name a field that is absent (`route` when there is none).
          const parent = (d.path ?? '').replace(/(\.[A-Za-z_$][\w$-]*|\[[^\]]*\])$/, '')
          expect(resolves(resource, parent)).toBe(true)
        }
      }),
      { numRuns: 300 },
    )
  })
})
