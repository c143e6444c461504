import type { Diagnostic, FieldPath } from '../diagnostics/diagnostic.js'
import { isWildcardHost } from '../model/hosts.js'
import { DEFAULT_NAMESPACE, isIpAddress } from '../model/names.js'
import type { ServiceEntryResource, WorkloadEntry } from '../resources/index.js'
import { CODES } from './codes.js'
import { validateMetadata } from './metadata.js'
import {
  checkCidr,
  checkExportTo,
  checkFqdn,
  checkLabelsAll,
  checkPartialWildcard,
  checkPort,
  checkPortName,
  checkProtocol,
  checkWildcardDomain,
  isHttpProtocol,
  isTlsProtocol,
  parseProtocol,
} from './primitives.js'
import { Report } from './report.js'

const UNIX_PREFIX = 'unix://'

/**
 * Judges one ServiceEntry the way Istio's admission webhook does (`ValidateServiceEntry`,
 * `validateWorkloadEntry`, `validateExportTo`). Resolution defaults to `NONE`. IP
 * auto-allocation is taken as disabled (Istio's default), so TCP ports without `addresses`
 * warn.
 */
export function validateServiceEntry(resource: ServiceEntryResource): Diagnostic[] {
  const report = new Report(resource)
  validateMetadata(resource, report)
  const namespace = resource.metadata.namespace ?? DEFAULT_NAMESPACE
  const spec = resource.spec
  const resolution = spec.resolution ?? 'NONE'
  const hosts = spec.hosts ?? []
  const addresses = spec.addresses ?? []
  const ports = spec.ports ?? []
  const endpoints = spec.endpoints

  const selector = spec.workloadSelector
  if (selector !== undefined) {
    const labels = selector.labels ?? {}
    for (const [k, v] of Object.entries(labels)) {
      const at: FieldPath = ['spec', 'workloadSelector', 'labels', k]
      if (k === '') {
        report.error(
          CODES.seWorkloadSelector,
          `empty key is not supported in selector: ${JSON.stringify(`${k}=${v}`)}`,
          at,
        )
      }
      if (k.includes('*') || v.includes('*')) {
        report.error(
          CODES.seWorkloadSelector,
          `wildcard is not supported in selector: ${JSON.stringify(`${k}=${v}`)}`,
          at,
        )
      }
    }
    if (Object.keys(labels).length === 0) {
      report.warning(
        CODES.seWarning,
        'service entry: workload selector specified without labels, will be applied to all services in namespace',
        ['spec', 'workloadSelector'],
      )
    }
    if (endpoints !== undefined) {
      report.error(
        CODES.seWorkloadSelector,
        'only one of WorkloadSelector or Endpoints is allowed in Service Entry',
        ['spec', 'workloadSelector'],
      )
    }
  }

  if (hosts.length === 0)
    report.error(CODES.seHosts, 'service entry must have at least one host', ['spec', 'hosts'])
  for (const [i, host] of hosts.entries()) {
    const at: FieldPath = ['spec', 'hosts', i]
    if (host === '*') {
      report.error(CODES.seHosts, 'invalid host *', at)
      continue
    }
    report.check(CODES.seHosts, checkWildcardDomain(host), at)
    if (resolution !== 'DYNAMIC_DNS') {
      const partial = checkPartialWildcard(host)
      if (partial !== undefined) report.warning(CODES.sePartialWildcard, partial, at)
    }
  }

  let cidrFound = false
  for (const [i, address] of addresses.entries()) {
    cidrFound ||= address.includes('/')
    report.check(CODES.seAddress, checkCidr(address), ['spec', 'addresses', i])
  }
  if (cidrFound && resolution !== 'NONE' && resolution !== 'STATIC') {
    report.error(CODES.seAddress, 'CIDR addresses are allowed only for NONE/STATIC resolution types', [
      'spec',
      'addresses',
    ])
  }

  const portNames = new Set<string>()
  const portNumbers = new Set<number>()
  for (const [i, port] of ports.entries()) {
    const at: FieldPath = ['spec', 'ports', i]
    if (portNames.has(port.name)) {
      report.error(CODES.sePort, `service entry port name ${JSON.stringify(port.name)} already defined`, [
        ...at,
        'name',
      ])
    }
    portNames.add(port.name)
    if (portNumbers.has(port.number)) {
      report.error(CODES.sePort, `service entry port ${port.number} already defined`, [...at, 'number'])
    }
    portNumbers.add(port.number)
    if (port.targetPort !== undefined && port.targetPort !== 0) {
      report.check(CODES.sePort, checkPort(port.targetPort), [...at, 'targetPort'])
    }
    if (
      addresses.length === 0 &&
      (port.protocol === undefined || port.protocol === '' || port.protocol === 'TCP')
    ) {
      report.warning(
        CODES.seWarning,
        'addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled',
        [...at, 'protocol'],
      )
    }
    report.check(CODES.sePort, checkPortName(port.name), [...at, 'name'])
    report.check(CODES.sePort, checkProtocol(port.protocol, 'serviceEntry'), [...at, 'protocol'])
    report.check(CODES.sePort, checkPort(port.number), [...at, 'number'])
  }

  const eps = endpoints ?? []
  switch (resolution) {
    case 'NONE':
      if (eps.length !== 0) {
        report.error(CODES.seResolution, 'no endpoints should be provided for resolution type none', [
          'spec',
          'endpoints',
        ])
      }
      if (selector !== undefined) {
        report.warning(CODES.seWarning, 'workloadSelector should not be set when resolution mode is NONE', [
          'spec',
          'workloadSelector',
        ])
      }
      break
    case 'STATIC':
      for (const [i, ep] of eps.entries())
        validateWorkloadEntry(report, ep, portNames, ['spec', 'endpoints', i])
      break
    case 'DNS':
    case 'DNS_ROUND_ROBIN': {
      if (eps.length === 0) {
        for (const [i, host] of hosts.entries()) {
          const err = checkFqdn(host)
          if (err !== undefined) {
            report.error(
              CODES.seResolution,
              `hosts must be FQDN or contain only prefix wildcards if no endpoints are provided for resolution mode ${resolution}, ${err}`,
              ['spec', 'hosts', i],
            )
            break
          }
        }
      }
      if (resolution === 'DNS_ROUND_ROBIN' && eps.length > 1) {
        report.error(
          CODES.seResolution,
          `there must only be 0 or 1 endpoint for resolution mode ${resolution}`,
          ['spec', 'endpoints'],
        )
      }
      for (const [i, ep] of eps.entries()) {
        const at: FieldPath = ['spec', 'endpoints', i]
        const address = ep.address ?? ''
        if (!isIpAddress(address) && checkFqdn(address) !== undefined) {
          report.error(
            CODES.seEndpoint,
            `endpoint address ${JSON.stringify(address)} is not a valid FQDN or an IP address`,
            [...at, 'address'],
          )
        }
        for (const message of checkLabelsAll(ep.labels ?? {}))
          report.error(CODES.labels, message, [...at, 'labels'])
        checkEndpointPorts(report, ep, portNames, at)
      }
      if (addresses.length > 0) {
        for (const port of ports) {
          const p = parseProtocol(port.protocol ?? '')
          if (
            p === 'TCP' ||
            p === 'HTTPS' ||
            p === 'TLS' ||
            p === 'Mongo' ||
            p === 'Redis' ||
            p === 'MySQL'
          ) {
            if (hosts.length > 1) {
              report.warning(
                CODES.seWarning,
                'service entry can not have more than one host specified simultaneously with address and tcp port',
                ['spec', 'hosts'],
              )
            }
            break
          }
        }
      }
      break
    }
    case 'DYNAMIC_DNS': {
      for (const [i, host] of hosts.entries()) {
        if (!isWildcardHost(host)) {
          report.error(CODES.seResolution, `host must be wildcarded for resolution mode ${resolution}`, [
            'spec',
            'hosts',
            i,
          ])
        }
      }
      if (addresses.length !== 0) {
        report.error(
          CODES.seResolution,
          `addresses cannot be set for resolution type ${resolution}. HTTP route domains will only be generatedfrom the hosts field values`,
          ['spec', 'addresses'],
        )
      }
      if (eps.length !== 0) {
        report.error(
          CODES.seResolution,
          `endpoints cannot be set for resolution type ${resolution}. Destination IP address determined from hostsfield values`,
          ['spec', 'endpoints'],
        )
      }
      for (const [i, port] of ports.entries()) {
        const p = parseProtocol(port.protocol ?? '')
        if (p !== 'HTTP' && p !== 'TLS' && p !== 'GRPC' && p !== 'HTTP2') {
          report.error(
            CODES.seResolution,
            `only HTTP, TLS, GRPC, and HTTP2 protocols are supported for resolution type ${resolution}`,
            ['spec', 'ports', i, 'protocol'],
          )
        }
      }
      break
    }
  }

  if (resolution !== 'NONE' && hosts.length > 1) {
    for (const [i, port] of ports.entries()) {
      const p = parseProtocol(port.protocol ?? '')
      if (!isHttpProtocol(p) && !isTlsProtocol(p)) {
        report.error(CODES.seMultipleHostsTcp, 'multiple hosts provided with non-HTTP, non-TLS ports', [
          'spec',
          'ports',
          i,
          'protocol',
        ])
        break
      }
    }
  }

  for (const message of checkExportTo(namespace, spec.exportTo ?? [], { serviceEntry: true })) {
    report.error(CODES.seExportTo, message, ['spec', 'exportTo'])
  }
  return report.diagnostics
}

/** Istio's `validateWorkloadEntry` for STATIC endpoints (FQDN addresses refused). */
function validateWorkloadEntry(
  report: Report,
  ep: WorkloadEntry,
  servicePorts: Set<string>,
  at: FieldPath,
): void {
  const address = ep.address ?? ''
  if (address === '') {
    if ((ep.network ?? '') === '') {
      report.error(CODES.seEndpoint, 'address is required', [...at, 'address'])
      return
    }
    report.warning(CODES.seWarning, `address is unset with network ${JSON.stringify(ep.network)}`, [
      ...at,
      'address',
    ])
  }
  let unix = false
  if (address.startsWith(UNIX_PREFIX)) {
    unix = true
    const path = address.slice(UNIX_PREFIX.length)
    if (path === '') report.error(CODES.seEndpoint, 'unix address must not be empty', [...at, 'address'])
    else if (!path.startsWith('@') && (!path.startsWith('/') || path.endsWith('/'))) {
      report.error(CODES.seEndpoint, `${path} is not an absolute path to a file`, [...at, 'address'])
    }
    if (Object.keys(ep.ports ?? {}).length !== 0) {
      report.error(CODES.seEndpoint, `unix endpoint ${address} must not include ports`, [...at, 'ports'])
    }
  } else if (address !== '' && !isIpAddress(address)) {
    report.error(CODES.seEndpoint, `endpoint address ${JSON.stringify(address)} is not a valid IP address`, [
      ...at,
      'address',
    ])
  }
  checkEndpointPorts(report, ep, servicePorts, at)
  for (const message of checkLabelsAll(ep.labels ?? {}))
    report.error(CODES.labels, message, [...at, 'labels'])
  if (unix && servicePorts.size !== 1) {
    report.error(CODES.seEndpoint, 'exactly 1 service port required for unix endpoints', [...at, 'address'])
  }
}

function checkEndpointPorts(
  report: Report,
  ep: WorkloadEntry,
  servicePorts: Set<string>,
  at: FieldPath,
): void {
  for (const [name, port] of Object.entries(ep.ports ?? {})) {
    const p: FieldPath = [...at, 'ports', name]
    if (!servicePorts.has(name)) {
      report.error(CODES.seEndpoint, `endpoint port ${port} is not defined by the service entry`, p)
    }
    report.check(CODES.seEndpoint, checkPortName(name), p)
    report.check(CODES.seEndpoint, checkPort(port), p)
  }
}
