import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { type JsonSchema, resourceJsonSchema, resourceJsonSchemas, resourceKinds } from './index.js'

/**
 * A small JSON Schema checker covering the keywords zod emits for these schemas (type,
 * properties, required, additionalProperties, items, enum, const, pattern, minimum, maximum,
 * anyOf, $ref to $defs). Returns the paths that fail.
 */
function validateJson(schema: JsonSchema, root: JsonSchema, value: unknown, path = '$'): string[] {
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/$defs/', '')
    const target = (root.$defs as Record<string, JsonSchema> | undefined)?.[name]
    if (!target) return [`${path}: unresolved ${schema.$ref}`]
    return validateJson(target, root, value, path)
  }
  const errors: string[] = []
  if (Array.isArray(schema.anyOf)) {
    const ok = (schema.anyOf as JsonSchema[]).some((s) => validateJson(s, root, value, path).length === 0)
    if (!ok) errors.push(`${path}: anyOf`)
  }
  if ('const' in schema && value !== schema.const) errors.push(`${path}: const`)
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: enum`)
  const type = schema.type
  if (type !== undefined) {
    const types = Array.isArray(type) ? (type as string[]) : [type as string]
    const actual =
      value === null
        ? 'null'
        : Array.isArray(value)
          ? 'array'
          : typeof value === 'number'
            ? Number.isInteger(value)
              ? 'integer'
              : 'number'
            : typeof value
    const fits = types.includes(actual) || (actual === 'integer' && types.includes('number'))
    if (!fits) return [...errors, `${path}: type ${actual} not ${types.join('|')}`]
  }
  if (
    typeof value === 'string' &&
    typeof schema.pattern === 'string' &&
    !new RegExp(schema.pattern, 'u').test(value)
  ) {
    errors.push(`${path}: pattern`)
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: minimum`)
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: maximum`)
  }
  if (Array.isArray(value) && schema.items && typeof schema.items === 'object') {
    value.forEach((item, i) => {
      errors.push(...validateJson(schema.items as JsonSchema, root, item, `${path}[${i}]`))
    })
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>
    for (const key of (schema.required ?? []) as string[])
      if (!(key in value)) errors.push(`${path}.${key}: required`)
    for (const [key, child] of Object.entries(value)) {
      const sub = props[key]
      if (sub) errors.push(...validateJson(sub, root, child, `${path}.${key}`))
      else if (schema.additionalProperties === false) errors.push(`${path}.${key}: additional`)
      else if (typeof schema.additionalProperties === 'object') {
        errors.push(...validateJson(schema.additionalProperties as JsonSchema, root, child, `${path}.${key}`))
      }
    }
  }
  return errors
}

const fixtures = (name: string) =>
  parseAllDocuments(readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8')).map(
    (d) => d.toJS() as Record<string, unknown>,
  )

describe('resourceJsonSchema', () => {
  test.each(resourceKinds)('%s is a draft 2020-12 object schema with the envelope', (kind) => {
    const schema = resourceJsonSchema(kind)
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema)
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(schema.type).toBe('object')
    expect(schema.title).toBe(kind)
    expect(schema.additionalProperties).toBe(false)
    const properties = schema.properties as Record<string, JsonSchema>
    expect((properties.kind as JsonSchema).const).toBe(kind)
    expect(Object.keys(properties)).toContain('metadata')
    expect(schema.required).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'metadata']))
  })

  test('every fixture resource validates against its JSON Schema', () => {
    const schemas = resourceJsonSchemas()
    const objects = [...fixtures('seed.yaml'), ...fixtures('full.yaml')]
    for (const obj of objects) {
      const schema = schemas[obj.kind as keyof typeof schemas]
      expect(validateJson(schema, schema, obj)).toEqual([])
    }
  })

  test('the JSON Schema refuses what the loader refuses (unknown fields, types, enums, durations)', () => {
    const schema = resourceJsonSchema('VirtualService')
    const vs = (http: unknown) => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'a' },
      spec: { http: [http] },
    })
    const route = [{ destination: { host: 'a' } }]
    expect(validateJson(schema, schema, vs({ route }))).toEqual([])
    expect(validateJson(schema, schema, vs({ route, mach: [] }))).toEqual(['$.spec.http[0].mach: additional'])
    expect(validateJson(schema, schema, vs({ route, timeout: 10 }))).toHaveLength(1)
    expect(validateJson(schema, schema, vs({ route, timeout: '10' }))).toEqual([
      '$.spec.http[0].timeout: pattern',
    ])
    expect(
      validateJson(schema, schema, vs({ route: [{ destination: { host: 'a', port: { number: 1.5 } } }] })),
    ).toHaveLength(1)
    const dr = resourceJsonSchema('DestinationRule')
    const bad = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'a' },
      spec: { host: 'a', trafficPolicy: { tls: { mode: 'simple' } } },
    }
    expect(validateJson(dr, dr, bad)).toEqual(['$.spec.trafficPolicy.tls.mode: enum'])
  })
})
