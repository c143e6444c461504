/**
 * The process port a gateway port listens on: an explicit mapping wins (`0` = ephemeral);
 * otherwise a privileged gateway port p < 1024 listens on p + 8000 (Istio's stock chart maps
 * 80 → 8080 and 443 → 8443), and any other port on itself.
 */
export function listenPortFor(gatewayPort: number, map?: Readonly<Record<number, number>>): number {
  const mapped = map?.[gatewayPort]
  if (mapped !== undefined) return mapped
  return gatewayPort < 1024 ? gatewayPort + 8000 : gatewayPort
}
