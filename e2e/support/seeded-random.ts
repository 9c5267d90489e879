// mulberry32: a tiny seeded PRNG. The same seed gives the same sequence, so a fault run's
// shuffled round can be replayed from its seed and every side of a benchmark gets the same
// events. Used by e2e/faults (nemesis order) and bench (workloads).

/** A function returning numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
