// Seeded randomness and mode for the fault suite. CHIMERA_FAULTS=full runs the long version; CHIMERA_FAULTS_SEED
// replays a run (the seed is printed at the start and in every failure message).
export const FULL = process.env.CHIMERA_FAULTS === 'full';
export const SEED = Number(process.env.CHIMERA_FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: small, fast, good enough to pick kill points reproducibly. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export const replay = () => `replay with CHIMERA_FAULTS_SEED=${SEED}${FULL ? ' CHIMERA_FAULTS=full' : ''}`;
