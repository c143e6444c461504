import { z } from 'zod'
import { parseDuration } from '../model/duration.js'

/**
 * Go `time.ParseDuration` grammar as a pattern (the JSON Schema carries it; overflow is checked
 * separately by {@link parseDuration}).
 */
const GO_DURATION_PATTERN =
  /^[-+]?(?:0|(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)$/

const durationInstances = new WeakSet<object>()

/**
 * A `google.protobuf.Duration` in Istio's JSON form: a string in Go duration syntax (`10s`,
 * `1.5s`, `1h30m`). The value stays the string; value rules (≥1ms, whole ms) belong to validation.
 */
export const durationSchema = z
  .string()
  .regex(GO_DURATION_PATTERN, { error: 'bad Duration', abort: true })
  .refine((text) => parseDuration(text) !== undefined, { error: 'bad Duration' })
  .meta({ description: 'Duration in Go syntax, e.g. "10s", "1.5s", "1h30m"' })
durationInstances.add(durationSchema)

/** True when a zod schema instance is the duration schema (lets diagnostics say "bad Duration"). */
export function isDurationSchema(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && durationInstances.has(schema)
}

/** A proto `uint32`: an integer in 0..4294967295 (no quoted numbers, no fractions). */
export const uint32Schema = z.int().min(0).max(4294967295)

/** A proto `int32`: an integer in -2147483648..2147483647. */
export const int32Schema = z.int().min(-2147483648).max(2147483647)

/** A proto `uint64` (limited to JavaScript's safe integers). */
export const uint64Schema = z.int().min(0)

/** A proto `double`. */
export const doubleSchema = z.number()

/** `map<string, string>`. */
export const stringMapSchema = z.record(z.string(), z.string())

/** `map<string, uint32>`. */
export const uint32MapSchema = z.record(z.string(), uint32Schema)

/**
 * Marks members of a proto `oneof`: at most one of `keys` may be present on the object.
 * A second key is reported at its own path (`uri.prefix` when `uri.exact` is already set).
 */
export function oneOf<T extends z.ZodObject>(schema: T, ...groups: readonly (readonly string[])[]): T {
  return schema.superRefine((value, ctx) => {
    if (typeof value !== 'object' || value === null) return
    for (const group of groups) {
      const present = group.filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      if (present.length < 2) continue
      for (const key of present.slice(1)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `only one of ${group.join(', ')} may be set (found ${present.join(' and ')})`,
          params: { oneOf: group },
          input: (value as Record<string, unknown>)[key],
        })
      }
    }
  }) as unknown as T
}
