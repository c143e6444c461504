import { describe, expect, it } from 'vitest'
import {
  checkCidr,
  checkCorsHeaderName,
  checkDuration,
  checkExportTo,
  checkFqdn,
  checkHeaderName,
  checkHeaderOperationName,
  checkHeaderValue,
  checkIpAddress,
  checkKubernetesName,
  checkKubernetesNamespace,
  checkLabels,
  checkLabelsAll,
  checkNamespaceSlashHost,
  checkNamespaceSlashHostAll,
  checkPartialWildcard,
  checkPercent,
  checkPercentage,
  checkPort,
  checkPortName,
  checkProtocol,
  checkRegex,
  checkSubsetName,
  checkWildcardDomain,
  goFloat,
  isDns1123Label,
  isHttpProtocol,
  isTlsProtocol,
  parseProtocol,
} from './primitives.js'

const ok = undefined

describe('DNS-1123 labels', () => {
  it.each([
    ['a', true],
    ['A-b9', true],
    ['-a', false],
    ['a-', false],
    ['a_b', false],
    ['a.b', false],
    ['', false],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
  ])('%s → %s', (label, expected) => {
    expect(isDns1123Label(label)).toBe(expected)
  })
})

describe('checkFqdn', () => {
  it.each([
    ['istio.io', ok],
    ['istio.io.', ok],
    ['Reviews.Default', ok],
    ['', 'empty domain name not allowed'],
    ['a.123', 'domain name "a.123" invalid (top level domain "123" cannot be all-numeric)'],
    ['a_b.com', 'domain name "a_b.com" invalid (label "a_b" invalid)'],
    ['a..com', 'domain name "a..com" invalid (label "" invalid)'],
    [`${'a.'.repeat(128)}com`, `domain name "${'a.'.repeat(128)}com" too long (max 255)`],
  ])('%s', (name, expected) => {
    expect(checkFqdn(name)).toBe(expected)
  })
})

describe('checkWildcardDomain', () => {
  it.each([
    ['*', ok],
    ['*.a.com', ok],
    ['a.com', ok],
    ['reviews', ok],
    ['*foo.a.com', ok],
    ['*-foo.a.com', ok],
    ['a.*.com', 'domain name "*.com" invalid (label "*" invalid)'],
    ['a.com.*', 'domain name "com.*" invalid (label "*" invalid)'],
    ['**.a.com', 'domain name "**.a.com" invalid (label "**" invalid)'],
    ['a_b.com', 'domain name "a_b.com" invalid (label "a_b" invalid)'],
    ['a.com:80', 'domain name "com:80" invalid (label "com:80" invalid)'],
    ['http://a.com', 'domain name "http://a.com" invalid (label "http://a" invalid)'],
    ['foo.123', 'domain name "123" invalid (top level domain "123" cannot be all-numeric)'],
    ['', 'empty domain name not allowed'],
  ])('%s', (name, expected) => {
    expect(checkWildcardDomain(name)).toBe(expected)
  })
})

describe('checkPartialWildcard', () => {
  it.each([
    ['*', ok],
    ['*.foo.com', ok],
    ['foo.com', ok],
    ['*foo.com', 'partial wildcard "*foo.com" not allowed'],
    ['foo*.com', 'partial wildcard "foo*.com" not allowed'],
  ])('%s', (host, expected) => {
    expect(checkPartialWildcard(host)).toBe(expected)
  })
})

describe('checkNamespaceSlashHost (Gateway server hosts)', () => {
  it.each([
    ['*', []],
    ['foo.example.com', []],
    ['*.example.com', []],
    ['10.1.2.3', []],
    ['prod/*', []],
    ['./a.example.com', []],
    ['*/a.example.com', []],
    ['httpbin', ['short names (non FQDN) are not allowed']],
    ['~/a.example.com', ['invalid namespace value "~" in gateway']],
    ['a_b/a.example.com', ['invalid namespace value "a_b" in gateway']],
    [
      '/a.com',
      ['config namespace and dnsName in host entry cannot be empty', 'invalid namespace value "" in gateway'],
    ],
    [
      'ns/',
      [
        'config namespace and dnsName in host entry cannot be empty',
        'short names (non FQDN) are not allowed',
        'empty domain name not allowed',
      ],
    ],
    ['*example.com', ['partial wildcard "*example.com" not allowed']],
    [
      'foo*.com',
      ['domain name "foo*.com" invalid (label "foo*" invalid)', 'partial wildcard "foo*.com" not allowed'],
    ],
    ['a.com:80', ['domain name "com:80" invalid (label "com:80" invalid)']],
  ])('%s', (host, expected) => {
    expect(checkNamespaceSlashHostAll(host)).toEqual(expected)
    expect(checkNamespaceSlashHost(host)).toBe(expected[0])
  })
})

describe('checkPort', () => {
  it.each([
    [1, ok],
    [65535, ok],
    [0, 'port number 0 must be in the range 1..65535'],
    [65536, 'port number 65536 must be in the range 1..65535'],
    [-1, 'port number -1 must be in the range 1..65535'],
  ])('%d', (port, expected) => {
    expect(checkPort(port)).toBe(expected)
  })
})

describe('protocols', () => {
  it('parses case-insensitively', () => {
    expect(parseProtocol('http')).toBe('HTTP')
    expect(parseProtocol('grpc-web')).toBe('GRPC-WEB')
    expect(parseProtocol('Mongo')).toBe('Mongo')
    expect(parseProtocol('quic')).toBeUndefined()
    expect(parseProtocol('')).toBeUndefined()
  })

  it('classifies', () => {
    expect(
      ['HTTP', 'HTTP2', 'HTTP_PROXY', 'GRPC', 'GRPC-WEB'].every((p) => isHttpProtocol(parseProtocol(p))),
    ).toBe(true)
    expect(isHttpProtocol(parseProtocol('HTTPS'))).toBe(false)
    expect(isTlsProtocol(parseProtocol('https'))).toBe(true)
    expect(isTlsProtocol(parseProtocol('TLS'))).toBe(true)
    expect(isTlsProtocol(parseProtocol('TCP'))).toBe(false)
  })

  it.each([
    ['HTTP', 'gateway', ok],
    ['udp', 'gateway', ok],
    [
      '',
      'gateway',
      'invalid protocol "", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP',
    ],
    [
      'QUIC',
      'gateway',
      'invalid protocol "QUIC", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP',
    ],
    ['', 'serviceEntry', ok],
    ['tcp', 'serviceEntry', ok],
    ['QUIC', 'serviceEntry', 'unsupported protocol: QUIC'],
  ] as const)('%s in %s', (protocol, context, expected) => {
    expect(checkProtocol(protocol, context)).toBe(expected)
  })

  it('checks port names as DNS labels', () => {
    expect(checkPortName('http-80')).toBe(ok)
    expect(checkPortName('http_80')).toBe('invalid port name: http_80')
  })
})

describe('checkDuration', () => {
  it.each([
    ['1ms', ok],
    ['10s', ok],
    ['1.5s', ok],
    ['1h30m', ok],
    ['1000us', ok],
    ['0.001s', ok],
    ['1.001s', ok],
    ['0s', 'duration must be greater than 1ms'],
    ['-1s', 'duration must be greater than 1ms'],
    ['999us', 'duration must be greater than 1ms'],
    ['1.5ms', 'only durations to ms precision are supported'],
    ['1500us', 'only durations to ms precision are supported'],
    ['10', 'time: invalid duration "10"'],
    ['1d', 'time: invalid duration "1d"'],
    ['10 s', 'time: invalid duration "10 s"'],
  ])('%s', (text, expected) => {
    expect(checkDuration(text)).toBe(expected)
  })

  it('accepts zero only when asked', () => {
    expect(checkDuration('0s', { allowZero: true })).toBe(ok)
    expect(checkDuration('0.5ms', { allowZero: true })).toBe('duration must be greater than 1ms')
  })
})

describe('percentages', () => {
  it.each([
    [0, ok],
    [100, ok],
    [101, 'percentage 101 is not in range 0..100'],
    [-1, 'percentage -1 is not in range 0..100'],
  ])('percent %d', (value, expected) => {
    expect(checkPercent(value)).toBe(expected)
  })

  it.each([
    [0, ok],
    [0.0001, ok],
    [100, ok],
    [50.5, ok],
    [0.00001, 'percentage 1e-05 is neither 0.0, nor in range [0.0001, 100.0]'],
    [100.5, 'percentage 100.5 is neither 0.0, nor in range [0.0001, 100.0]'],
    [-1, 'percentage -1 is neither 0.0, nor in range [0.0001, 100.0]'],
  ])('percentage %d', (value, expected) => {
    expect(checkPercentage(value)).toBe(expected)
  })

  it('formats floats like Go %v', () => {
    expect(goFloat(1e-5)).toBe('1e-05')
    expect(goFloat(1.5e21)).toBe('1.5e+21')
    expect(goFloat(0.5)).toBe('0.5')
  })
})

describe('checkRegex (RE2 verdicts)', () => {
  it.each([
    '(?i)^/api',
    '(?s).',
    '(?i:x)',
    '(?P<n>x)',
    '\\Q..\\E',
    '[[:alpha:]]',
    '\\pL',
    '\\A',
    '\\z',
    'a{1000}',
    '.*',
  ])('accepts %s', (pattern) => {
    expect(checkRegex(pattern, 'uri')).toBe(ok)
  })

  it.each([
    ['^/a(?=b)', 'invalid or unsupported Perl syntax: `(?=`'],
    ['(?!a)', 'invalid or unsupported Perl syntax: `(?!`'],
    ['\\1', 'invalid escape sequence: `\\1`'],
    ['a*+', 'invalid nested repetition operator: `*+`'],
    ['^/x{1001}', 'invalid repeat count: `{1001}`'],
    ['\\e', 'invalid escape sequence: `\\e`'],
    ['[a-', 'missing closing ]: `[a-`'],
  ])('rejects %s', (pattern, detail) => {
    expect(checkRegex(pattern, 'uri')).toBe(
      `"uri": error parsing regexp: ${detail}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)`,
    )
  })

  it('limits the length to 1024 bytes before compiling', () => {
    expect(checkRegex('a'.repeat(1024), 'headers')).toBe(ok)
    expect(checkRegex('a'.repeat(1025), 'headers')).toBe(
      '"headers": regex is too large, max length allowed is 1024',
    )
    expect(checkRegex('é'.repeat(513), 'uri')).toBe('"uri": regex is too large, max length allowed is 1024')
  })
})

describe('header names', () => {
  it.each([
    ['x-user', ok],
    ['X-User', ok],
    [':authority', ok],
    ['@request.auth.claims.sub', ok],
    ['@request.auth.claims[sub]', ok],
    ['', 'header name cannot be empty'],
    ['x user', 'header name x user is not a valid header name'],
    ['a:b', 'header name a:b is not a valid header name'],
    [':foo', 'header name :foo is not a valid header name'],
  ])('match key %s', (name, expected) => {
    expect(checkHeaderName(name)).toBe(expected)
  })

  it.each([
    ['*', ok],
    ['x-foo', ok],
    ['x foo', 'header name x foo is not a valid header name'],
    ['', 'header name cannot be empty'],
  ])('CORS %s', (name, expected) => {
    expect(checkCorsHeaderName(name)).toBe(expected)
  })

  it.each([
    ['x-a', 'requestSet', ok],
    ['host', 'requestSet', ok],
    [':authority', 'requestSet', ok],
    [':path', 'requestSet', 'invalid header ":path": header cannot have ":" prefix'],
    ['', 'requestSet', 'header name cannot be empty'],
    ['x-a', 'other', ok],
    ['Host', 'other', 'invalid header "Host": cannot set Host header'],
    [':authority', 'other', 'invalid header ":authority": header cannot have ":" prefix'],
  ] as const)('operation %s (%s)', (name, kind, expected) => {
    expect(checkHeaderOperationName(name, kind)).toBe(expected)
  })
})

describe('checkHeaderValue', () => {
  it.each([
    'plain',
    'a\tb',
    '100%%',
    '%HOSTNAME%',
    '%REQ(x-id)%',
    'prefix %HOSTNAME% suffix',
    '%REQ(["a","b"])%',
    '',
  ])('accepts %j', (value) => {
    expect(checkHeaderValue(value)).toBe(ok)
  })

  it.each([
    ['50%', 'header value configuration: invalid header configuration. Un-escaped %'],
    [
      'a%b',
      "header value configuration: invalid header configuration. Un-terminated variable expression 'a%b'",
    ],
    ['%START_TIME%%', 'header value configuration: invalid header configuration. Un-escaped %'],
    ['a\nb', 'header value configuration a\nb is invalid'],
    ['a\u007fb', 'header value configuration a\u007fb is invalid'],
  ])('rejects %j', (value, expected) => {
    expect(checkHeaderValue(value)).toBe(expected)
  })
})

describe('IP and CIDR', () => {
  it.each([
    ['1.2.3.4', ok],
    ['::1', ok],
    ['1.2.3', '1.2.3 is not a valid IP'],
    ['example.com', 'example.com is not a valid IP'],
  ])('ip %s', (text, expected) => {
    expect(checkIpAddress(text)).toBe(expected)
  })

  it.each([
    ['10.0.0.0/8', ok],
    ['10.0.0.1', ok],
    ['2001:db8::/32', ok],
    ['10.0.0.0/33', '10.0.0.0/33 is not a valid CIDR block'],
    ['10.0.0.0/', '10.0.0.0/ is not a valid CIDR block'],
    ['a/8', 'a/8 is not a valid CIDR block'],
    ['10.0.0.0/8/8', '10.0.0.0/8/8 is not a valid IP'],
    ['::/129', '::/129 is not a valid CIDR block'],
  ])('cidr %s', (text, expected) => {
    expect(checkCidr(text)).toBe(expected)
  })
})

describe('labels', () => {
  it('accepts Kubernetes-style keys and values', () => {
    expect(checkLabels({ version: 'v1', 'app.kubernetes.io/name': 'httpbin', empty: '', A_b: 'X.y-z' })).toBe(
      ok,
    )
  })

  it.each([
    [{ '-bad': 'v' }, ['invalid tag key: "-bad"']],
    [{ k: 'bad value' }, ['invalid tag value: "bad value"']],
    [{ 'a/b/c': 'v' }, ['invalid tag key: "a/b/c"']],
    [{ [`x/${'a'.repeat(64)}`]: 'v' }, [`invalid tag key: "x/${'a'.repeat(64)}" (name is too long)`]],
    [{ k: 'v-' }, ['invalid tag value: "v-"']],
  ])('%j', (labels, expected) => {
    expect(checkLabelsAll(labels)).toEqual(expected)
  })
})

describe('checkSubsetName', () => {
  it.each([
    ['v1', ok],
    ['', 'subset name cannot be empty'],
    ['v1.0', 'subset name is invalid: v1.0'],
    ['v1_0', 'subset name is invalid: v1_0'],
  ])('%s', (name, expected) => {
    expect(checkSubsetName(name)).toBe(expected)
  })
})

describe('checkExportTo', () => {
  it.each([
    [['*'], {}, []],
    [['.'], {}, []],
    [['.', 'other'], {}, []],
    [['~'], {}, ['exportTo ~ (none) is not allowed for Istio configuration objects']],
    [['~'], { serviceEntry: true }, []],
    [['~', 'a'], { serviceEntry: true }, ['cannot export service entry to no one (~) and someone']],
    [['a_b'], {}, ['only .,*, or a valid DNS 1123 label is allowed as exportTo entry']],
    [['a', 'a'], {}, ['duplicate entries in exportTo for entry a']],
    [['ns', '.'], {}, ['duplicate entries in exportTo: . and current namespace ns']],
    [['*', 'a'], {}, ['cannot have both public (*) and non-public exportTo values for a resource']],
    [['.'], { workloadSelector: true }, []],
    [
      ['other'],
      { workloadSelector: true },
      ['destination rule with workload selector cannot have exportTo beyond current namespace'],
    ],
    [
      ['.', 'x'],
      { workloadSelector: true },
      ['destination rule with workload selector cannot have multiple entries in exportTo'],
    ],
  ])('%j %j', (exportTo, options, expected) => {
    expect(checkExportTo('ns', exportTo, options)).toEqual(expected)
  })
})

describe('Kubernetes metadata', () => {
  it('checks names as lowercase subdomains', () => {
    expect(checkKubernetesName('web.vs')).toBe(ok)
    expect(checkKubernetesName('Web')).toMatch(/^a lowercase RFC 1123 subdomain/)
    expect(checkKubernetesName('')).toMatch(/^a lowercase RFC 1123 subdomain/)
    expect(checkKubernetesName('a'.repeat(254))).toBe('must be no more than 253 characters')
  })

  it('checks namespaces as lowercase labels', () => {
    expect(checkKubernetesNamespace('istio-system')).toBe(ok)
    expect(checkKubernetesNamespace('a.b')).toMatch(/^a lowercase RFC 1123 label/)
    expect(checkKubernetesNamespace('a'.repeat(64))).toBe('must be no more than 63 characters')
  })
})
