import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { route } from '../route/router.js'
import { compileResources, facts, type TestResource } from './test-fixtures.js'

// Resources that passed no validation: compile() and route() must still answer, never throw.
const junk = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.integer(),
  fc.string({ maxLength: 4 }),
  fc.constant([]),
  fc.constant({}),
  fc.constant([{}]),
)
const loose = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: arb }, { weight: 1, arbitrary: junk })

const stringMatch = loose(
  fc.constantFrom({ prefix: '/' }, { exact: '/a' }, { regex: '(' }, { regex: '.*' }, {}),
)
const server = loose(
  fc.record({
    port: loose(
      fc.record({
        number: loose(fc.constantFrom(80, 443)),
        name: loose(fc.constant('p')),
        protocol: loose(fc.constantFrom('HTTP', 'HTTPS', 'TLS', 'TCP')),
      }),
    ),
    hosts: loose(fc.array(loose(fc.constantFrom('*', 'a.com', 'ns/*', '*.a.com')), { maxLength: 2 })),
    tls: loose(
      fc.record({
        mode: loose(fc.constantFrom('SIMPLE', 'PASSTHROUGH')),
        credentialName: loose(fc.constant('c')),
        httpsRedirect: loose(fc.boolean()),
      }),
    ),
  }),
)
const httpRule = loose(
  fc.record({
    match: loose(
      fc.array(
        loose(
          fc.record({
            uri: stringMatch,
            headers: loose(fc.dictionary(fc.constantFrom('x', ':path'), stringMatch)),
            port: loose(fc.constant(80)),
          }),
        ),
        { maxLength: 2 },
      ),
    ),
    route: loose(
      fc.array(
        loose(
          fc.record({
            destination: loose(
              fc.record({ host: loose(fc.constant('a')), port: loose(fc.record({ number: junk })) }),
            ),
            weight: junk,
          }),
        ),
        { maxLength: 2 },
      ),
    ),
    redirect: loose(fc.record({ redirectCode: loose(fc.constantFrom(301, 399)), uri: junk })),
    rewrite: loose(
      fc.record({ uri: junk, uriRegexRewrite: loose(fc.record({ match: junk, rewrite: junk })) }),
    ),
    delegate: loose(fc.record({ name: junk })),
    timeout: junk,
    retries: loose(fc.record({ attempts: junk, retryOn: junk })),
    corsPolicy: loose(fc.record({ allowOrigins: loose(fc.array(stringMatch)) })),
    headers: loose(fc.record({ request: loose(fc.record({ set: junk, remove: junk })) })),
  }),
)
const resource: fc.Arbitrary<TestResource> = fc.oneof(
  fc.record({
    kind: fc.constant('Gateway'),
    metadata: fc.constant({ name: 'g' }),
    spec: loose(fc.record({ selector: junk, servers: loose(fc.array(server, { maxLength: 3 })) })),
  }),
  fc.record({
    kind: fc.constant('VirtualService'),
    metadata: fc.constant({ name: 'v' }),
    spec: loose(
      fc.record({
        hosts: loose(fc.array(loose(fc.constantFrom('*', 'a', 'a.com')), { maxLength: 2 })),
        gateways: loose(fc.constant(['g'])),
        http: loose(fc.array(httpRule, { maxLength: 3 })),
        tls: junk,
        tcp: junk,
        exportTo: junk,
      }),
    ),
  }),
  fc.record({
    kind: fc.constant('ServiceEntry'),
    metadata: fc.constant({ name: 's' }),
    spec: loose(
      fc.record({
        hosts: loose(fc.constant(['a.default.svc.cluster.local'])),
        ports: loose(fc.constant([{ number: 80, name: 'http' }])),
        endpoints: loose(fc.array(loose(fc.record({ address: junk, ports: junk, labels: junk })))),
      }),
    ),
  }),
  fc.record({
    kind: fc.constant('DestinationRule'),
    metadata: fc.constant({ name: 'd' }),
    spec: loose(fc.record({ host: loose(fc.constant('a')), subsets: junk, trafficPolicy: junk })),
  }),
  fc.record({
    kind: fc.constant('Secret'),
    metadata: fc.constant({ name: 'c' }),
    data: junk,
    stringData: junk,
  }),
)

describe('compile() never throws on unvalidated input', () => {
  it('for arbitrary malformed resources, and route() answers', () => {
    fc.assert(
      fc.property(fc.array(resource, { maxLength: 5 }), (resources) => {
        const compiled = compileResources(resources)
        for (const port of [80, 443]) {
          const d = route(compiled, facts(port, 'a.com', '/a', { sni: 'a.com' }))
          expect(['route', 'redirect', 'directResponse', 'notFound', 'reject']).toContain(d.kind)
        }
      }),
      { numRuns: 500 },
    )
  })
})
