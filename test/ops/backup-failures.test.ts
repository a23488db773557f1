// What goes wrong, and that it is refused clearly without harming anything: tampered files and manifests, the wrong
// key or none, unknown backups, an unreachable S3 target, a failing pg_restore, missing tools, and a restore nobody
// confirmed. Also: the S3 target end to end, and the full-server RDB copy.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/command.js';
import { backupCommand } from '../../src/cli/commands/backup.js';
import { createRestoreCommand } from '../../src/cli/commands/restore.js';
import { type Manifest, signedText } from '../../src/domain/operations/backup-manifest.js';
import { createBackupCipher } from '../../src/platform/backup/encryption.js';
import { startFakeS3 } from '../helpers/fake-s3-server.js';
import {
  DB_PASSWORD,
  fingerprint,
  makeWorld,
  newKey,
  rawRedis,
  redisState,
  runCommand,
  type World,
} from './backup-fixtures.js';

const restoreYes = createRestoreCommand(async () => {
  throw new Error('asked despite --yes');
});

let redis: Redis;
const cleanups: (() => Promise<unknown>)[] = [];
const key = newKey();
let w: World;
let encryptedId: string;
let tables: Awaited<ReturnType<typeof fingerprint>>;

beforeAll(async () => {
  redis = rawRedis();
  w = await makeWorld(redis, cleanups, { BACKUP_ENCRYPTION_KEY: key });
  const made = await runCommand(backupCommand, ['--json'], w.env);
  expect(made.code, made.err).toBe(0);
  encryptedId = (JSON.parse(made.out) as Manifest).id;
  tables = await fingerprint(w.db.url);
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  redis.disconnect();
});

const manifestPath = (id: string) => join(w.backupDir, id, 'manifest.json');
const readManifest = (id: string) => JSON.parse(readFileSync(manifestPath(id), 'utf8')) as Manifest;
const sha256 = async (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Nothing was changed: same rows, the same keys. */
async function untouched(keysBefore: Map<string, unknown>) {
  expect(await fingerprint(w.db.url)).toEqual(tables);
  expect([...(await redisState(redis, w.prefix)).keys()].sort()).toEqual([...keysBefore.keys()].sort());
}

const flipByte = (at: number) => (d: Buffer) => {
  d[at] = (d[at] as number) ^ 0x01;
  return d;
};

/** Edits a stored part (and optionally the manifest), runs a restore of the backup, then puts both back. */
async function withEdited(
  id: string,
  file: string,
  edit: (data: Buffer) => Buffer,
  manifest?: (m: Manifest, edited: Buffer) => Promise<void>,
) {
  const partPath = join(w.backupDir, id, file);
  const original = readFileSync(partPath);
  const originalManifest = readFileSync(manifestPath(id));
  const edited = edit(Buffer.from(original));
  writeFileSync(partPath, edited);
  if (manifest) {
    const m = readManifest(id);
    await manifest(m, edited);
    writeFileSync(manifestPath(id), JSON.stringify(m));
  }
  try {
    return await runCommand(restoreYes, [id, '--yes'], w.env);
  } finally {
    writeFileSync(partPath, original);
    writeFileSync(manifestPath(id), originalManifest);
  }
}

describe('refused restores leave everything as it was', () => {
  it('refuses a file whose bytes changed (SHA-256 differs from the manifest): BACKUP_CORRUPT', async () => {
    const keys = await redisState(redis, w.prefix);
    const run = await withEdited(encryptedId, 'redis.snapshot.enc', (d) => flipByte(d.length - 40)(d));
    expect(run.code).toBe(1);
    expect(run.err).toContain('(BACKUP_CORRUPT)');
    expect(run.err).toContain('redis file of backup');
    await untouched(keys);
  });

  it('refuses a manifest edited to match a changed file (its signature no longer holds): BACKUP_BAD_MANIFEST', async () => {
    const keys = await redisState(redis, w.prefix);
    const run = await withEdited(encryptedId, 'postgres.dump.enc', flipByte(500), async (m, edited) => {
      (m.parts.postgres as { sha256: string }).sha256 = await sha256(edited);
    });
    expect(run.code).toBe(1);
    expect(run.err).toContain('(BACKUP_BAD_MANIFEST)');
    expect(run.err).toContain('was altered');
    await untouched(keys);
  });

  it('detects tampering inside the encryption even when the SHA-256 and the signature were forged: BACKUP_TAMPERED', async () => {
    const keys = await redisState(redis, w.prefix);
    const cipher = createBackupCipher(Buffer.from(key, 'base64'));
    const run = await withEdited(encryptedId, 'postgres.dump.enc', flipByte(500), async (m, edited) => {
      (m.parts.postgres as { sha256: string }).sha256 = await sha256(edited);
      m.mac = cipher.mac(signedText(m));
    });
    expect(run.code).toBe(1);
    expect(run.err).toContain('(BACKUP_TAMPERED)');
    await untouched(keys);
  });

  it('refuses the wrong key (BACKUP_WRONG_KEY) and a missing one (BACKUP_KEY_REQUIRED)', async () => {
    const keys = await redisState(redis, w.prefix);
    const wrong = await runCommand(restoreYes, [encryptedId, '--yes'], { ...w.env, BACKUP_ENCRYPTION_KEY: newKey() });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('(BACKUP_WRONG_KEY)');
    const { BACKUP_ENCRYPTION_KEY: _dropped, ...noKey } = w.env;
    const none = await runCommand(restoreYes, [encryptedId, '--yes'], noKey);
    expect(none.code).toBe(1);
    expect(none.err).toContain('(BACKUP_KEY_REQUIRED)');
    await untouched(keys);
  });

  it('names a missing backup (BACKUP_NOT_FOUND), a malformed id (BACKUP_BAD_ID) and a missing part (BACKUP_PART_MISSING)', async () => {
    const missing = await runCommand(restoreYes, ['20200101T000000Z-abcdef', '--yes'], w.env);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('There is no backup 20200101T000000Z-abcdef');
    expect(missing.err).toContain('(BACKUP_NOT_FOUND)');
    const bad = await runCommand(restoreYes, ['yesterday', '--yes'], w.env);
    expect(bad.err).toContain('(BACKUP_BAD_ID)');
    const empty = await runCommand(restoreYes, ['--yes'], { ...w.env, BACKUP_DIR: join(w.backupDir, 'nothing-here') });
    expect(empty.err).toContain('There are no backups');
    expect(empty.err).toContain('(BACKUP_NOT_FOUND)');
    const redisOnly = await runCommand(backupCommand, ['--only', 'redis', '--json'], w.env);
    const id = (JSON.parse(redisOnly.out) as Manifest).id;
    const part = await runCommand(restoreYes, [id, '--only', 'postgres', '--yes'], w.env);
    expect(part.err).toContain('(BACKUP_PART_MISSING)');
    // A wrong invocation: main.ts prints it with the usage, exit code 2.
    await expect(runCommand(backupCommand, ['--only', 'postgres,mongodb'], w.env)).rejects.toThrow(UsageError);
  });

  it('will not restore without --yes when there is no terminal to ask, nor on a wrong answer', async () => {
    const keys = await redisState(redis, w.prefix);
    const noTerminal = await runCommand(
      createRestoreCommand(async () => null),
      [encryptedId],
      w.env,
    );
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.err).toContain('pass --yes');
    const asked: string[] = [];
    const wrongAnswer = await runCommand(
      createRestoreCommand(async (q) => {
        asked.push(q);
        return 'no';
      }),
      [encryptedId],
      w.env,
    );
    expect(wrongAnswer.code).toBe(1);
    expect(asked[0]).toContain(w.db.name);
    await untouched(keys);
  });
});

describe('tool and target failures', () => {
  it('leaves the live database as it was when pg_restore fails, and says why without the password', async () => {
    const plainEnv = { ...w.env, BACKUP_ENCRYPTION_KEY: '' };
    delete (plainEnv as Record<string, string | undefined>).BACKUP_ENCRYPTION_KEY;
    const made = await runCommand(backupCommand, ['--only', 'postgres', '--json'], plainEnv);
    const id = (JSON.parse(made.out) as Manifest).id;
    // A dump that is damaged in a way only pg_restore can see (size and SHA-256 made to match).
    const dumpPath = join(w.backupDir, id, 'postgres.dump');
    const dump = readFileSync(dumpPath);
    const broken = Buffer.concat([dump.subarray(0, 300), Buffer.alloc(2000, 0x5a)]);
    writeFileSync(dumpPath, broken);
    const m = readManifest(id);
    Object.assign(m.parts.postgres as object, { bytes: broken.length, sha256: await sha256(broken) });
    writeFileSync(manifestPath(id), JSON.stringify(m));
    const before = await listDatabases();
    const run = await runCommand(restoreYes, [id, '--yes'], plainEnv);
    expect(run.code).toBe(1);
    expect(run.err).toContain('(BACKUP_TOOL_FAILED)');
    expect(run.err).toContain('pg_restore');
    expect(run.err).toContain(`the live database ${w.db.name} was not touched`);
    expect(run.err).not.toContain(DB_PASSWORD);
    expect(await fingerprint(w.db.url)).toEqual(tables);
    // The scratch database it restored into is gone.
    expect(await listDatabases()).toEqual(before);
  });

  it('reports missing PostgreSQL tools (BACKUP_TOOL_MISSING) and leaves no half backup behind', async () => {
    const before = readdirSync(w.backupDir).sort();
    const run = await runCommand(backupCommand, [], { ...w.env, BACKUP_PG_BIN_DIR: '/nonexistent/postgresql/bin' });
    expect(run.code).toBe(1);
    expect(run.err).toContain('(BACKUP_TOOL_MISSING)');
    expect(run.err).toContain('/nonexistent/postgresql/bin/pg_dump was not found');
    expect(readdirSync(w.backupDir).sort()).toEqual(before);
    expect(readdirSync(join(w.backupDir, '.staging'))).toEqual([]);
  });

  it('reports an unreachable S3 target (BACKUP_TARGET_UNAVAILABLE) without its secret', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const run = await runCommand(backupCommand, ['--only', 'redis'], {
      ...w.env,
      BACKUP_TARGET: 's3',
      BACKUP_S3_ENDPOINT: `http://127.0.0.1:${port}`,
      BACKUP_S3_BUCKET: 'backups',
      BACKUP_S3_ACCESS_KEY_ID: 'AKID',
      BACKUP_S3_SECRET_ACCESS_KEY: 'very-secret-s3-key',
    });
    expect(run.code).toBe(1);
    expect(run.err).toContain('(BACKUP_TARGET_UNAVAILABLE)');
    expect(run.err).not.toContain('very-secret-s3-key');
    expect(readdirSync(join(w.backupDir, '.staging'))).toEqual([]);
  });

  it('backs up to and restores from S3 (signatures checked by the server)', async () => {
    const s3 = await startFakeS3();
    try {
      const env = {
        ...w.env,
        BACKUP_TARGET: 's3',
        BACKUP_S3_ENDPOINT: s3.url,
        BACKUP_S3_REGION: s3.region,
        BACKUP_S3_BUCKET: s3.bucket,
        BACKUP_S3_PREFIX: 'drill/',
        BACKUP_S3_ACCESS_KEY_ID: s3.accessKeyId,
        BACKUP_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      };
      const keys = await redisState(redis, w.prefix);
      const made = await runCommand(backupCommand, ['--only', 'redis,postgres', '--json'], env);
      expect(made.code, made.err).toBe(0);
      const id = (JSON.parse(made.out) as Manifest).id;
      expect([...s3.objects.keys()].sort()).toEqual([
        `drill/${id}/manifest.json`,
        `drill/${id}/postgres.dump.enc`,
        `drill/${id}/redis.snapshot.enc`,
      ]);
      await redis.del(...keys.keys());
      const restored = await runCommand(restoreYes, ['latest', '--only', 'redis', '--yes'], env);
      expect(restored.code, restored.err).toBe(0);
      const back = await redisState(redis, w.prefix);
      for (const [k, v] of keys) expect(back.get(k)?.dump, k).toBe(v.dump);
      expect(s3.requests.every((r) => r.signed)).toBe(true);
    } finally {
      await s3.close();
    }
  });

  it('copies the whole Redis server’s RDB file with --rdb (restored by hand: a warning says so)', async () => {
    const plainEnv = { ...w.env };
    delete (plainEnv as Record<string, string | undefined>).BACKUP_ENCRYPTION_KEY;
    const made = await runCommand(backupCommand, ['--only', 'redis', '--rdb', '--json'], plainEnv);
    expect(made.code, made.err).toBe(0);
    const m = JSON.parse(made.out) as Manifest;
    expect(m.parts.redis_rdb?.file, JSON.stringify(m.parts)).toBe('redis.rdb');
    expect(
      readFileSync(join(w.backupDir, m.id, 'redis.rdb'))
        .subarray(0, 5)
        .toString(),
    ).toBe('REDIS');
    const restored = await runCommand(restoreYes, [m.id, '--yes'], plainEnv);
    expect(restored.code, restored.err).toBe(0);
    expect(restored.err).toContain('restored by hand');
  });
});

async function listDatabases(): Promise<string[]> {
  const client = new pg.Client({ connectionString: w.db.url.replace(/\/[^/]*$/, '/postgres') });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1',
      [`${w.db.name.slice(0, 40)}%`],
    );
    return rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}
