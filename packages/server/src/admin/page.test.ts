import { describe, expect, it } from 'vitest'
import { escapeHtml } from './escape.js'
import { createConfigHistory } from './history.js'
import { ADMIN_PAGE_CSP, type AdminPageView, renderAdminPage } from './page.js'

const HOSTILE = `"><script>alert(1)</script><img src=x onerror=alert(2)>'`

function hostileView(): AdminPageView {
  const history = createConfigHistory(3)
  history.record({ version: 1, ok: true, operation: 'start', changes: [], diagnostics: [] })
  history.record({
    version: 1,
    ok: false,
    operation: 'apply',
    changes: [
      { action: 'created', resource: { kind: 'VirtualService', namespace: 'default', name: HOSTILE } },
    ],
    diagnostics: [
      {
        severity: 'error',
        code: 'IST0101',
        message: `Referenced host not found: "${HOSTILE}"`,
        resource: { kind: 'VirtualService', namespace: 'default', name: HOSTILE },
        path: 'spec.http[0]',
        source: { file: `</pre>${HOSTILE}.yaml`, line: 3, column: 1 },
      },
    ],
  })
  return {
    version: 7,
    addresses: { '80': { address: '127.0.0.1', port: 8080, protocol: 'HTTP' } },
    table: {
      version: 7,
      listeners: [
        {
          port: 80,
          name: 'http.80',
          protocol: 'HTTP',
          servers: [{ name: `http.80${HOSTILE}`, hosts: [HOSTILE], protocol: 'HTTP' }],
        },
      ],
      routes: [
        {
          routeConfig: 'http.80',
          virtualHost: `${HOSTILE}:80`,
          domains: [HOSTILE],
          match: `uri prefix "${HOSTILE}"`,
          action: `route outbound|8000||${HOSTILE}`,
          origin: `default/${HOSTILE} http[0]`,
          routeName: HOSTILE,
          source: `${HOSTILE}.yaml:1:1`,
        },
      ],
      clusters: [{ name: `outbound|8000||${HOSTILE}`, endpoints: [HOSTILE], loadBalancer: 'ROUND_ROBIN' }],
    },
    certificates: { [`http.80${HOSTILE}`]: { error: HOSTILE } },
    binds: { '80': HOSTILE },
    graphSvg: '<svg></svg>',
    history,
    source: {
      name: `etcd://${HOSTILE}`,
      connection: 'connected',
      loaded: true,
      appliedRevision: 4,
      rejectedRevision: 5,
      rejectedDiagnostics: [{ severity: 'error', code: 'PTC4300', message: HOSTILE }],
    },
    now: new Date('2026-01-01T00:00:00Z'),
  }
}

describe('escapeHtml', () => {
  it('replaces every character that can end a text or an attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;amp;&#60;/a&#62;',
    )
    expect(escapeHtml('httpbin.example.com /status')).toBe('httpbin.example.com /status')
  })
})

describe('renderAdminPage', () => {
  it('never lets a name from the config or a request become markup', () => {
    const html = renderAdminPage(hostileView())
    // The page's own script is the only one, and no element came from the hostile text.
    expect(html.match(/<script/g)).toHaveLength(1)
    expect(html).not.toContain('<img')
    expect(html).not.toContain('onerror=alert(2)>')
    expect(html).not.toContain('</pre>">')
    // The hostile text is shown, as text.
    expect(html).toContain(
      '&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;&#60;img src=x onerror=alert(2)&#62;&#39;',
    )
    // Attribute values stay within their quotes: no raw quote follows from config text.
    for (const attr of html.matchAll(/data-[a-z-]+="([^"]*)"/g)) expect(attr[1]).not.toMatch(/[<>'"]/)
    // The VirtualService link carries the name URL-encoded.
    expect(html).toContain(
      'href="resource?namespace=default&#38;name=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E%3Cimg"',
    )
  })

  it('shows the last refused change with its diagnostics, and the source revisions', () => {
    const html = renderAdminPage(hostileView())
    expect(html).toMatch(/Last refused change/)
    expect(html).toMatch(/error IST0101 Referenced host not found/)
    expect(html).toMatch(/rejected revision/)
  })

  it('highlights a certificate that expires within 30 days', () => {
    const view = hostileView()
    const soon = renderAdminPage({
      ...view,
      certificates: {
        [`http.80${HOSTILE}`]: { subject: 'CN=a', validTo: '2026-01-20T00:00:00.000Z', daysLeft: 19 },
      },
    })
    expect(soon).toMatch(/<tr class="expiring">.*CN=a — expires 2026-01-20 \(in 19 days\)/)
    const later = renderAdminPage({
      ...view,
      certificates: {
        [`http.80${HOSTILE}`]: { subject: 'CN=a', validTo: '2026-06-01T00:00:00.000Z', daysLeft: 151 },
      },
    })
    expect(later).not.toMatch(/class="expiring"/)
  })
})

describe('ADMIN_PAGE_CSP', () => {
  it('allows only the page itself: no inline script but its own, nothing from elsewhere', () => {
    expect(ADMIN_PAGE_CSP).toMatch(/default-src 'none'/)
    expect(ADMIN_PAGE_CSP).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/)
    expect(ADMIN_PAGE_CSP).not.toMatch(/unsafe|\*|https?:/)
    expect(ADMIN_PAGE_CSP).toMatch(/frame-ancestors 'none'/)
  })
})
