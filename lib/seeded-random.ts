// A small seeded generator (mulberry32): the same seed gives the same numbers
// in [0, 1). For choices that must replay from a printed seed (test fault
// hooks, test data), never for anything secret.

/** The next-number function of a generator started at seed. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}
