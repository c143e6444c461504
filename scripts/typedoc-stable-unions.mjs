// A TypeDoc plugin that prints the members of every union type in one fixed order, so that
// docs/api reads the same on every machine. TypeScript orders a union's members by its internal
// type ids, which follow the order in which the checker first met each type and so the order in
// which modules happen to load; the same sources could print `A | B` on one machine and `B | A`
// on another. Members are sorted by how they print, with `null` and `undefined` last
// (`string | undefined` reads as written).
import { Converter, Type } from 'typedoc'

const LAST = new Set(['null', 'undefined'])

function order(a, b) {
  const x = a.toString()
  const y = b.toString()
  const lastX = LAST.has(x)
  const lastY = LAST.has(y)
  if (lastX !== lastY) return lastX ? 1 : -1
  return x < y ? -1 : x > y ? 1 : 0
}

/** Sorts the unions in `type`, the innermost first (an outer union sorts by how its members print). */
function stabilize(type) {
  for (const value of Object.values(type)) {
    if (Array.isArray(value)) {
      for (const item of value) if (item instanceof Type) stabilize(item)
    } else if (value instanceof Type) stabilize(value)
  }
  if (type.type === 'union') type.types.sort(order)
}

// Every property of a reflection that holds a type (or a list of them).
const TYPE_FIELDS = ['type', 'default', 'extendedTypes', 'extendedBy', 'implementedTypes', 'implementedBy']

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    for (const reflection of Object.values(context.project.reflections)) {
      for (const field of TYPE_FIELDS) {
        const value = reflection[field]
        if (Array.isArray(value)) {
          for (const type of value) if (type instanceof Type) stabilize(type)
        } else if (value instanceof Type) stabilize(value)
      }
    }
  })
}
