// Vector-store backups: LanceDB snapshots taken while another process writes (each must open, count and answer a
// search once restored), the archive format (a real tar; hostile paths refused), and the Weaviate backup adapter
// against a local server speaking Weaviate's backup API.
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { backupCommand } from '../../src/cli/commands/backup.js';
import { createRestoreCommand } from '../../src/cli/commands/restore.js';
import type { Manifest } from '../../src/domain/operations/backup-manifest.js';
import type { BackupAdapterError } from '../../src/platform/backup/backup-error.js';
import { tarStream, untar } from '../../src/platform/backup/ustar.js';
import { createLanceSnapshots } from '../../src/platform/backup/vector-snapshot.js';
import { createWeaviateBackups } from '../../src/platform/backup/weaviate-backup.js';
import { openLanceDbStore } from '../../src/platform/vector/lancedb.js';
import { createTestDatabase } from '../helpers/db.js';
import { startFakeWeaviate } from '../helpers/fake-weaviate-server.js';
import { AGENT_A, AGENT_B, memory, randomVector, SYNTHETIC } from '../vector/fixtures.js';
import { backupEnv, newKey, runCommand } from './backup-fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'chimera-vector-backup-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const toFile = (file: string) => (data: Readable) => pipeline(data, createWriteStream(file));

describe('LanceDB snapshots', () => {
  // A writer process of its own (tsx start-up included) and up to 8 snapshots: slow on a busy 2-core machine.
  it('are consistent while another process writes: every snapshot restores, counts and answers a search', {
    timeout: 120_000,
  }, async () => {
    const dir = join(work, 'live');
    const store = await openLanceDbStore({ dir, model: SYNTHETIC });
    await store.upsert(
      'AgentMemory',
      Array.from({ length: 40 }, (_, i) => ({ record: memory({ agentId: AGENT_A }), vector: randomVector(i) })),
    );
    await store.close();
    // A writer in its own process: upserts and deletes in a loop while the snapshots are taken.
    const writer = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/vector/lance-writer.ts', dir, AGENT_B, '60', '20'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    writer.stdout.on('data', (d) => {
      output += d;
    });
    writer.stderr.on('data', (d) => {
      output += d;
    });
    const exited = new Promise<number | null>((resolve) => writer.once('exit', resolve));
    const snapshots = createLanceSnapshots({ dir });
    let running = true;
    void exited.then(() => {
      running = false;
    });
    // Start once the writer is writing, so the snapshots overlap its commits.
    while (running && (await snapshots.counts()).AgentMemory <= 40) await new Promise((r) => setTimeout(r, 20));
    const taken: { file: string; counts: Record<string, number>; during: boolean }[] = [];
    while (taken.length < 3 || (running && taken.length < 8)) {
      const file = join(work, `snap-${taken.length}.tar`);
      const before = running;
      await snapshots.snapshot(toFile(file));
      taken.push({ file, counts: await snapshots.inspect(createReadStream(file), work), during: before && running });
    }
    expect(await exited, output).toBe(0);
    expect(
      taken.some((t) => t.during),
      'no snapshot overlapped the writer',
    ).toBe(true);
    for (const [i, snap] of taken.entries()) {
      const target = join(work, `restored-${i}`);
      const restored = createLanceSnapshots({ dir: target });
      await restored.restore(createReadStream(snap.file));
      expect(await restored.counts()).toEqual(snap.counts);
      expect(snap.counts.AgentMemory).toBeGreaterThanOrEqual(40);
      const opened = await openLanceDbStore({ dir: target, model: SYNTHETIC });
      const hits = await opened.search('AgentMemory', randomVector(3), { limit: 3, filter: { agentId: AGENT_A } });
      expect(hits[0]?.score).toBeCloseTo(1, 5);
      await opened.close();
    }
    // The last snapshot after the writer finished holds exactly what the live store holds.
    const final = join(work, 'final.tar');
    await snapshots.snapshot(toFile(final));
    const live = await snapshots.counts();
    expect(await snapshots.inspect(createReadStream(final), work)).toEqual(live);
  });

  it('is a tar that system tar lists, and restores over an existing store (replacing it)', async () => {
    const dir = join(work, 'small');
    const store = await openLanceDbStore({ dir, model: SYNTHETIC });
    await store.upsert('AgentMemory', [
      { record: memory({ agentId: AGENT_A, content: 'kept' }), vector: randomVector(1) },
    ]);
    await store.close();
    const file = join(work, 'small.tar');
    const snapshots = createLanceSnapshots({ dir });
    await snapshots.snapshot(toFile(file));
    const listing = execFileSync('tar', ['-tf', file], { encoding: 'utf8' });
    expect(listing).toMatch(/chimera_meta\.lance\/_versions\/\d+\.manifest/);
    expect(listing).not.toContain('latest_version_hint.json');
    const more = await openLanceDbStore({ dir, model: SYNTHETIC });
    await more.upsert('AgentMemory', [{ record: memory({ agentId: AGENT_B }), vector: randomVector(2) }]);
    await more.close();
    expect((await snapshots.counts()).AgentMemory).toBe(2);
    await snapshots.restore(createReadStream(file));
    expect((await snapshots.counts()).AgentMemory).toBe(1);
    expect(await snapshots.optimize()).toBeInstanceOf(Array);
  });

  it('snapshots a store that does not exist yet as an empty one', async () => {
    const snapshots = createLanceSnapshots({ dir: join(work, 'never-created') });
    const file = join(work, 'empty.tar');
    await snapshots.snapshot(toFile(file));
    expect(await snapshots.inspect(createReadStream(file), work)).toEqual({
      AgentMemory: 0,
      TrendAnalysis: 0,
      ContentEmbedding: 0,
    });
  });

  it('refuses archive entries that would leave the target directory', async () => {
    const evil = join(work, 'evil.txt');
    writeFileSync(evil, 'x');
    const target = join(work, 'untar-target');
    mkdirSync(target);
    for (const path of ['../escape.txt', 'a/../../escape.txt', '/etc/chimera-escape']) {
      const err = await untar(Readable.from(tarStream([{ path, file: evil }])), target).catch((e: unknown) => e);
      expect((err as BackupAdapterError).code, path).toBe('BACKUP_BAD_FORMAT');
    }
    const ok = await untar(Readable.from(tarStream([{ path: `${'deep/'.repeat(40)}file.txt`, file: evil }])), target);
    expect(ok.files).toBe(1);
  });
});

describe('Weaviate backups over its REST API', () => {
  it('backs up the existing classes, waits for SUCCESS, and restores them over existing ones', async () => {
    const w = await startFakeWeaviate({ apiKey: 'weaviate-key' });
    try {
      w.classes.set('AgentMemory', 12);
      w.classes.set('ContentEmbedding', 5);
      w.classes.set('SomeoneElses', 99);
      const backups = createWeaviateBackups({ url: w.url, apiKey: 'weaviate-key', backend: 's3', pollMs: 1 });
      expect(await backups.counts()).toEqual({ AgentMemory: 12, TrendAnalysis: 0, ContentEmbedding: 5 });
      const ref = await backups.create('20260314T093012Z-a1b2c3');
      expect(ref).toMatchObject({ backend: 's3', backupId: 'chimera-20260314t093012z-a1b2c3' });
      expect(ref.classes.sort()).toEqual(['AgentMemory', 'ContentEmbedding']);
      const polls = w.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/backups/s3/')).length;
      expect(polls).toBeGreaterThanOrEqual(2);
      // Lose data, then restore: the classes that exist are deleted first (Weaviate refuses to restore over them).
      w.classes.set('AgentMemory', 1);
      w.classes.delete('ContentEmbedding');
      await backups.restore(ref);
      expect(Object.fromEntries(w.classes)).toEqual({ AgentMemory: 12, ContentEmbedding: 5, SomeoneElses: 99 });
      expect(w.requests.some((r) => r.method === 'DELETE' && r.path === '/v1/schema/SomeoneElses')).toBe(false);
    } finally {
      await w.close();
    }
  });

  it('reports a failed backup, a wrong API key and an unreachable server with their codes', async () => {
    const w = await startFakeWeaviate({ apiKey: 'weaviate-key' });
    try {
      w.classes.set('AgentMemory', 1);
      w.failNext = 'disk full on the backup volume';
      const backups = createWeaviateBackups({ url: w.url, apiKey: 'weaviate-key', backend: 'filesystem', pollMs: 1 });
      const failed = (await backups.create('20260314T093012Z-000001').catch((e: unknown) => e)) as BackupAdapterError;
      expect(failed.code).toBe('BACKUP_REMOTE_FAILED');
      expect(failed.message).toContain('disk full on the backup volume');
      const wrongKey = createWeaviateBackups({ url: w.url, apiKey: 'nope', backend: 'filesystem' });
      expect(((await wrongKey.counts().catch((e: unknown) => e)) as BackupAdapterError).code).toBe(
        'BACKUP_TARGET_REJECTED',
      );
    } finally {
      await w.close();
    }
    const gone = createWeaviateBackups({ url: w.url, backend: 'filesystem' });
    expect(((await gone.counts().catch((e: unknown) => e)) as BackupAdapterError).code).toBe(
      'BACKUP_TARGET_UNAVAILABLE',
    );
  });
});

describe('chimera backup / restore with VECTOR_STORE=weaviate', () => {
  it('records the Weaviate backup in the manifest and restores it through the backup module', async () => {
    const w = await startFakeWeaviate();
    const db = await createTestDatabase();
    try {
      w.classes.set('AgentMemory', 7);
      w.classes.set('TrendAnalysis', 3);
      const env = backupEnv({
        DATABASE_URL: db.url,
        VECTOR_STORE: 'weaviate',
        WEAVIATE_URL: w.url,
        WEAVIATE_BACKUP_BACKEND: 's3',
        BACKUP_DIR: join(work, 'weaviate-backups'),
        BACKUP_ENCRYPTION_KEY: newKey(),
      });
      const made = await runCommand(backupCommand, ['--only', 'vectors', '--json'], env);
      expect(made.code, made.err).toBe(0);
      const m = JSON.parse(made.out) as Manifest;
      expect(m.parts.vectors).toMatchObject({
        store: 'weaviate',
        backend: 's3',
        classes: ['AgentMemory', 'TrendAnalysis'],
      });
      expect(m.integrity.vectors).toEqual({
        collections: { AgentMemory: 7, TrendAnalysis: 3, ContentEmbedding: 0 },
        exact: false,
      });
      w.classes.set('AgentMemory', 2);
      const restore = createRestoreCommand(async () => null);
      const run = await runCommand(restore, ['latest', '--yes'], env);
      expect(run.code, run.err).toBe(0);
      expect(run.out).toContain('Weaviate classes AgentMemory, TrendAnalysis restored from s3/');
      expect(Object.fromEntries(w.classes)).toEqual({ AgentMemory: 7, TrendAnalysis: 3 });
      // A LanceDB deployment refuses the Weaviate backup instead of restoring something else.
      const lance = await runCommand(restore, [m.id, '--yes'], { ...env, VECTOR_STORE: 'lancedb', WEAVIATE_URL: '' });
      expect(lance.code).toBe(1);
      expect(lance.err).toContain('(BACKUP_STORE_MISMATCH)');
    } finally {
      await w.close();
      await db.drop();
    }
  });
});
