// Seeded randomness for tests that choose at random (fault victims, pauses,
// generated data): one printed seed replays the same choices. The seed comes
// from PROTEA_TEST_SEED when set (to replay a failure), otherwise it is fresh;
// it is printed at the start of the test and again in its teardown when the
// test failed, so the line to replay is next to the failure.
import { randomInt } from 'node:crypto';
import type { Test } from 'tap';
import { mulberry32 } from '../../lib/seeded-random.js';

/** A deterministic source of numbers in [0, 1) and the choices built on it. */
export interface SeededRandom {
  /** the seed this source started from (replay with PROTEA_TEST_SEED=<seed>) */
  readonly seed: number;
  /** the next number in [0, 1), like Math.random() */
  next(): number;
  /** an integer in [min, max] (both included) */
  int(min: number, max: number): number;
  /** a number in [min, max) */
  between(min: number, max: number): number;
  /** one element of a non-empty list */
  pick<T>(items: readonly T[]): T;
  /** a new array with the items in random order (Fisher-Yates) */
  shuffle<T>(items: readonly T[]): T[];
  /** a seed for another generator or process, derived from this one (e.g. PROTEA_FAULT_SEED of a child) */
  derive(): number;
}

/** Choices on mulberry32 (lib/seeded-random.ts), good enough for test inputs and faults. */
export function seededRandom(seed: number): SeededRandom {
  const next = mulberry32(seed);
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    seed: seed >>> 0,
    next,
    int,
    between: (min, max) => min + next() * (max - min),
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('seededRandom.pick: empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    shuffle: <T>(items: readonly T[]): T[] => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
    derive: () => Math.floor(next() * 4294967296) >>> 0,
  };
}

/** The seed of this run: PROTEA_TEST_SEED when set (decimal or 0x hex), otherwise a fresh one. */
export function testSeed(): number {
  const raw = process.env.PROTEA_TEST_SEED;
  if (raw !== undefined && raw.trim() !== '') {
    const n = Number(raw.trim());
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`PROTEA_TEST_SEED must be an integer in 0..4294967295, got ${JSON.stringify(raw)}`);
    return n;
  }
  return randomInt(0, 0xffffffff);
}

/**
 * A seeded source for test `t`: prints the seed now, and again when `t` ends
 * failed (with the command line to replay it). `label` names the source when
 * a test has several.
 */
export function testRandom(t: Test, label = 'random choices'): SeededRandom {
  const r = seededRandom(testSeed());
  const replay = `PROTEA_TEST_SEED=${r.seed}`;
  t.comment(`${label}: seed ${r.seed} (replay with ${replay})`);
  t.teardown(() => {
    // t.passing() is false once an assertion of t (or of a subtest) failed
    if (!t.passing()) t.comment(`FAILED with ${label} from seed ${r.seed}: replay with ${replay}`);
  });
  return r;
}
