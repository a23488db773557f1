// Seeded randomness, mode and ports for the fault suite. CHIMERA_FAULTS_MODE=full runs the long version (not
// CHIMERA_FAULTS, which arms the application's own crash points); CHIMERA_FAULTS_SEED replays a run (the seed is
// printed at the start and in every failure message).
import { createServer } from 'node:net';

export const FULL = process.env.CHIMERA_FAULTS_MODE === 'full';
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

export const replay = () => `replay with CHIMERA_FAULTS_SEED=${SEED}${FULL ? ' CHIMERA_FAULTS_MODE=full' : ''}`;

/** A loopback port nobody listens on right now (for a private server restarted on the same port). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const address = srv.address();
  await new Promise((r) => srv.close(r));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A full run outlasts the 15-minute access token of the test's users: sessions are not under test here. */
export const LONG_SESSIONS = { ACCESS_TOKEN_TTL_SECONDS: '7200' };
