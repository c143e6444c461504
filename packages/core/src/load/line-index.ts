/**
 * Offset → 1-based line and column over a text, counting `\n` as the line break (so `\r\n`
 * ends a line once). Built from the text itself, so positions stay right even where the YAML
 * parser gave up mid-line.
 */
export class LineIndex {
  readonly #starts: number[] = [0]

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.#starts.push(i + 1)
  }

  /** The line and column of a character offset (clamped to the text). */
  linePos(offset: number): { line: number; col: number } {
    const starts = this.#starts
    let low = 0
    let high = starts.length - 1
    const at = Math.max(0, offset)
    while (low < high) {
      const mid = (low + high + 1) >> 1
      if ((starts[mid] ?? 0) <= at) low = mid
      else high = mid - 1
    }
    return { line: low + 1, col: at - (starts[low] ?? 0) + 1 }
  }
}
