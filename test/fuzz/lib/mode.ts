// Fuzzing knobs shared by test/fuzz: quick (default, CI) or full (CHIMERA_FUZZ=full), and the seed.
import fc from 'fast-check';

/** CHIMERA_FUZZ=full: many more documents and property runs. */
export const FULL = process.env.CHIMERA_FUZZ === 'full';

/** The fixed default seed; CHIMERA_FUZZ_SEED overrides it (an integer, e.g. from a failure report). */
export const DEFAULT_SEED = 20_261_203;

function parseSeed(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_SEED;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`CHIMERA_FUZZ_SEED must be an integer, got "${raw}"`);
  return n | 0;
}

export const SEED = parseSeed(process.env.CHIMERA_FUZZ_SEED);

/** fast-check runs per property: 200 quick, 5,000 full. */
export const NUM_RUNS = FULL ? 5_000 : 200;

/** Test timeout that fits the mode. */
export const PROPERTY_TIMEOUT_MS = FULL ? 600_000 : 60_000;

/**
 * fast-check parameters for a property: the run's seed (offset by a per-property salt so properties do not share
 * the same stream), the mode's number of runs. A failure report names the seed and path to replay it.
 */
export function runs(salt: number, numRuns = NUM_RUNS): fc.Parameters<unknown> {
  return { seed: (SEED + salt) | 0, numRuns, endOnFailure: false };
}

/** Asserts a property with the run parameters; fast-check's report carries the seed and counterexample. */
export function check<Ts extends [unknown, ...unknown[]]>(
  salt: number,
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  numRuns = NUM_RUNS,
): void | Promise<void> {
  const params = { ...runs(salt, numRuns) } as fc.Parameters<Ts>;
  if (property.isAsync()) {
    return fc.assert(property as fc.IAsyncProperty<Ts>, params).catch((err: unknown) => {
      throw withSeed(err);
    });
  }
  try {
    fc.assert(property as fc.IProperty<Ts>, params);
  } catch (err) {
    throw withSeed(err);
  }
}

function withSeed(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`[fuzz seed ${SEED}; reproduce with CHIMERA_FUZZ_SEED=${SEED}] ${message}`, { cause: err });
}
