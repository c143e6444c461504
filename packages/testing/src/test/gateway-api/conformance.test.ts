import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type Conformance, type ConformanceResponse, manifest, startConformance } from './harness.js'

// The Gateway API conformance tests that exercise HTTP on the wire, ported: each block loads the
// suite's manifest for one test (with its base Gateways), serves it on real sockets, and checks
// the suite's expectations, written here from the spec and the suite's cases.

function suite(
  name: string,
  cases: (get: () => Conformance) => void,
  manifests?: string,
  options?: { baseGateways?: boolean },
): void {
  describe(name, () => {
    let c: Conformance | undefined
    beforeAll(async () => {
      c = await startConformance(manifests ?? manifest(name), options)
    })
    afterAll(async () => {
      await c?.close()
    })
    cases(() => {
      if (c === undefined) throw new Error('not started')
      return c
    })
  })
}

const backendOf = (r: ConformanceResponse) => (r.echo === undefined ? `status ${r.status}` : r.echo.backend)

suite('httproute-exact-path-matching', (c) => {
  test.each([
    ['/one', 'infra-backend-v1'],
    ['/two', 'infra-backend-v2'],
    ['/', 'status 404'],
    ['/one/example', 'status 404'],
    ['/two/', 'status 404'],
  ])('%s → %s', async (path, expected) => {
    expect(backendOf(await c().send('example.org', path))).toBe(expected)
  })
})

suite('httproute-matching', (c) => {
  test.each([
    ['/', {}, 'infra-backend-v1'],
    ['/example', {}, 'infra-backend-v1'],
    ['/', { version: 'one' }, 'infra-backend-v1'],
    ['/v2', {}, 'infra-backend-v2'],
    ['/v2/example', {}, 'infra-backend-v2'],
    ['/', { version: 'two' }, 'infra-backend-v2'],
    ['/v2example', {}, 'infra-backend-v1'],
    ['/foo/v2/example', {}, 'infra-backend-v1'],
  ])('%s %o → %s', async (path, headers, expected) => {
    expect(backendOf(await c().send('example.org', path, { headers }))).toBe(expected)
  })
})

suite('httproute-matching-across-routes', (c) => {
  test.each([
    ['example.com', '/', {}, 'infra-backend-v1'],
    ['example.com', '/example', {}, 'infra-backend-v1'],
    ['example.net', '/example', {}, 'infra-backend-v1'],
    ['example.com', '/example', { version: 'one' }, 'infra-backend-v1'],
    ['example.com', '/v2', {}, 'infra-backend-v2'],
    ['example.com', '/v2/example', {}, 'infra-backend-v2'],
    ['example.com', '/', { version: 'two' }, 'infra-backend-v2'],
    ['example.net', '/v2', {}, 'infra-backend-v1'],
    ['example.net', '/', { version: 'two' }, 'infra-backend-v1'],
    ['example.org', '/', {}, 'status 404'],
  ])('%s%s %o → %s', async (host, path, headers, expected) => {
    expect(backendOf(await c().send(host, path, { headers }))).toBe(expected)
  })
})

suite('httproute-path-match-order', (c) => {
  test.each([
    ['/match/exact/one', 'infra-backend-v3'],
    ['/match/exact', 'infra-backend-v2'],
    ['/match', 'infra-backend-v1'],
    ['/match/prefix/one/any', 'infra-backend-v2'],
    ['/match/prefix/any', 'infra-backend-v1'],
    ['/match/any', 'infra-backend-v3'],
  ])('%s → %s', async (path, expected) => {
    expect(backendOf(await c().send('example.org', path))).toBe(expected)
  })
})

suite('httproute-header-matching', (c) => {
  test.each([
    [{ version: 'one' }, 'infra-backend-v1'],
    [{ version: 'two' }, 'infra-backend-v2'],
    [{ version: 'two', color: 'orange' }, 'infra-backend-v1'],
    [{ version: 'two', color: 'blue' }, 'infra-backend-v2'],
    [{ color: 'orange' }, 'status 404'],
    [{ 'some-other-header': 'one' }, 'status 404'],
    [{ color: 'blue' }, 'infra-backend-v1'],
    [{ color: 'green' }, 'infra-backend-v1'],
    [{ color: 'red' }, 'infra-backend-v2'],
    [{ color: 'yellow' }, 'infra-backend-v2'],
    [{ color: 'purple' }, 'status 404'],
  ])('%o → %s', async (headers, expected) => {
    expect(backendOf(await c().send('example.org', '/', { headers }))).toBe(expected)
  })
})

suite('httproute-query-param-matching', (c) => {
  test.each([
    ['/?animal=whale', {}, 'infra-backend-v1'],
    ['/?animal=dolphin', {}, 'infra-backend-v2'],
    ['/?animal=dolphin&color=blue', {}, 'infra-backend-v3'],
    ['/?ANIMAL=Whale', {}, 'infra-backend-v3'],
    ['/?animal=whale&otherparam=irrelevant', {}, 'infra-backend-v1'],
    ['/?animal=dolphin&color=yellow', {}, 'infra-backend-v2'],
    ['/?color=blue', {}, 'status 404'],
    ['/?animal=dog', {}, 'status 404'],
    ['/?animal=whaledolphin', {}, 'status 404'],
    ['/', {}, 'status 404'],
    ['/path1?animal=whale', {}, 'infra-backend-v1'],
    ['/?animal=whale', { version: 'one' }, 'infra-backend-v2'],
    ['/path2?animal=whale', { version: 'two' }, 'infra-backend-v3'],
    ['/path3?animal=shark', {}, 'infra-backend-v1'],
    ['/path4?animal=kraken', { version: 'three' }, 'infra-backend-v1'],
  ])('%s %o → %s', async (path, headers, expected) => {
    expect(backendOf(await c().send('example.org', path, { headers }))).toBe(expected)
  })
})

suite('httproute-method-matching', (c) => {
  test.each([
    ['POST', 'infra-backend-v1'],
    ['GET', 'infra-backend-v2'],
    ['HEAD', 'status 404'],
  ])('%s → %s', async (method, expected) => {
    expect(backendOf(await c().send('example.org', '/', { method }))).toBe(expected)
  })
})

suite('httproute-cross-namespace', (c) => {
  test('a route in a backend namespace attaches through a Selector listener', async () => {
    const r = await c().send('example.org', '/')
    expect(r.echo?.backend).toBe('web-backend')
    expect(r.echo?.namespace).toBe('gateway-conformance-web-backend')
  })
})

suite('httproute-reference-grant', (c) => {
  test('a backendRef to another namespace is served when a ReferenceGrant allows it', async () => {
    expect(backendOf(await c().send('example.org', '/'))).toBe('web-backend')
  })
})

suite('httproute-invalid-cross-namespace-backend-ref', (c) => {
  test('without a ReferenceGrant the request gets 500', async () => {
    expect((await c().send('example.org', '/')).status).toBe(500)
  })
  test('the route reports ResolvedRefs False with RefNotPermitted', () => {
    const route = c().compiled.gatewayApi?.routes.find(
      (r) => r.route.name === 'invalid-cross-namespace-backend-ref',
    )
    expect(route?.parents[0]?.conditions).toEqual([
      expect.objectContaining({ type: 'Accepted', status: 'True' }),
      expect.objectContaining({ type: 'ResolvedRefs', status: 'False', reason: 'RefNotPermitted' }),
    ])
  })
})

suite('httproute-invalid-nonexistent-backendref', (c) => {
  test('a missing Service gets 500 and BackendNotFound', async () => {
    expect((await c().send('example.org', '/')).status).toBe(500)
    const route = c().compiled.gatewayApi?.routes.find(
      (r) => r.route.name === 'invalid-nonexistent-backend-ref',
    )
    expect(route?.parents[0]?.conditions[1]).toMatchObject({ status: 'False', reason: 'BackendNotFound' })
  })
})

suite('httproute-invalid-backendref-unknown-kind', (c) => {
  test('an unknown backend kind gets 500 and InvalidKind', async () => {
    expect((await c().send('example.org', '/')).status).toBe(500)
    const route = c().compiled.gatewayApi?.routes.find(
      (r) => r.route.name === 'invalid-backend-ref-unknown-kind',
    )
    expect(route?.parents[0]?.conditions[1]).toMatchObject({ status: 'False', reason: 'InvalidKind' })
  })
})

suite('httproute-request-header-modifier', (c) => {
  // Repeated header lines reach the backend as one comma-joined value; compare the value lists.
  const headersAt = async (path: string, headers: Record<string, string>) => {
    const seen = (await c().send('example.org', path, { headers })).echo?.headers ?? {}
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(seen)) out[k] = String(v).split(/,\s*/).join(',')
    return out
  }
  test('set overwrites, add appends, remove removes, names case-insensitively', async () => {
    expect((await headersAt('/set', { 'Some-Other-Header': 'val' }))['x-header-set']).toBe(
      'set-overwrites-values',
    )
    expect((await headersAt('/set', { 'X-Header-Set': 'some-other-value' }))['x-header-set']).toBe(
      'set-overwrites-values',
    )
    expect((await headersAt('/add', {}))['x-header-add']).toBe('add-appends-values')
    expect((await headersAt('/add', { 'X-Header-Add': 'some-other-value' }))['x-header-add']).toBe(
      'some-other-value,add-appends-values',
    )
    expect((await headersAt('/remove', { 'X-Header-Remove': 'val' }))['x-header-remove']).toBeUndefined()
    const mixed = await headersAt('/case-insensitivity', {
      'x-header-set': 'original-val-set',
      'x-header-add': 'original-val-add',
      'x-header-remove': 'original-val-remove',
      'Another-Header': 'another-header-val',
    })
    expect(mixed['x-header-set']).toBe('header-set')
    expect(mixed['x-header-add']).toBe('original-val-add,header-add')
    expect(mixed['x-header-remove']).toBeUndefined()
    expect(mixed['another-header']).toBe('another-header-val')
  })
})

suite('httproute-response-header-modifier', (c) => {
  // The backend answers with the headers X-Echo-Set-Header asks for (as the suite's echo server
  // does); repeated response header lines are compared as one comma-joined list.
  const answer = async (path: string, backendSets: Record<string, string>, headers = {}) => {
    const echoSet = Object.entries(backendSets)
      .map(([k, v]) => `${k}:${v}`)
      .join(',')
    const r = await c().send('example.org', path, { headers: { ...headers, 'X-Echo-Set-Header': echoSet } })
    expect(r.echo?.backend).toBe('infra-backend-v1')
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(r.headers))
      out[k] = (Array.isArray(v) ? v : String(v).split(/,\s*/)).join(',')
    return { headers: out, request: r.echo?.headers ?? {} }
  }
  test('set overwrites the backend’s value', async () => {
    for (const sets of [
      { 'Some-Other-Header': 'val' } as Record<string, string>,
      { 'Some-Other-Header': 'val', 'X-Header-Set': 'other' },
    ]) {
      const { headers } = await answer('/set', sets)
      expect(headers['some-other-header']).toBe('val')
      expect(headers['x-header-set']).toBe('set-overwrites-values')
    }
  })
  test('add appends to the backend’s value', async () => {
    expect((await answer('/add', { 'Some-Other-Header': 'val' })).headers['x-header-add']).toBe(
      'add-appends-values',
    )
    const { headers } = await answer('/add', {
      'Some-Other-Header': 'val',
      'X-Header-Add': 'some-other-value',
    })
    expect(headers['x-header-add']).toBe('some-other-value,add-appends-values')
    expect(headers['some-other-header']).toBe('val')
  })
  test('remove removes the backend’s header', async () => {
    expect((await answer('/remove', { 'X-Header-Remove': 'val' })).headers['x-header-remove']).toBeUndefined()
  })
  test('several sets, adds and removes in one filter', async () => {
    const { headers } = await answer('/multiple', {
      'X-Header-Set-2': 'set-val-2',
      'X-Header-Add-2': 'add-val-2',
      'X-Header-Remove-2': 'remove-val-2',
      'Another-Header': 'another-header-val',
      'X-Header-Remove-1': 'val',
    })
    expect(headers).toMatchObject({
      'x-header-set-1': 'header-set-1',
      'x-header-set-2': 'header-set-2',
      'x-header-add-1': 'header-add-1',
      'x-header-add-2': 'add-val-2,header-add-2',
      'x-header-add-3': 'header-add-3',
      'another-header': 'another-header-val',
    })
    expect(headers['x-header-remove-1']).toBeUndefined()
    expect(headers['x-header-remove-2']).toBeUndefined()
  })
  test('header names are case-insensitive', async () => {
    const { headers } = await answer('/case-insensitivity', {
      'x-header-set': 'original-val-set',
      'x-header-add': 'original-val-add',
      'x-header-remove': 'original-val-remove',
      'Another-Header': 'another-header-val',
    })
    expect(headers).toMatchObject({
      'x-header-set': 'header-set',
      'x-header-add': 'original-val-add,header-add',
      'x-lowercase-add': 'lowercase-add',
      'x-mixedcase-add-1': 'mixedcase-add-1',
      'x-mixedcase-add-2': 'mixedcase-add-2',
      'x-uppercase-add': 'uppercase-add',
      'another-header': 'another-header-val',
    })
    expect(headers['x-header-remove']).toBeUndefined()
  })
  test('response and request modifiers on one rule', async () => {
    const { headers, request } = await answer(
      '/response-and-request-header-modifiers',
      {
        'X-Header-Set-2': 'set-val-2',
        'X-Header-Add-2': 'add-val-2',
        'X-Header-Remove-2': 'remove-val-2',
        'Another-Header': 'another-header-val',
        'X-Header-Remove-1': 'remove-val-1',
        'X-Header-Echo': 'echo',
      },
      { 'X-Header-Remove': 'remove-val', 'X-Header-Add-Append': 'append-val-1', 'X-Header-Echo': 'echo' },
    )
    expect(request['x-header-add']).toBe('header-val-1')
    expect(request['x-header-set']).toBe('set-overwrites-values')
    expect(String(request['x-header-add-append']).split(/,\s*/).join(',')).toBe('append-val-1,header-val-2')
    expect(request['x-header-echo']).toBe('echo')
    expect(request['x-header-remove']).toBeUndefined()
    expect(headers).toMatchObject({
      'x-header-set-1': 'header-set-1',
      'x-header-set-2': 'header-set-2',
      'x-header-add-1': 'header-add-1',
      'x-header-add-2': 'add-val-2,header-add-2',
      'another-header': 'another-header-val',
      'x-header-echo': 'echo',
    })
    expect(headers['x-header-remove-1']).toBeUndefined()
    expect(headers['x-header-remove-2']).toBeUndefined()
  })
})

const location = (r: ConformanceResponse) => [r.status, r.headers.location]

suite('httproute-redirect-host-and-status', (c) => {
  test.each([
    ['/hostname-redirect', 302, 'http://example.org/hostname-redirect'],
    ['/host-and-status', 301, 'http://example.org/host-and-status'],
  ])('%s → %i %s', async (path, status, target) => {
    expect(location(await c().send('redirect.example', path))).toEqual([status, target])
  })
})

suite('httproute-redirect-path', (c) => {
  test.each([
    ['/original-prefix/lemon', 302, 'http://redirect.example/replacement-prefix/lemon'],
    ['/full/path/original', 302, 'http://redirect.example/full-path-replacement'],
    ['/path-and-host', 302, 'http://example.org/replacement-prefix'],
    ['/path-and-status', 301, 'http://redirect.example/replacement-prefix'],
    ['/full-path-and-host', 302, 'http://example.org/replacement-full'],
    ['/full-path-and-status', 301, 'http://redirect.example/replacement-full'],
  ])('%s → %i %s', async (path, status, target) => {
    expect(location(await c().send('redirect.example', path))).toEqual([status, target])
  })
})

suite('httproute-redirect-port', (c) => {
  test.each([
    ['/port', 302, 'http://redirect.example:8083/port'],
    ['/port-and-host', 302, 'http://example.org:8083/port-and-host'],
    ['/port-and-status', 301, 'http://redirect.example:8083/port-and-status'],
    ['/port-and-host-and-status', 302, 'http://example.org:8083/port-and-host-and-status'],
  ])('%s → %i %s', async (path, status, target) => {
    expect(location(await c().send('redirect.example', path))).toEqual([status, target])
  })
})

suite('httproute-redirect-scheme', (c) => {
  test.each([
    ['/scheme', 302, 'https://redirect.example/scheme'],
    ['/scheme-and-host', 302, 'https://example.org/scheme-and-host'],
    ['/scheme-and-status', 301, 'https://redirect.example/scheme-and-status'],
    ['/scheme-and-host-and-status', 302, 'https://example.org/scheme-and-host-and-status'],
  ])('%s → %i %s', async (path, status, target) => {
    expect(location(await c().send('redirect.example', path))).toEqual([status, target])
  })
})

suite('httproute-redirect-port-and-scheme', (c) => {
  test.each([
    [80, '/scheme-nil-and-port-nil', 'http://example.org/scheme-nil-and-port-nil'],
    [80, '/scheme-nil-and-port-80', 'http://example.org/scheme-nil-and-port-80'],
    [80, '/scheme-nil-and-port-8080', 'http://example.org:8080/scheme-nil-and-port-8080'],
    [80, '/scheme-https-and-port-nil', 'https://example.org/scheme-https-and-port-nil'],
    [80, '/scheme-https-and-port-443', 'https://example.org/scheme-https-and-port-443'],
    [80, '/scheme-https-and-port-8443', 'https://example.org:8443/scheme-https-and-port-8443'],
    [8080, '/scheme-nil-and-port-nil', 'http://example.org:8080/scheme-nil-and-port-nil'],
    [8080, '/scheme-nil-and-port-80', 'http://example.org/scheme-nil-and-port-80'],
    [8080, '/scheme-https-and-port-nil', 'https://example.org/scheme-https-and-port-nil'],
    [443, '/scheme-nil-and-port-nil', 'https://example.org/scheme-nil-and-port-nil'],
    [443, '/scheme-nil-and-port-443', 'https://example.org/scheme-nil-and-port-443'],
    [443, '/scheme-nil-and-port-8443', 'https://example.org:8443/scheme-nil-and-port-8443'],
  ])('listener %i %s → %s (the listener port, never the local one)', async (port, path, target) => {
    const r = await c().send('example.org', path, { port })
    expect(location(r)).toEqual([302, target])
  })
})

suite('httproute-rewrite-path', (c) => {
  test.each([
    ['/prefix/one/two', '/one/two'],
    ['/strip-prefix/three', '/three'],
    ['/strip-prefix', '/'],
    ['/full/one/two', '/one'],
    ['/full/rewrite-path-and-modify-headers/test', '/test'],
    ['/prefix/rewrite-path-and-modify-headers/one', '/prefix/one'],
  ])('%s → upstream %s', async (path, upstream) => {
    expect((await c().send('example.org', path)).echo?.path).toBe(upstream)
  })
})

suite('httproute-rewrite-host', (c) => {
  test.each([
    ['/one', 'one.example.org'],
    ['/two', 'example.org'],
    ['/rewrite-host-and-modify-headers', 'test.example.org'],
  ])('%s → upstream Host %s', async (path, host) => {
    expect((await c().send('rewrite.example', path)).echo?.host).toBe(host)
  })
})

suite('httproute-weight', (c) => {
  test('traffic splits 70/30/0 (within a wide statistical margin)', async () => {
    const counts: Record<string, number> = {}
    for (let i = 0; i < 200; i++) {
      const b = backendOf(await c().send('example.org', '/'))
      counts[b] = (counts[b] ?? 0) + 1
    }
    expect(counts['infra-backend-v3']).toBeUndefined()
    expect(counts['infra-backend-v1']).toBeGreaterThan(110)
    expect(counts['infra-backend-v2']).toBeGreaterThan(30)
  })
})

suite('httproute-request-mirror', (c) => {
  test('the mirror backend receives a copy; the client gets the primary answer', async () => {
    const before = c().received.length
    const r = await c().send('example.org', '/mirror')
    expect(r.echo?.backend).toBe('infra-backend-v1')
    await expect
      .poll(() =>
        c()
          .received.slice(before)
          .map((e) => e.backend)
          .sort(),
      )
      .toEqual(['infra-backend-v1', 'infra-backend-v2'])
  })
})

suite('httproute-https-listener', (c) => {
  test.each([
    ['example.org', 'infra-backend-v1'],
    ['second-example.org', 'infra-backend-v2'],
  ])('https://%s/ → %s', async (host, backend) => {
    expect(backendOf(await c().send(host, '/', { scheme: 'https' }))).toBe(backend)
  })
})

suite('httproute-timeout-request', (c) => {
  test.each([
    ['/request-timeout', 200],
    ['/request-timeout?delay=1s', 504],
    ['/disable-request-timeout?delay=1s', 200],
  ])('%s → %i', async (path, status) => {
    expect((await c().send('example.org', path)).status).toBe(status)
  })
})

suite('httproute-timeout-backend-request', (c) => {
  test.each([
    ['/backend-timeout', 200],
    ['/backend-timeout?delay=1s', 504],
    ['/disable-backend-timeout?delay=1s', 200],
  ])('%s → %i', async (path, status) => {
    expect((await c().send('example.org', path)).status).toBe(status)
  })
})

suite('httproute-hostname-intersection', (c) => {
  test.each([
    ['very.specific.com', '/s1', 'infra-backend-v1'],
    ['very.specific.com:1234', '/s1', 'infra-backend-v1'],
    ['non.matching.com', '/s1', 'status 404'],
    ['foo.nonmatchingwildcard.io', '/s1', 'status 404'],
    ['foo.wildcard.io', '/s1', 'status 404'],
    ['very.specific.com', '/non-matching-prefix', 'status 404'],
    ['foo.wildcard.io', '/s2', 'infra-backend-v2'],
    ['bar.wildcard.io', '/s2', 'infra-backend-v2'],
    ['foo.bar.wildcard.io', '/s2', 'infra-backend-v2'],
    ['non.matching.com', '/s2', 'status 404'],
    ['wildcard.io', '/s2', 'status 404'],
    ['very.specific.com', '/s2', 'status 404'],
    ['foo.wildcard.io', '/non-matching-prefix', 'status 404'],
    ['very.specific.com', '/s3', 'infra-backend-v3'],
    ['non.matching.com', '/s3', 'status 404'],
    ['foo.specific.com', '/s3', 'status 404'],
    ['foo.wildcard.io', '/s3', 'status 404'],
    ['very.specific.com', '/non-matching-prefix', 'status 404'],
    ['foo.anotherwildcard.io', '/s4', 'infra-backend-v1'],
    ['bar.anotherwildcard.io', '/s4', 'infra-backend-v1'],
    ['foo.bar.anotherwildcard.io', '/s4', 'infra-backend-v1'],
    ['anotherwildcard.io', '/s4', 'status 404'],
    ['foo.wildcard.io', '/s4', 'status 404'],
    ['very.specific.com', '/s4', 'status 404'],
    ['foo.anotherwildcard.io', '/non-matching-prefix', 'status 404'],
    ['specific.but.wrong.com', '/s5', 'status 404'],
    ['wildcard.io', '/s5', 'status 404'],
    ['first.com', '/', 'infra-backend-v2'],
    ['sub.first.com', '/', 'infra-backend-v2'],
    ['second.com', '/', 'infra-backend-v2'],
    ['sub.second.com', '/', 'infra-backend-v2'],
    ['third.com', '/', 'status 404'],
    ['sub.third.com', '/', 'status 404'],
  ])('%s%s → %s', async (host, path, expected) => {
    expect(backendOf(await c().send(host, path))).toBe(expected)
  })
})

suite('httproute-listener-hostname-matching', (c) => {
  test.each([
    ['bar.com', '/', 'infra-backend-v1'],
    ['foo.bar.com', '/', 'infra-backend-v2'],
    ['baz.bar.com', '/', 'infra-backend-v3'],
    ['boo.bar.com', '/', 'infra-backend-v3'],
    ['multiple.prefixes.bar.com', '/', 'infra-backend-v3'],
    ['multiple.prefixes.foo.com', '/', 'infra-backend-v3'],
    ['foo.com', '/', 'status 404'],
    ['no.matching.host', '/', 'status 404'],
  ])('%s%s → %s', async (host, path, expected) => {
    expect(backendOf(await c().send(host, path))).toBe(expected)
  })
})

// Beyond the suite: a rule with a valid and an invalid backend answers 500 for the invalid one's
// share, as the spec requires.
suite(
  'weights with an invalid backend',
  (c) => {
    test('the missing Service’s share gets 500, the rest reaches the valid one', async () => {
      const seen = new Set<string>()
      for (let i = 0; i < 60; i++) seen.add(backendOf(await c().send('example.org', '/')))
      expect([...seen].sort()).toEqual(['infra-backend-v1', 'status 500'])
    })
  },
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: half-invalid, namespace: gateway-conformance-infra}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - backendRefs:
    - {name: infra-backend-v1, port: 8080, weight: 1}
    - {name: does-not-exist, port: 8080, weight: 1}
`,
)

// The suite's Gateway Secret tests: an HTTPS listener whose certificateRef is a Secret in another
// namespace. The suite checks the listener's status; beyond it, the listener (no routes attached:
// 404) is reached over TLS and must present that Secret's certificate. These Gateways listen on
// 443 without a hostname, so the suite's base Gateways (which do too) are left out.
const listenerOf = (c: Conformance, gateway: string) =>
  c.compiled.gatewayApi?.gateways.find((g) => g.gateway.name === gateway)?.listeners[0]

for (const name of [
  'gateway-secret-reference-grant-all-in-namespace',
  'gateway-secret-reference-grant-specific',
]) {
  suite(
    name,
    (c) => {
      test('the listener resolves its refs and is programmed', () => {
        const listener = listenerOf(c(), name)
        expect(listener?.attachedRoutes).toBe(0)
        expect(listener?.conditions).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ type: 'ResolvedRefs', status: 'True' }),
            expect.objectContaining({ type: 'Programmed', status: 'True', reason: 'Programmed' }),
          ]),
        )
      })
      test('it serves the other namespace’s certificate (404: no route attached)', async () => {
        const r = await c().send('example.org', '/', { scheme: 'https', ca: c().webBackendCertificate.cert })
        expect(r.status).toBe(404)
        await expect(c().send('example.org', '/', { scheme: 'https' })).rejects.toThrow()
      })
    },
    undefined,
    { baseGateways: false },
  )
}

for (const name of ['gateway-secret-missing-reference-grant', 'gateway-secret-invalid-reference-grant']) {
  suite(
    name,
    (c) => {
      test('the listener is ResolvedRefs False with RefNotPermitted and is not served', () => {
        const listener = listenerOf(c(), name)
        expect(listener?.conditions).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ type: 'ResolvedRefs', status: 'False', reason: 'RefNotPermitted' }),
          ]),
        )
        expect(c().gateway.addresses[443]).toBeUndefined()
      })
    },
    undefined,
    { baseGateways: false },
  )
}

suite('httproute-invalid-reference-grant', (c) => {
  test('ReferenceGrants that do not match the route (namespace, from, to) allow nothing: 500', async () => {
    expect((await c().send('example.org', '/')).status).toBe(500)
    const route = c().compiled.gatewayApi?.routes.find((r) => r.route.name === 'reference-grant')
    expect(route?.parents[0]?.conditions[1]).toMatchObject({
      type: 'ResolvedRefs',
      status: 'False',
      reason: 'RefNotPermitted',
    })
  })
})

suite('httproute-partially-invalid-via-invalid-reference-grant', (c) => {
  test('the rule whose backend no grant covers answers 500; the granted one is served', async () => {
    expect((await c().send('example.org', '/v2')).status).toBe(500)
    const ok = await c().send('example.org', '/')
    expect([ok.echo?.backend, ok.echo?.namespace]).toEqual([
      'app-backend-v1',
      'gateway-conformance-app-backend',
    ])
    const route = c().compiled.gatewayApi?.routes.find((r) => r.route.name === 'invalid-reference-grant')
    expect(route?.parents[0]?.conditions[1]).toMatchObject({ status: 'False', reason: 'RefNotPermitted' })
  })
})

suite('httproute-request-multiple-mirrors', (c) => {
  test.each([
    ['/multi-mirror', {}],
    [
      '/multi-mirror-and-modify-request-headers',
      { 'X-Header-Remove': 'remove-val', 'X-Header-Add-Append': 'append-val-1' },
    ],
  ])('%s reaches v1 and is mirrored to v2 and v3', async (path, headers) => {
    const before = c().received.length
    const r = await c().send('example.org', path, { headers })
    expect(r.echo?.backend).toBe('infra-backend-v1')
    if (path !== '/multi-mirror') {
      expect(r.echo?.headers['x-header-set']).toBe('set-overwrites-values')
      expect(r.echo?.headers['x-header-add']).toBe('header-val-1')
      expect(String(r.echo?.headers['x-header-add-append']).split(/,\s*/)).toEqual([
        'append-val-1',
        'header-val-2',
      ])
      expect(r.echo?.headers['x-header-remove']).toBeUndefined()
    }
    await expect
      .poll(() =>
        c()
          .received.slice(before)
          .map((e) => `${e.backend} ${e.path}`)
          .sort(),
      )
      .toEqual([`infra-backend-v1 ${path}`, `infra-backend-v2 ${path}`, `infra-backend-v3 ${path}`])
  })
})

suite('httproute-cors', (c) => {
  const preflight = (origin: string, headers: Record<string, string> = {}) =>
    c().send('example.org', '/cors-1', {
      method: 'OPTIONS',
      headers: { Origin: origin, 'access-control-request-method': 'GET', ...headers },
    })
  const list = (v: unknown) =>
    String(v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .sort()
  test.each(['https://www.foo.com', 'https://www.bar.com', 'https://xpto.www.bar.com'])(
    'a preflight from the allowed origin %s is answered with the policy',
    async (origin) => {
      const r = await preflight(origin, { 'access-control-request-headers': 'x-header-1, x-header-2' })
      expect([200, 204]).toContain(r.status)
      expect(r.headers['access-control-allow-origin']).toBe(origin)
      expect(list(r.headers['access-control-allow-methods'])).toEqual(['GET', 'OPTIONS'])
      expect(list(r.headers['access-control-allow-headers'])).toEqual(['x-header-1', 'x-header-2'])
      expect(r.headers['access-control-max-age']).toBe('3600')
      expect(r.headers['access-control-allow-credentials']).toBe('true')
    },
  )
  test('a preflight from another origin gets no allow-origin', async () => {
    const r = await preflight('https://foobar.com')
    expect([200, 204, 403]).toContain(r.status)
    expect(r.headers['access-control-allow-origin']).toBeUndefined()
  })
  test('a simple request from an allowed origin reaches the backend with the CORS answer headers', async () => {
    const r = await c().send('example.org', '/cors-1', { headers: { Origin: 'https://www.foo.com' } })
    expect(r.echo?.backend).toBe('infra-backend-v1')
    expect(r.headers['access-control-allow-origin']).toBe('https://www.foo.com')
    expect(list(r.headers['access-control-expose-headers'])).toEqual(['x-header-3', 'x-header-4'])
    expect(r.headers['access-control-allow-credentials']).toBe('true')
  })
  test('a simple request from another origin is served without CORS headers', async () => {
    const r = await c().send('example.org', '/cors-1', { headers: { Origin: 'https://foobar.com' } })
    expect(r.echo?.backend).toBe('infra-backend-v1')
    expect(r.headers['access-control-allow-origin']).toBeUndefined()
  })
})

suite('httproute-retry', (c) => {
  let probe = 0
  test.each([
    ['/retry/code-500-attempts-3', 500, 2, 200],
    ['/retry/code-500-attempts-3', 500, 4, 500],
    ['/retry/code-500-attempts-3', 503, 2, 503],
    ['/retry/code-all-attempts-2', 500, 1, 200],
    ['/retry/code-all-attempts-2', 500, 3, 500],
    ['/retry/code-all-attempts-2', 502, 1, 200],
    ['/retry/code-all-attempts-2', 502, 3, 502],
    ['/retry/code-all-attempts-2', 503, 1, 200],
    ['/retry/code-all-attempts-2', 503, 3, 503],
    ['/retry/code-all-attempts-2', 504, 1, 200],
    ['/retry/code-all-attempts-2', 504, 3, 504],
  ])('%s: backend answers %i for the first %i attempts → %i', async (path, code, failures, status) => {
    probe += 1
    const query = `?responseCode=${code}&succeedAfter=${failures}&uuid=probe-${probe}`
    const r = await c().send('example.org', `${path}${query}`)
    expect(r.status).toBe(status)
    if (status === 200) expect(r.echo?.backend).toBe('infra-backend-v3')
  })
})

// GRPCRoute: calls over h2c through the gateway to h2c echo backends (appProtocol
// kubernetes.io/h2c); an unrouted call is Unimplemented (HTTP 404 maps to gRPC code 12).
const GRPC_ECHO = 'gateway_api_conformance.echo_basic.grpcecho.GrpcEcho'
const UNIMPLEMENTED = 'code 12'
const grpcOutcome = (r: { code: number; backend?: string }) => r.backend ?? `code ${r.code}`

suite('grpcroute-exact-method-matching', (c) => {
  test.each([
    ['Echo', 'grpc-infra-backend-v1'],
    ['EchoTwo', 'grpc-infra-backend-v2'],
    ['EchoThree', UNIMPLEMENTED],
  ])('%s → %s', async (method, expected) => {
    const r = await c().grpc('example.org', GRPC_ECHO, method)
    expect(grpcOutcome(r)).toBe(expected)
    if (r.backend !== undefined) {
      expect([r.status, r.code]).toEqual([200, 0])
      expect(r.received?.[':path']).toBe(`/${GRPC_ECHO}/${method}`)
    }
  })
})

suite('grpcroute-header-matching', (c) => {
  test.each([
    [{ version: 'one' }, 'grpc-infra-backend-v1'],
    [{ version: 'two' }, 'grpc-infra-backend-v2'],
    [{ version: 'two', color: 'orange' }, 'grpc-infra-backend-v1'],
    [{ version: 'two', color: 'blue' }, 'grpc-infra-backend-v2'],
    [{ color: 'orange' }, UNIMPLEMENTED],
    [{ 'some-other-header': 'one' }, UNIMPLEMENTED],
    [{ color: 'blue' }, 'grpc-infra-backend-v1'],
    [{ color: 'green' }, 'grpc-infra-backend-v1'],
    [{ color: 'red' }, 'grpc-infra-backend-v2'],
    [{ color: 'yellow' }, 'grpc-infra-backend-v2'],
    [{ color: 'purple' }, UNIMPLEMENTED],
  ])('%o → %s', async (metadata, expected) => {
    expect(grpcOutcome(await c().grpc('example.org', GRPC_ECHO, 'Echo', metadata))).toBe(expected)
  })
})

suite('grpcroute-listener-hostname-matching', (c) => {
  test.each([
    ['bar.com', 'grpc-infra-backend-v1'],
    ['foo.bar.com', 'grpc-infra-backend-v2'],
    ['baz.bar.com', 'grpc-infra-backend-v3'],
    ['boo.bar.com', 'grpc-infra-backend-v3'],
    ['multiple.prefixes.bar.com', 'grpc-infra-backend-v3'],
    ['multiple.prefixes.foo.com', 'grpc-infra-backend-v3'],
    ['foo.com', UNIMPLEMENTED],
    ['no.matching.host', UNIMPLEMENTED],
  ])('%s → %s', async (host, expected) => {
    expect(grpcOutcome(await c().grpc(host, GRPC_ECHO, 'Echo'))).toBe(expected)
  })
})
