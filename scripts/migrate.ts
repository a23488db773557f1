// npm run db:migrate [-- status | resolve --rolled-back NAME | resolve --applied NAME]
// Applies prisma/migrations to DATABASE_URL (creating the database if needed), like `prisma migrate deploy`.
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../src/config.js';
import { MigrationError } from '../src/platform/db/migration-error.js';
import { migrate, migrationStatus, resolveApplied, resolveRolledBack } from '../src/platform/db/migrator.js';
import { redactUrl } from '../src/platform/db/pg-admin.js';

const USAGE = `Usage: npm run db:migrate [-- <command>]

Commands:
  migrate                       apply pending migrations, creating the database if missing (default)
  status                        show applied, pending and failed migrations (exit code 1 unless up to date)
  resolve --rolled-back <name>  mark a failed migration rolled back, after undoing what it left behind
  resolve --applied <name>      record a failed migration as applied, after checking its change is complete

The database is DATABASE_URL (see src/config.ts).`;

const migrationsDir = fileURLToPath(new URL('../prisma/migrations/', import.meta.url));
const log = (message: string): void => console.log(message);

async function status(databaseUrl: string): Promise<number> {
  const s = await migrationStatus({ databaseUrl, migrationsDir });
  if (!s.databaseExists) {
    log(`The database does not exist yet; ${s.pending.length} migration(s) pending. Run: npm run db:migrate`);
    return 1;
  }
  for (const name of s.applied)
    log(`  applied   ${name}${s.checksumMismatches.includes(name) ? '  (EDITED since)' : ''}`);
  for (const f of s.failed) log(`  FAILED    ${f.name}  (started ${f.startedAt.toISOString()})`);
  for (const name of s.pending) log(`  pending   ${name}`);
  for (const name of s.missingLocally) log(`  applied   ${name}  (no local folder)`);
  if (s.failed.length > 0) {
    log(`\n${s.failed.length} failed migration(s) block further migrations. Run \`npm run db:migrate\` for the fix.`);
  }
  if (s.checksumMismatches.length > 0) {
    log(`\nApplied migrations were edited since: ${s.checksumMismatches.join(', ')}. Restore them from git.`);
  }
  const upToDate = s.pending.length === 0 && s.failed.length === 0 && s.checksumMismatches.length === 0;
  log(upToDate ? '\nDatabase schema is up to date.' : '');
  return upToDate ? 0 : 1;
}

async function main(args: readonly string[]): Promise<number> {
  const [command = 'migrate', ...rest] = args;
  if (command === '--help' || command === '-h' || command === 'help') {
    log(USAGE);
    return 0;
  }
  const { databaseUrl } = loadConfig();
  log(`Database: ${redactUrl(databaseUrl)}`);
  switch (command) {
    case 'migrate':
    case 'deploy': {
      if (rest.length > 0) break;
      await migrate({ databaseUrl, migrationsDir, log, createDatabase: true });
      return 0;
    }
    case 'status':
      if (rest.length > 0) break;
      return status(databaseUrl);
    case 'resolve': {
      const [flag, name] = rest;
      if (name === undefined || rest.length !== 2) break;
      if (flag === '--rolled-back') {
        await resolveRolledBack({ databaseUrl, name, log });
        return 0;
      }
      if (flag === '--applied') {
        await resolveApplied({ databaseUrl, migrationsDir, name, log });
        return 0;
      }
      break;
    }
  }
  console.error(`Unknown command: ${args.join(' ')}\n\n${USAGE}`);
  return 2;
}

function explain(error: unknown): string {
  if (error instanceof MigrationError) return `Migration error (${error.code}):\n${error.message}`;
  if (error instanceof ConfigError) return error.message;
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND') {
    return `Cannot reach PostgreSQL (${String(code)}). Is it running, and is DATABASE_URL right?\n${String(error)}`;
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(explain(error));
    process.exitCode = 1;
  },
);
