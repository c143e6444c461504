/**
 * CPython's `random` module core (MT19937 seeded like `random.seed(int)`), so `/bytes/{n}?seed=s`
 * and `/stream-bytes/{n}?seed=s` return the bytes the Python httpbin returns for the same seed.
 */
export class PyRandom {
  readonly #mt = new Uint32Array(624)
  #index = 624

  /** Seeds like `random.seed(n)` for an integer n (its absolute value, as 32-bit words). */
  constructor(seed: bigint) {
    let n = seed < 0n ? -seed : seed
    const key: number[] = []
    do {
      key.push(Number(n & 0xffffffffn))
      n >>= 32n
    } while (n > 0n)
    this.#initByArray(key)
  }

  #initGenrand(s: number): void {
    const mt = this.#mt
    mt[0] = s >>> 0
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30)
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0
    }
    this.#index = 624
  }

  #initByArray(key: number[]): void {
    const mt = this.#mt
    this.#initGenrand(19650218)
    let i = 1
    let j = 0
    for (let k = Math.max(624, key.length); k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30)
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1664525)) + key[j]! + j) >>> 0
      i++
      j++
      if (i >= 624) {
        mt[0] = mt[623]!
        i = 1
      }
      if (j >= key.length) j = 0
    }
    for (let k = 623; k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30)
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1566083941)) - i) >>> 0
      i++
      if (i >= 624) {
        mt[0] = mt[623]!
        i = 1
      }
    }
    mt[0] = 0x80000000
  }

  /** The next 32-bit output (`genrand_uint32`). */
  uint32(): number {
    const mt = this.#mt
    if (this.#index >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % 624]! & 0x7fffffff)
        mt[k] = mt[(k + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)
      }
      this.#index = 0
    }
    let y = mt[this.#index++]!
    y ^= y >>> 11
    y ^= (y << 7) & 0x9d2c5680
    y ^= (y << 15) & 0xefc60000
    y ^= y >>> 18
    return y >>> 0
  }

  /** `random.randint(0, 255)`: `_randbelow(256)` draws 9 bits and rejects values ≥ 256. */
  byte(): number {
    for (;;) {
      const r = this.uint32() >>> 23
      if (r < 256) return r
    }
  }
}
