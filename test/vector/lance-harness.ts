// The contract's harness for LanceDB: each test's store lives in a temp directory of its own.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LanceDbTuning, openLanceDbMaintenance, openLanceDbStore } from '../../src/platform/vector/lancedb.js';
import type { StoreHarness } from './contract.js';

export const tempDir = () => mkdtemp(join(tmpdir(), 'chimera-vectors-'));

export const lanceHarness = (tuning: LanceDbTuning & { metaRefreshMs?: number } = {}): StoreHarness => ({
  newLocation: tempDir,
  open: (dir, model) => openLanceDbStore({ dir, model, ...tuning }),
  maintenance: (dir) => openLanceDbMaintenance({ dir }),
  dispose: (dir) => rm(dir, { recursive: true, force: true, maxRetries: 5 }),
});
