import type { z } from 'zod'
import type { Diagnostic, FieldPath, ResourceRef, SourceLocation } from '../diagnostics/diagnostic.js'
import { formatPath } from '../diagnostics/diagnostic.js'
import { isDurationSchema } from '../resources/common.js'
import { LOAD_CODES } from './codes.js'
import { didYouMean } from './suggest.js'

/** What a schema check needs to turn zod issues into diagnostics. */
export interface IssueContext {
  readonly resource?: ResourceRef
  readonly locate?: (path: FieldPath) => SourceLocation
}

const YAML11_BOOLEANS = new Set(['yes', 'no', 'on', 'off', 'y', 'n'])

const DURATION_HINT = 'expected Go duration syntax such as "10s", "1.5s" or "1h30m"'

/**
 * Runs `schema` on `input` and reports every problem as a diagnostic at its field path:
 * unknown fields (with a did-you-mean from the allowed keys), wrong types, missing fields,
 * enum names, oneof clashes and bad durations. Never throws.
 */
export function checkWithSchema<T extends z.ZodType>(
  schema: T,
  input: unknown,
  context: IssueContext,
): { value: z.output<T> | undefined; diagnostics: Diagnostic[] } {
  const allowedKeys = new Map<string, readonly string[]>()
  const integerPaths = new Set<string>()
  let result: z.ZodSafeParseResult<z.output<T>>
  try {
    result = parseWithMessages()
  } catch (error) {
    // Only reachable for pathological input (e.g. a cyclic object built in code).
    return {
      value: undefined,
      diagnostics: [
        {
          severity: 'error',
          code: LOAD_CODES.notAnObject,
          message: `cannot check object: ${error instanceof Error ? error.message : String(error)}`,
          ...(context.resource ? { resource: context.resource } : {}),
          ...(context.locate ? { source: context.locate([]) } : {}),
        },
      ],
    }
  }
  function parseWithMessages(): z.ZodSafeParseResult<z.output<T>> {
    return schema.safeParse(input, {
      reportInput: true,
      error: (issue) => {
        const inst = issue.inst as
          | { _zod?: { def?: { shape?: Record<string, unknown>; format?: string } } }
          | undefined
        if (issue.code === 'unrecognized_keys') {
          const shape = inst?._zod?.def?.shape
          if (shape) allowedKeys.set(JSON.stringify(issue.path ?? []), Object.keys(shape))
          return undefined
        }
        if (issue.code === 'invalid_type' && isDurationSchema(issue.inst) && issue.input !== undefined) {
          const field = lastName(issue.path ?? [])
          return `bad Duration for ${field}: ${DURATION_HINT}, got ${describeValue(issue.input)}`
        }
        if (issue.code === 'invalid_type' && inst?._zod?.def?.format === 'safeint') {
          integerPaths.add(JSON.stringify(issue.path ?? []))
        }
        return undefined
      },
    })
  }
  if (result.success) return { value: result.data, diagnostics: [] }
  const diagnostics: Diagnostic[] = []
  for (const issue of result.error.issues) {
    for (const d of toDiagnostics(issue, allowedKeys, integerPaths)) {
      diagnostics.push({
        severity: 'error',
        code: d.code,
        message: d.message,
        ...(context.resource ? { resource: context.resource } : {}),
        path: formatPath(d.path),
        ...(context.locate ? { source: context.locate(d.path) } : {}),
      })
    }
  }
  // Report in text order (zod reports nested problems before the unknown keys of their parent).
  diagnostics.sort(
    (a, b) =>
      (a.source?.line ?? 0) - (b.source?.line ?? 0) || (a.source?.column ?? 0) - (b.source?.column ?? 0),
  )
  return { value: undefined, diagnostics }
}

interface Finding {
  readonly code: string
  readonly message: string
  readonly path: FieldPath
}

function toDiagnostics(
  issue: z.core.$ZodIssue,
  allowedKeys: Map<string, readonly string[]>,
  integerPaths: Set<string>,
): Finding[] {
  const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol')
  const field = lastName(path)
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys.get(JSON.stringify(path)) ?? []
      return issue.keys.map((key) => {
        const suggestion = didYouMean(key, allowed)
        const hint = suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`
        const where = path.length === 0 ? 'at the top level' : `in ${formatPath(path)}`
        return {
          code: LOAD_CODES.unknownField,
          message: `unknown field "${key}" ${where}${hint}`,
          path: [...path, key],
        }
      })
    }
    case 'invalid_type': {
      if (issue.message.startsWith('bad Duration')) {
        return [{ code: LOAD_CODES.badDuration, message: issue.message, path }]
      }
      if (issue.input === undefined) {
        return [{ code: LOAD_CODES.missingField, message: `missing required field "${field}"`, path }]
      }
      const wanted = integerPaths.has(JSON.stringify(path)) ? 'an integer' : typeName(issue.expected)
      const yaml11 =
        issue.expected === 'boolean' &&
        typeof issue.input === 'string' &&
        YAML11_BOOLEANS.has(issue.input.toLowerCase())
          ? ' (YAML 1.2 reads yes/no/on/off as text: write true or false)'
          : ''
      return [
        {
          code: LOAD_CODES.wrongType,
          message: `${field} must be ${wanted}, got ${describeValue(issue.input)}${yaml11}`,
          path,
        },
      ]
    }
    case 'invalid_value': {
      const allowed = issue.values.map((v) => String(v))
      const suggestion = typeof issue.input === 'string' ? didYouMean(issue.input, allowed) : undefined
      const hint = suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`
      return [
        {
          code: LOAD_CODES.badEnum,
          message: `${field}: ${typeof issue.input === 'string' ? JSON.stringify(issue.input) : describeValue(issue.input)} is not one of ${allowed.join(', ')}${hint}`,
          path,
        },
      ]
    }
    case 'custom': {
      if (issue.params?.oneOf) return [{ code: LOAD_CODES.oneOf, message: issue.message, path }]
      if (issue.message.startsWith('bad Duration')) {
        return [{ code: LOAD_CODES.badDuration, message: durationMessage(field, issue.input), path }]
      }
      return [{ code: LOAD_CODES.badValue, message: `${field}: ${issue.message}`, path }]
    }
    case 'invalid_format': {
      if (issue.message.startsWith('bad Duration')) {
        return [{ code: LOAD_CODES.badDuration, message: durationMessage(field, issue.input), path }]
      }
      return [{ code: LOAD_CODES.badValue, message: `${field}: ${issue.message}`, path }]
    }
    case 'too_small':
    case 'too_big': {
      const message =
        issue.origin === 'number' || issue.origin === 'int'
          ? `${field}: ${describeValue(issue.input)} is out of range (${issue.code === 'too_small' ? 'minimum' : 'maximum'} ${String(issue.code === 'too_small' ? issue.minimum : issue.maximum)})`
          : `${field}: ${issue.message}`
      return [{ code: LOAD_CODES.badValue, message, path }]
    }
    default:
      return [{ code: LOAD_CODES.badValue, message: `${field}: ${issue.message}`, path }]
  }
}

function durationMessage(field: string, input: unknown): string {
  return `bad Duration for ${field}: ${describeValue(input)} is not a duration; ${DURATION_HINT}`
}

/**
 * The last property name of a path with any list indexes after it (`spec.http[0].timeout` →
 * `timeout`, `spec.hosts[1]` → `hosts[1]`); `value` at the root.
 */
function lastName(path: readonly PropertyKey[]): string {
  let indexes = ''
  for (let i = path.length - 1; i >= 0; i--) {
    const segment = path[i]
    if (typeof segment === 'string') return `${segment}${indexes}`
    indexes = `[${String(segment)}]${indexes}`
  }
  return `value${indexes}`
}

function typeName(expected: string): string {
  switch (expected) {
    case 'int':
      return 'an integer'
    case 'number':
      return 'a number'
    case 'string':
      return 'a string'
    case 'boolean':
      return 'a boolean (true or false)'
    case 'array':
      return 'a list'
    case 'object':
    case 'record':
    case 'map':
      return 'a map'
    default:
      return expected
  }
}

/** A short description of a value: `string "80"`, `number 1.5`, `a list`, `null`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`
    case 'number':
    case 'bigint':
    case 'boolean':
      return `${typeof value} ${String(value)}`
    case 'object':
      return value instanceof Uint8Array ? 'binary data' : 'a map'
    default:
      return typeof value
  }
}
