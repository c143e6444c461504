import { checkWildcardDomain, goQuote } from './primitives.js'

const OUTBOUND_FORMAT = 'outbound_.<PORT>_._.<HOSTNAME>'

/**
 * Istio's host check for a VirtualService host or an SNI host: a (wildcard) domain name
 * (`ValidateWildcardDomain`). When the VirtualService is bound to gateways only and has SNI
 * matches (`sni`), Istio also accepts the names AUTO_PASSTHROUGH generates,
 * `outbound_.<port>_._.<hostname>` (`ValidateWildcardDomainForVirtualServiceBoundToGateway`).
 * Returns Istio's message or `undefined`. IP addresses fail here; callers decide about them.
 */
export function checkVirtualServiceHost(
  host: string,
  boundToGateway: boolean,
  sni: boolean,
): string | undefined {
  if (boundToGateway && sni && host.length > 0 && host.length <= 255 && host.startsWith('outbound_')) {
    const parts = host.split('_')
    if (parts.length < 4) {
      return `domain name ${host} invalid, should follow '${OUTBOUND_FORMAT}' format`
    }
    const direction = parts[0] ?? ''
    const port = trimDots(parts[1] ?? '')
    const hostname = trimDots(parts[3] ?? '')
    if (direction !== 'outbound') {
      return `domain name ${goQuote(host)} invalid (label ${goQuote(direction)} invalid)`
    }
    if (!/[0-9]/.test(port)) {
      return `domain name ${goQuote(host)} invalid (label ${goQuote(port)} invalid). should follow ${OUTBOUND_FORMAT} format`
    }
    if (!/[a-zA-Z]/.test(hostname)) {
      return `domain name ${goQuote(host)} invalid (label ${goQuote(hostname)} invalid). should follow ${OUTBOUND_FORMAT} format`
    }
    return undefined
  }
  return checkWildcardDomain(host)
}

function trimDots(text: string): string {
  return text.replace(/^\.+|\.+$/g, '')
}
