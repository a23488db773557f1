// Names of the databases the tests create, shared by the global setup (node side) and the test helpers.
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { MigrationFile } from '../../src/platform/db/migration-files.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));
export const SCHEMA_PATH = fileURLToPath(new URL('../../prisma/schema.prisma', import.meta.url));

const TEST_DB = /^chimera_t_(\d{13})_[0-9a-f]+$/;

/** `chimera_t_<epoch ms>_<random>`: the creation time is in the name, so leftovers can be found and dropped. */
export function testDatabaseName(): string {
  return `chimera_t_${Date.now()}_${randomBytes(5).toString('hex')}`;
}

/** When a test database was created, from its name; undefined for any other database. */
export function testDatabaseCreatedAt(name: string): Date | undefined {
  const match = TEST_DB.exec(name);
  return match?.[1] === undefined ? undefined : new Date(Number(match[1]));
}

/** `chimera_tpl_<first 12 hex of sha256 over every migration's name and contents>`. */
export function templateDatabaseName(migrations: readonly MigrationFile[]): string {
  const hash = createHash('sha256');
  for (const m of migrations) hash.update(`${m.name}\0${m.script}\0`);
  return `chimera_tpl_${hash.digest('hex').slice(0, 12)}`;
}
