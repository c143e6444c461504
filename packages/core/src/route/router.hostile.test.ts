import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compile } from '../compile/compile.js'
import { authorityHost } from '../compile/host-table.js'
import type {
  CompiledConfig,
  EscapedSlashesAction,
  PathNormalization,
  PathPolicy,
  RequestFacts,
} from '../compile/types.js'
import { parseResources } from '../load/index.js'
import { createSnapshot } from '../model/index.js'
import { normalizeTarget } from './normalize.js'
import { route } from './router.js'

/**
 * The router under attack, without sockets: a config that exposes `/public/` and denies `/admin`
 * (the CVE-2019-9901 shape), and targets built from the pieces traversal attacks are made of.
 */
const YAML = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: public }
spec:
  hosts: [public.example.com]
  gateways: [gw]
  http:
  - match: [{ uri: { prefix: /admin } }]
    directResponse: { status: 403 }
  - match: [{ uri: { prefix: /public/ } }]
    route: [{ destination: { host: backend, port: { number: 8000 } } }]
`

function compiled(pathPolicy?: PathPolicy): CompiledConfig {
  const { resources } = parseResources(YAML, 'hostile.yaml')
  return compile(createSnapshot(resources), {
    pathPolicy,
    services: {
      'backend.default.svc.cluster.local': {
        ports: [{ number: 8000, name: 'http', protocol: 'HTTP' }],
        endpoints: [{ address: '127.0.0.1', port: 1 }],
      },
    },
  }).value
}

function facts(path: string, authority = 'public.example.com'): RequestFacts {
  return { port: 80, scheme: 'http', method: 'GET', authority, path, headers: {} }
}

const pieces = fc.constantFrom(
  '/',
  '//',
  '.',
  '..',
  '%2e',
  '%2E',
  '%2e%2e',
  '%2F',
  '%2f',
  '%5C',
  '%5c',
  '\\',
  ';x=y',
  '#',
  '?',
  '%00',
  '%',
  '%252e',
  '%c0%ae',
  'public',
  'admin',
  'PUBLIC',
  'a',
)
const target = fc.array(pieces, { maxLength: 14 }).map((p) => `/${p.join('')}`)
const modes: readonly PathNormalization[] = ['BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES']
const actions: readonly (EscapedSlashesAction | undefined)[] = [
  undefined,
  'KEEP_UNCHANGED',
  'REJECT_REQUEST',
  'UNESCAPE_AND_FORWARD',
  'UNESCAPE_AND_REDIRECT',
]
const DOT_SEGMENT = /(^|\/)\.\.?(\/|;|$)/

describe('the router under path attacks (CVE-2019-9901, CVE-2021-31920, CVE-2021-39156)', () => {
  for (const normalization of modes) {
    for (const escapedSlashes of actions) {
      const policy: PathPolicy = {
        normalization,
        ...(escapedSlashes === undefined ? {} : { escapedSlashes }),
      }
      const config = compiled(policy)
      it(`${normalization} / ${escapedSlashes ?? 'default'}: only normalized /public/ paths are forwarded, exactly as matched`, () => {
        fc.assert(
          fc.property(target, (t) => {
            const decision = route(config, facts(t))
            if (decision.kind !== 'route') return
            const path = decision.upstreamPath.split('?')[0]!
            expect(path.startsWith('/public/')).toBe(true)
            expect(path).not.toMatch(DOT_SEGMENT)
            expect(path).not.toContain('\\')
            expect(decision.upstreamPath).not.toContain('#')
            // What was forwarded routes the same way again and is its own normal form.
            const again = route(config, facts(decision.upstreamPath))
            expect(again.kind).toBe('route')
            expect(again.kind === 'route' && again.upstreamPath).toBe(decision.upstreamPath)
            const normal = normalizeTarget(decision.upstreamPath, policy)
            expect(normal.ok && normal.path).toBe(path)
          }),
          { numRuns: 400 },
        )
      })
    }
  }

  it('BASE: whatever normalizes under /admin is denied (403), never forwarded', () => {
    const config = compiled()
    fc.assert(
      fc.property(target, (t) => {
        const normal = normalizeTarget(t)
        const decision = route(config, facts(t))
        if (normal.ok && normal.path.startsWith('/admin')) {
          expect(decision.kind).toBe('directResponse')
        }
        if (!normal.ok) expect(decision).toMatchObject({ kind: 'reject', status: 400 })
      }),
      { numRuns: 1000 },
    )
  })
})

describe('the router under authority attacks (CVE-2021-39155)', () => {
  const config = compiled()

  it('case and port never change the virtual host', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 18, maxLength: 18 }),
        fc.option(fc.integer({ min: 0, max: 65535 })),
        (upper, port) => {
          const host = [...'public.example.com'].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('')
          const authority = port === null ? host : `${host}:${port}`
          expect(route(config, facts('/public/x', authority)).kind).toBe('route')
        },
      ),
    )
  })

  it('an authority is either refused or reduced to a lowercase host with no userinfo, path or whitespace', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc
            .array(
              fc.constantFrom(
                'public.example.com',
                '@',
                ':',
                '80',
                '/',
                '\\',
                '[',
                ']',
                '::1',
                ' ',
                '#',
                '?',
                '.',
                'EVIL',
              ),
              {
                maxLength: 8,
              },
            )
            .map((p) => p.join('')),
        ),
        (authority) => {
          const host = authorityHost(authority)
          if (host === undefined) {
            const decision = route(config, facts('/public/x', authority))
            expect(decision).toMatchObject({ kind: 'reject', status: 400 })
            return
          }
          expect(host).toBe(host.toLowerCase())
          expect(host).not.toMatch(/[@/\\\s?#]/)
          expect(authorityHost(host)).toBe(host)
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('userinfo or a path in the authority never reaches the virtual host it names', () => {
    for (const authority of [
      'evil@public.example.com',
      'public.example.com@evil',
      'public.example.com/x',
      'public.example.com\\x',
    ]) {
      expect(route(config, facts('/public/x', authority))).toMatchObject({ kind: 'reject', status: 400 })
    }
    expect(route(config, facts('/public/x', 'public.example.com.')).kind).toBe('notFound')
  })
})
