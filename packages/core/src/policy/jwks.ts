/**
 * Reads an inline JWKS: a JSON object with a `keys` array of JSON objects with a string `kty`,
 * or a single such key. Returns the keys, or why the text is not a key set.
 */
export function parseJwks(text: string): Record<string, unknown>[] | string {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return `failed to unmarshal JWK set: ${(error as Error).message}`
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'failed to unmarshal JWK set: not an object'
  const obj = value as Record<string, unknown>
  const keys = Object.hasOwn(obj, 'keys') ? obj.keys : [obj]
  if (!Array.isArray(keys)) return 'failed to unmarshal JWK set: "keys" is not an array'
  const out: Record<string, unknown>[] = []
  for (const [i, key] of keys.entries()) {
    if (typeof key !== 'object' || key === null || Array.isArray(key))
      return `failed to parse key at index ${i}: not an object`
    const kty = (key as Record<string, unknown>).kty
    if (typeof kty !== 'string' || kty === '') return `failed to parse key at index ${i}: missing "kty"`
    out.push(key as Record<string, unknown>)
  }
  return out
}
