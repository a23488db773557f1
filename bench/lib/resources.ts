// What a benchmark run creates and must remove whatever happens: a database of its own, Redis keys under a prefix
// of its own, and the servers and clients it starts. Cleanups run last-in first-out, each bounded in time, once.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { migrate } from '../../src/platform/db/migrator.js';
import { dropDatabase, withDatabaseName } from '../../src/platform/db/pg-admin.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));

export class Cleanup {
  private readonly steps: { what: string; run: () => Promise<unknown> }[] = [];
  private running: Promise<void> | undefined;

  /** Registers a step; steps run in reverse order of registration. */
  add(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run });
  }

  /** Runs every step once (later calls wait for the first); a failing or hanging step is reported and skipped. */
  run(timeoutMs = 15_000): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.splice(0).reverse()) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        });
        try {
          await Promise.race([step.run(), timeout]);
        } catch (err) {
          process.stderr.write(`cleanup: ${step.what} failed: ${err instanceof Error ? err.message : String(err)}\n`);
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    return this.running;
  }
}

/**
 * Creates and migrates a database named `name` on the server of `serverUrl` (with the project's migrator), and
 * registers its drop. Returns its URL.
 */
export async function createMigratedDatabase(cleanup: Cleanup, serverUrl: string, name: string): Promise<string> {
  const url = withDatabaseName(serverUrl, name);
  // Registered first: a half-created database is dropped too (DROP … IF EXISTS … WITH (FORCE)).
  cleanup.add(`drop database ${name}`, () => dropDatabase(serverUrl, name));
  await migrate({ databaseUrl: url, migrationsDir: MIGRATIONS_DIR, createDatabase: true });
  return url;
}

/** Deletes every key under `prefix` (SCAN + UNLINK, so a busy Redis is not blocked). Returns how many. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  if (!/^[\w:.-]+$/.test(prefix)) throw new Error(`refusing to delete keys under an unusual prefix: ${prefix}`);
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** A plain Redis client (no key prefix) for the bench's own use; closed by the cleanup. */
export function benchRedis(cleanup: Cleanup, url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 3 });
  redis.on('error', () => undefined);
  cleanup.add('close the bench Redis client', () => redis.quit().catch(() => redis.disconnect()));
  return redis;
}

/** Resident set size of a process in KiB (VmRSS in /proc/<pid>/status), or NaN where there is no /proc. */
export async function rssKib(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
