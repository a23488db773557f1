// The restore drill: a seeded Chimera (PostgreSQL rows, Redis keys under its prefix, LanceDB vectors) is backed up
// with `chimera backup`, destroyed (database dropped, keys deleted, vector directory removed), restored with
// `chimera restore`, and must come back identical: the same rows (counted and hashed here, independently of the
// backup code), the same keys with their TTLs, vectors that answer a search, and an API that serves the restored
// rows. Once encrypted, once in plain files; a neighbour's Redis keys are never touched.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { backupCommand } from '../../src/cli/commands/backup.js';
import { createRestoreCommand } from '../../src/cli/commands/restore.js';
import { loadConfig } from '../../src/config.js';
import { openLanceDbStore } from '../../src/platform/vector/lancedb.js';
import { randomVector, SYNTHETIC } from '../vector/fixtures.js';
import {
  DB_PASSWORD,
  destroyWorld,
  fingerprint,
  makeWorld,
  newKey,
  rawRedis,
  redisState,
  runCommand,
  type World,
} from './backup-fixtures.js';

const neverAsked = createRestoreCommand(async () => {
  throw new Error('restore asked for confirmation despite --yes');
});

let redis: Redis;
const cleanups: (() => Promise<unknown>)[] = [];
beforeAll(() => {
  redis = rawRedis();
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  redis.disconnect();
});

/** The API, started on the restored database, reads the restored rows. */
async function serveAndRead(w: World): Promise<string[]> {
  const config = loadConfig({
    ...w.env,
    HOST: '127.0.0.1',
    PORT: '0',
    PASSWORD_HASH_MEMORY_KIB: '1024',
    RESPONSE_CACHE: 'false',
    DATABASE_POOL_SIZE: '2',
  });
  const app = createApp(config);
  try {
    const user = await app.services.users.create(
      { email: 'drill@test.chimera', password: 'correct horse battery staple', roles: ['super_admin'], attributes: {} },
      null,
      {},
    );
    await app.db.user.update({ where: { id: user.id }, data: { mfaEnabledAt: new Date() } });
    const session = await app.services.auth.startSession(user.id, { method: 'password', amr: ['pwd', 'otp'] }, {});
    const res = await app.yoga.fetch('http://chimera.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.accessToken}` },
      body: JSON.stringify({ query: '{ agents(first: 10) { edges { node { name persona { name } } } } }' }),
    });
    const body = (await res.json()) as {
      data?: { agents: { edges: { node: { name: string; persona: { name: string } | null } }[] } };
      errors?: unknown;
    };
    expect(body.errors).toBeUndefined();
    return (body.data?.agents.edges ?? []).map((e) => `${e.node.name}/${e.node.persona?.name}`).sort();
  } finally {
    await app.close();
  }
}

describe('the restore drill', () => {
  it('brings back an encrypted backup of all three stores exactly, and the API serves it', async () => {
    const w = await makeWorld(redis, cleanups, { BACKUP_ENCRYPTION_KEY: newKey() });
    const neighbour = `${w.prefix.slice(0, -'a*[b]:'.length)}aXb:not-chimera`;
    await redis.set(neighbour, 'belongs to another tenant of this Redis');
    const tables = await fingerprint(w.db.url);
    const keys = await redisState(redis, w.prefix);
    expect(tables.agents?.rows).toBe(2);
    expect(tables.wallets?.rows).toBe(1);
    expect(keys.size).toBe(7);

    const made = await runCommand(backupCommand, ['--json'], w.env);
    expect(made.err).toBe('');
    expect(made.code).toBe(0);
    const manifest = JSON.parse(made.out) as {
      id: string;
      encryption: unknown;
      parts: Record<string, { file?: string }>;
    };
    expect(manifest.encryption).toBeTruthy();
    expect(Object.keys(manifest.parts).sort()).toEqual(['postgres', 'redis', 'vectors']);
    expect(readdirSync(join(w.backupDir, manifest.id)).sort()).toEqual([
      'manifest.json',
      'postgres.dump.enc',
      'redis.snapshot.enc',
      'vectors.tar.enc',
    ]);
    // Encrypted on disk: neither the dump's text nor a Redis value can be read from the files.
    const stored = readFileSync(join(w.backupDir, manifest.id, 'postgres.dump.enc'));
    expect(stored.subarray(0, 5).toString()).not.toBe('PGDMP');
    expect(stored.includes(Buffer.from('Juno Vale'))).toBe(false);
    expect(
      readFileSync(join(w.backupDir, manifest.id, 'redis.snapshot.enc')).includes(Buffer.from('glob characters')),
    ).toBe(false);

    await destroyWorld(redis, w);
    expect(await redis.get(neighbour)).toBe('belongs to another tenant of this Redis');

    const restored = await runCommand(neverAsked, ['latest', '--yes'], w.env);
    expect(restored.code, `${restored.out}\n${restored.err}`).toBe(0);
    expect(restored.out).toContain('Restore complete: the data matches the backup.');
    for (const step of [
      'restore_postgresql',
      'restore_redis',
      'restore_vectors',
      'rebuild_indexes',
      'validate_data_integrity',
    ]) {
      expect(restored.out).toContain(`${step}:`);
    }
    expect(restored.out.indexOf('restore_postgresql')).toBeLessThan(restored.out.indexOf('restore_redis'));
    expect(restored.out.indexOf('restore_redis')).toBeLessThan(restored.out.indexOf('restore_vectors'));

    expect(await fingerprint(w.db.url)).toEqual(tables);
    const back = await redisState(redis, w.prefix);
    expect([...back.keys()].sort()).toEqual([...keys.keys()].sort());
    for (const [key, before] of keys) {
      const after = back.get(key);
      expect(after?.dump, key).toBe(before.dump);
      if (before.pttl === -1) expect(after?.pttl, key).toBe(-1);
      else {
        expect(after?.pttl, key).toBeGreaterThan(0);
        expect(after?.pttl, key).toBeLessThanOrEqual(before.pttl);
      }
    }
    expect(await redis.get(neighbour)).toBe('belongs to another tenant of this Redis');
    await redis.del(neighbour);

    const store = await openLanceDbStore({ dir: w.vectorDir, model: SYNTHETIC });
    const hits = await store.search('AgentMemory', randomVector(7), { limit: 1, filter: { agentId: w.agentId } });
    expect(hits[0]?.record.content).toBe('memory 7');
    expect(await store.count('ContentEmbedding')).toBe(10);
    await store.close();

    expect(await serveAndRead(w)).toEqual(['juno-main/Juno Vale', 'second-agent/Second persona']);
    for (const output of [made.out, made.err, restored.out, restored.err]) expect(output).not.toContain(DB_PASSWORD);
  });

  it('brings back an unencrypted backup, store by store (--only), and lists it', async () => {
    const w = await makeWorld(redis, cleanups);
    const tables = await fingerprint(w.db.url);
    const keys = await redisState(redis, w.prefix);
    const made = await runCommand(backupCommand, [], w.env);
    expect(made.code, made.err).toBe(0);
    const listed = await runCommand(backupCommand, ['--list'], w.env);
    expect(listed.code).toBe(0);
    const id = listed.out.split(/\s+/)[0] as string;
    expect(listed.out).toContain('plain');
    expect(listed.out).toMatch(/postgres \([\d.]+ KB\), redis \(7 keys, [\d.]+ (B|KB)\), vectors/);
    expect(
      readFileSync(join(w.backupDir, id, 'postgres.dump'))
        .subarray(0, 5)
        .toString(),
    ).toBe('PGDMP');

    await destroyWorld(redis, w);
    const pg = await runCommand(neverAsked, [id, '--only', 'postgres', '--yes'], w.env);
    expect(pg.code, pg.err).toBe(0);
    expect(pg.out).not.toContain('restore_redis');
    expect(await fingerprint(w.db.url)).toEqual(tables);
    expect((await redisState(redis, w.prefix)).size).toBe(0);

    const rest = await runCommand(neverAsked, [id, '--only', 'redis,vectors', '--yes', '--json'], w.env);
    expect(rest.code, rest.err).toBe(0);
    const report = JSON.parse(rest.out) as { ok: boolean; mismatches: unknown[]; restored: { part: string }[] };
    expect(report).toMatchObject({ ok: true, mismatches: [] });
    expect(report.restored.map((r) => r.part)).toEqual(['redis', 'vectors']);
    expect([...(await redisState(redis, w.prefix)).keys()].sort()).toEqual([...keys.keys()].sort());
    const store = await openLanceDbStore({ dir: w.vectorDir, model: SYNTHETIC });
    expect(await store.count('AgentMemory')).toBe(30);
    await store.close();
  });
});
