/** Levenshtein edit distance between two strings. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0
  if (a.length === 0) return b.length
  if (b.length === 0) return a.length
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  let current = new Array<number>(b.length + 1).fill(0)
  for (let i = 1; i <= a.length; i++) {
    current[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost)
    }
    ;[previous, current] = [current, previous]
  }
  return previous[b.length] ?? 0
}

/**
 * The closest of `candidates` to `word`, when close enough to be a likely typo: same text ignoring
 * case, the camelCase form of a snake_case proto name, or within an edit distance of about a
 * third of the word's length (at least 1, at most 3).
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase()
  const camel = word.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
  for (const candidate of candidates) {
    if (candidate === camel && camel !== word) return candidate
  }
  for (const candidate of candidates) {
    if (candidate.toLowerCase() === lower) return candidate
  }
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)))
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return bestDistance <= limit ? best : undefined
}
