// Backup retention (BACKUP_KEEP_*): each kind kept for its own period, the newest of each always kept, backups with
// nothing left removed whole, leftovers of unfinished backups cleaned up; the dates are the service's clock.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupDepsOf } from '../../src/cli/backup-deps.js';
import { backupCommand } from '../../src/cli/commands/backup.js';
import { loadConfig } from '../../src/config.js';
import { createBackupService } from '../../src/domain/operations/backup.service.js';
import { liveParts, type Manifest, type PartKind } from '../../src/domain/operations/backup-manifest.js';
import { cutoffOf, planPrune } from '../../src/domain/operations/backup-retention.js';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../helpers/db.js';
import { backupEnv, rawRedis, runCommand } from './backup-fixtures.js';

const DAY = 86_400_000;
const NOW = new Date('2026-06-15T12:00:00.000Z');

describe('periods', () => {
  it('subtract like PostgreSQL intervals (months and years by the calendar)', () => {
    expect(cutoffOf('30 days', NOW).toISOString()).toBe('2026-05-16T12:00:00.000Z');
    expect(cutoffOf('12 weeks', NOW).toISOString()).toBe('2026-03-23T12:00:00.000Z');
    expect(cutoffOf('1 week', NOW).toISOString()).toBe('2026-06-08T12:00:00.000Z');
    expect(cutoffOf('6 months', NOW).toISOString()).toBe('2025-12-15T12:00:00.000Z');
    expect(cutoffOf('2 years', NOW).toISOString()).toBe('2024-06-15T12:00:00.000Z');
    expect(cutoffOf('1 hour', NOW).toISOString()).toBe('2026-06-15T11:00:00.000Z');
    expect(() => cutoffOf('forever', NOW)).toThrow(/Not a period/);
  });
});

const fake = (id: string, daysAgo: number, parts: PartKind[]): Manifest =>
  ({
    format: 'chimera-backup/1',
    id,
    created_at: new Date(NOW.getTime() - daysAgo * DAY).toISOString(),
    chimera_version: '0.1.0',
    migrations: [],
    encryption: null,
    parts: Object.fromEntries(
      parts.map((p) => [p, { file: `${p}.x`, bytes: 0, sha256: '0'.repeat(64), plain_bytes: 0 }]),
    ),
    integrity: {},
  }) as Manifest;

describe('the prune plan', () => {
  const keep = { postgres: '30 days', redis: '7 days', vectors: '12 weeks' };

  it('removes each kind past its own period, and whole backups with nothing left', () => {
    const plan = planPrune(
      [
        fake('new', 1, ['postgres', 'redis', 'vectors']),
        fake('mid', 10, ['postgres', 'redis']),
        fake('old', 40, ['postgres', 'redis']),
      ],
      keep,
      NOW,
    );
    expect(plan.parts).toEqual(
      expect.arrayContaining([
        { id: 'old', part: 'postgres' },
        { id: 'mid', part: 'redis' },
        { id: 'old', part: 'redis' },
      ]),
    );
    expect(plan.parts).toHaveLength(3);
    expect(plan.backups).toEqual(['old']);
  });

  it('never removes the newest backup of a kind, however old', () => {
    const plan = planPrune([fake('a', 100, ['redis']), fake('b', 200, ['redis', 'postgres'])], keep, NOW);
    // a is the newest redis backup, b the newest (only) postgres one: only b's redis part may go.
    expect(plan.parts).toEqual([{ id: 'b', part: 'redis' }]);
    expect(plan.backups).toEqual([]);
    expect(planPrune([fake('only', 999, ['vectors'])], keep, NOW)).toEqual({ parts: [], backups: [] });
  });
});

describe('pruning a backup directory', () => {
  let db: TestDatabase;
  let redis: Redis;
  let dir: string;
  let env: Record<string, string>;
  const prefix = testRedisPrefix();

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = rawRedis();
    await redis.set(`${prefix}k`, 'v');
    dir = mkdtempSync(join(tmpdir(), 'chimera-prune-'));
    env = backupEnv({
      DATABASE_URL: db.url,
      REDIS_KEY_PREFIX: prefix,
      VECTOR_STORE_DIR: join(dir, 'vectors'),
      BACKUP_DIR: join(dir, 'backups'),
    });
  });
  afterAll(async () => {
    await redis.del(`${prefix}k`);
    redis.disconnect();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const serviceAt = (at: Date) => createBackupService({ ...backupDepsOf(loadConfig(env)), now: () => at });
  const ago = (days: number) => new Date(NOW.getTime() - days * DAY);

  it('keeps what the periods say, rewrites manifests of partly pruned backups, and cleans up leftovers', async () => {
    const full = await serviceAt(ago(40)).backup({ only: ['postgres', 'redis'] });
    const mixed = await serviceAt(ago(10)).backup({ only: ['postgres', 'redis'] });
    const hourly = await serviceAt(ago(8)).backup({ only: ['redis'] });
    const fresh = await serviceAt(ago(1)).backup({ only: ['redis'] });
    // Leftovers of an unfinished backup: an old one (removed) and one that may still be running (kept).
    for (const [id, age] of [
      ['20260101T000000Z-0ff0ff', 3 * DAY],
      ['20260615T110000Z-0aa0aa', 0],
    ] as const) {
      mkdirSync(join(dir, 'backups', id), { recursive: true });
      const file = join(dir, 'backups', id, 'postgres.dump');
      writeFileSync(file, 'partial');
      const when = new Date(NOW.getTime() - age);
      utimesSync(file, when, when);
    }
    const service = serviceAt(NOW);

    const dry = await service.prune({ dryRun: true });
    expect(dry.removedBackups.sort()).toEqual([full.id, hourly.id].sort());
    expect(readdirSync(join(dir, 'backups')).filter((n) => n !== '.staging')).toHaveLength(6);

    const report = await service.prune();
    expect(report.removedParts).toEqual(
      expect.arrayContaining([
        { id: full.id, part: 'postgres' },
        { id: full.id, part: 'redis' },
        { id: mixed.id, part: 'redis' },
        { id: hourly.id, part: 'redis' },
      ]),
    );
    expect(report.removedParts).toHaveLength(4);
    expect(report.removedOrphans).toEqual(['20260101T000000Z-0ff0ff/postgres.dump']);
    const { backups } = await service.list();
    expect(backups.map((b) => [b.id, liveParts(b)])).toEqual([
      [fresh.id, ['redis']],
      [mixed.id, ['postgres']],
    ]);
    expect(readdirSync(join(dir, 'backups', mixed.id)).sort()).toEqual(['manifest.json', 'postgres.dump']);
    expect(readdirSync(join(dir, 'backups')).sort()).toEqual(
      ['.staging', '20260615T110000Z-0aa0aa', fresh.id, mixed.id].sort(),
    );

    // The pruned part is gone for restores too; latest takes each kind from the newest backup that still has it.
    await expect(service.planRestore(mixed.id, ['redis'])).rejects.toMatchObject({ code: 'BACKUP_PART_MISSING' });
    const plan = await service.planRestore('latest');
    expect(plan.items.map((i) => [i.part, i.manifest.id])).toEqual([
      ['postgres', mixed.id],
      ['redis', fresh.id],
    ]);

    // Nothing more is due: a second run removes nothing, and the CLI says so.
    expect((await service.prune()).removedParts).toEqual([]);
    rmSync(join(dir, 'backups', '20260615T110000Z-0aa0aa'), { recursive: true });
    const cli = await runCommand(backupCommand, ['--prune-only', '--dry-run'], env);
    expect(cli.code).toBe(0);
    expect(cli.out).toContain('nothing is past its period');
  });
});
