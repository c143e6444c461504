import { z } from 'zod'
import { type ResourceKind, resourceKinds, resourceSchemaFor } from './resource.js'

/** A JSON Schema document (draft 2020-12), as plain JSON data. */
export type JsonSchema = Record<string, unknown>

/**
 * The JSON Schema (draft 2020-12) of one kind, envelope included, generated from the same zod
 * schema the loader checks with: editors can validate and complete Portico YAML with it. Oneof
 * groups and Go-duration overflow are checked by the loader only; the duration grammar is a
 * `pattern`.
 */
export function resourceJsonSchema(kind: ResourceKind): JsonSchema {
  const schema = z.toJSONSchema(resourceSchemaFor(kind), { target: 'draft-2020-12', unrepresentable: 'any' })
  return { ...schema, title: kind } as JsonSchema
}

/** The JSON Schemas of every kind Portico handles, by kind. */
export function resourceJsonSchemas(): Record<ResourceKind, JsonSchema> {
  const out = {} as Record<ResourceKind, JsonSchema>
  for (const kind of resourceKinds) out[kind] = resourceJsonSchema(kind)
  return out
}
