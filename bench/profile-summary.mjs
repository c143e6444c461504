// Self time per function from a V8 .cpuprofile (node --cpu-prof): node bench/profile-summary.mjs <file> [top]
import { readFileSync } from 'node:fs'

const [, , file, topArg] = process.argv
const prof = JSON.parse(readFileSync(file, 'utf8'))
const byId = new Map(prof.nodes.map((n) => [n.id, n]))
const dt = new Map()
for (let i = 0; i < prof.samples.length; i++)
  dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0))
const total = [...dt.values()].reduce((a, b) => a + b, 0)
const self = new Map()
const area = new Map()
for (const [id, us] of dt) {
  const cf = byId.get(id).callFrame
  const url = cf.url.replace(/^file:\/\/.*?\/(packages|node_modules)\//, '$1/')
  const key = `${cf.functionName || '(anonymous)'} ${url ? `${url}:${cf.lineNumber + 1}` : ''}`
  self.set(key, (self.get(key) ?? 0) + us)
  const a = url.includes('packages/')
    ? `portico ${url.split('/').slice(0, 2).join('/')}`
    : url.includes('undici')
      ? 'undici'
      : url.startsWith('node:')
        ? 'node core (JS)'
        : cf.functionName === '(garbage collector)'
          ? 'GC'
          : cf.functionName === '(idle)'
            ? 'idle'
            : cf.functionName === '(program)'
              ? 'native/program'
              : 'other'
  area.set(a, (area.get(a) ?? 0) + us)
}
const pct = (us) => `${((100 * us) / total).toFixed(1)}%`
console.log(`total ${(total / 1e6).toFixed(2)} s sampled\n\n| area | self share |\n| --- | ---: |`)
for (const [a, us] of [...area].sort((x, y) => y[1] - x[1])) console.log(`| ${a} | ${pct(us)} |`)
console.log('\n| function | self share |\n| --- | ---: |')
for (const [k, us] of [...self].sort((x, y) => y[1] - x[1]).slice(0, Number(topArg ?? 40)))
  console.log(`| \`${k}\` | ${pct(us)} |`)
