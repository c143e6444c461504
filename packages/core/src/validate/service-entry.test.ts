import { describe, expect, it } from 'vitest'
import type { ServiceEntryResource, ServiceEntrySpec } from '../resources/index.js'
import { validateServiceEntry } from './service-entry.js'
import { brief } from './test-helpers.js'

const se = (spec: ServiceEntrySpec): ServiceEntryResource => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: { name: 'se' },
  spec,
})
const run = (spec: ServiceEntrySpec) => validateServiceEntry(se(spec)).map(brief)
const HTTP = [{ number: 8000, name: 'http', protocol: 'HTTP' }]

describe('validateServiceEntry: valid', () => {
  it.each<[string, ServiceEntrySpec]>([
    [
      'the design example',
      {
        hosts: ['httpbin.default.svc.cluster.local'],
        ports: HTTP,
        resolution: 'STATIC',
        endpoints: [{ address: '127.0.0.1', ports: { http: 18001 }, labels: { version: 'v1' } }],
      },
    ],
    ['DNS with FQDN host', { hosts: ['api.example.com'], ports: HTTP, resolution: 'DNS' }],
    [
      'DNS wildcard with endpoints',
      {
        hosts: ['*.example.com'],
        ports: HTTP,
        resolution: 'DNS',
        endpoints: [{ address: 'lb.example.com' }],
      },
    ],
    ['exportTo ~', { hosts: ['a.com'], ports: HTTP, exportTo: ['~'] }],
    ['two hosts with HTTP ports', { hosts: ['a.com', 'b.com'], ports: HTTP, resolution: 'DNS' }],
    [
      'addresses with CIDR and STATIC',
      { hosts: ['a.com'], addresses: ['10.0.0.0/8'], ports: HTTP, resolution: 'STATIC' },
    ],
    [
      'DYNAMIC_DNS',
      { hosts: ['*.example.com'], ports: HTTP, resolution: 'DYNAMIC_DNS', location: 'MESH_EXTERNAL' },
    ],
  ])('%s', (_title, spec) => {
    expect(run(spec)).toEqual([])
  })
})

describe('validateServiceEntry: findings', () => {
  it.each<[string, ServiceEntrySpec, string[]]>([
    [
      'no hosts',
      { hosts: [], ports: HTTP },
      ['E PTC2200 spec.hosts | service entry must have at least one host'],
    ],
    ['host *', { hosts: ['*'], ports: HTTP }, ['E PTC2200 spec.hosts[0] | invalid host *']],
    [
      'bad host',
      { hosts: ['a_b.com'], ports: HTTP },
      ['E PTC2200 spec.hosts[0] | domain name "a_b.com" invalid (label "a_b" invalid)'],
    ],
    [
      'partial wildcard',
      { hosts: ['*foo.com'], ports: HTTP },
      ['W PTC2201 spec.hosts[0] | partial wildcard "*foo.com" not allowed'],
    ],
    [
      'bad address',
      { hosts: ['a.com'], addresses: ['a.b'], ports: HTTP },
      ['E PTC2202 spec.addresses[0] | a.b is not a valid IP'],
    ],
    [
      'CIDR with DNS',
      { hosts: ['a.com'], addresses: ['10.0.0.0/8'], ports: HTTP, resolution: 'DNS' },
      ['E PTC2202 spec.addresses | CIDR addresses are allowed only for NONE/STATIC resolution types'],
    ],
    [
      'ports',
      {
        hosts: ['a.com'],
        addresses: ['10.0.0.1'],
        ports: [
          { number: 80, name: 'http_80', protocol: 'HTTP' },
          { number: 80, name: 'http_80', protocol: 'QUIC', targetPort: 70000 },
        ],
      },
      [
        'E PTC2203 spec.ports[0].name | invalid port name: http_80',
        'E PTC2203 spec.ports[1].name | service entry port name "http_80" already defined',
        'E PTC2203 spec.ports[1].number | service entry port 80 already defined',
        'E PTC2203 spec.ports[1].targetPort | port number 70000 must be in the range 1..65535',
        'E PTC2203 spec.ports[1].name | invalid port name: http_80',
        'E PTC2203 spec.ports[1].protocol | unsupported protocol: QUIC',
      ],
    ],
    [
      'TCP port without addresses',
      { hosts: ['a.com'], ports: [{ number: 5432, name: 'pg', protocol: 'TCP' }] },
      [
        'W PTC2209 spec.ports[0].protocol | addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled',
      ],
    ],
    [
      'endpoints without resolution',
      { hosts: ['a.com'], ports: HTTP, endpoints: [{ address: '1.1.1.1' }] },
      ['E PTC2204 spec.endpoints | no endpoints should be provided for resolution type none'],
    ],
    [
      'STATIC endpoint with a name',
      { hosts: ['a.com'], ports: HTTP, resolution: 'STATIC', endpoints: [{ address: 'host.local' }] },
      ['E PTC2205 spec.endpoints[0].address | endpoint address "host.local" is not a valid IP address'],
    ],
    [
      'STATIC endpoint without address, unknown port',
      {
        hosts: ['a.com'],
        ports: HTTP,
        resolution: 'STATIC',
        endpoints: [{}, { address: '1.1.1.1', ports: { grpc: 9000 } }],
      },
      [
        'E PTC2205 spec.endpoints[0].address | address is required',
        'E PTC2205 spec.endpoints[1].ports.grpc | endpoint port 9000 is not defined by the service entry',
      ],
    ],
    [
      'DNS wildcard without endpoints',
      { hosts: ['*.example.com'], ports: HTTP, resolution: 'DNS' },
      [
        'E PTC2204 spec.hosts[0] | hosts must be FQDN or contain only prefix wildcards if no endpoints are provided for resolution mode DNS, domain name "*.example.com" invalid (label "*" invalid)',
      ],
    ],
    [
      'DNS endpoint not an FQDN',
      { hosts: ['a.com'], ports: HTTP, resolution: 'DNS', endpoints: [{ address: 'a_b' }] },
      ['E PTC2205 spec.endpoints[0].address | endpoint address "a_b" is not a valid FQDN or an IP address'],
    ],
    [
      'DNS_ROUND_ROBIN with two endpoints',
      {
        hosts: ['a.com'],
        ports: HTTP,
        resolution: 'DNS_ROUND_ROBIN',
        endpoints: [{ address: 'a.com' }, { address: 'b.com' }],
      },
      ['E PTC2204 spec.endpoints | there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN'],
    ],
    [
      'two hosts and a TCP port',
      {
        hosts: ['a.com', 'b.com'],
        addresses: ['10.0.0.1'],
        ports: [{ number: 5432, name: 'pg', protocol: 'TCP' }],
        resolution: 'DNS',
      },
      [
        'W PTC2209 spec.hosts | service entry can not have more than one host specified simultaneously with address and tcp port',
        'E PTC2206 spec.ports[0].protocol | multiple hosts provided with non-HTTP, non-TLS ports',
      ],
    ],
    [
      'two hosts and a port without protocol (STATIC)',
      {
        hosts: ['a.com', 'b.com'],
        addresses: ['10.0.0.1'],
        ports: [{ number: 80, name: 'p' }],
        resolution: 'STATIC',
      },
      ['E PTC2206 spec.ports[0].protocol | multiple hosts provided with non-HTTP, non-TLS ports'],
    ],
    [
      'selector and endpoints',
      {
        hosts: ['a.com'],
        ports: HTTP,
        resolution: 'STATIC',
        workloadSelector: { labels: { app: 'a' } },
        endpoints: [],
      },
      [
        'E PTC2207 spec.workloadSelector | only one of WorkloadSelector or Endpoints is allowed in Service Entry',
      ],
    ],
    [
      'DYNAMIC_DNS with a plain host',
      { hosts: ['a.com'], ports: HTTP, resolution: 'DYNAMIC_DNS', location: 'MESH_EXTERNAL' },
      ['E PTC2204 spec.hosts[0] | host must be wildcarded for resolution mode DYNAMIC_DNS'],
    ],
    [
      'exportTo ~ and another',
      { hosts: ['a.com'], ports: HTTP, exportTo: ['~', 'ns'] },
      ['E PTC2208 spec.exportTo | cannot export service entry to no one (~) and someone'],
    ],
  ])('%s', (_title, spec, expected) => {
    expect(run(spec)).toEqual(expected)
  })
})
