/** `address:port` of a socket or an endpoint: IPv6 in brackets, IPv4-mapped IPv6 (`::ffff:…`) as IPv4. */
export function hostPort(address: string, port: number): string {
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address
  return plain.includes(':') ? `[${plain}]:${port}` : `${plain}:${port}`
}
