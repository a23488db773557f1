// chimera migrate [status | resolve --rolled-back NAME | resolve --applied NAME]
// Applies prisma/migrations to DATABASE_URL (creating the database if needed), like `prisma migrate deploy`.
import { fileURLToPath } from 'node:url';
import { migrate, migrationStatus, resolveApplied, resolveRolledBack } from '../../platform/db/migrator.js';
import { redactUrl } from '../../platform/db/pg-admin.js';
import { type CliCommand, type CliIo, stringValue, UsageError } from '../command.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../prisma/migrations/', import.meta.url));

const USAGE = `Usage: chimera migrate [<command>]   (also: npm run db:migrate [-- <command>])

Commands:
  (none), deploy                apply pending migrations, creating the database if missing
  status                        show applied, pending and failed migrations (exit code 1 unless up to date)
  resolve --rolled-back <name>  mark a failed migration rolled back, after undoing what it left behind
  resolve --applied <name>      record a failed migration as applied, after checking its change is complete

The database is DATABASE_URL.`;

async function status(databaseUrl: string, io: CliIo): Promise<number> {
  const s = await migrationStatus({ databaseUrl, migrationsDir: MIGRATIONS_DIR });
  if (!s.databaseExists) {
    io.out(`The database does not exist yet; ${s.pending.length} migration(s) pending. Run: chimera migrate`);
    return 1;
  }
  for (const name of s.applied)
    io.out(`  applied   ${name}${s.checksumMismatches.includes(name) ? '  (EDITED since)' : ''}`);
  for (const f of s.failed) io.out(`  FAILED    ${f.name}  (started ${f.startedAt.toISOString()})`);
  for (const name of s.pending) io.out(`  pending   ${name}`);
  for (const name of s.missingLocally) io.out(`  applied   ${name}  (no local folder)`);
  if (s.failed.length > 0) {
    io.out(`\n${s.failed.length} failed migration(s) block further migrations. Run \`chimera migrate\` for the fix.`);
  }
  if (s.checksumMismatches.length > 0) {
    io.out(`\nApplied migrations were edited since: ${s.checksumMismatches.join(', ')}. Restore them from git.`);
  }
  const upToDate = s.pending.length === 0 && s.failed.length === 0 && s.checksumMismatches.length === 0;
  io.out(upToDate ? '\nDatabase schema is up to date.' : '');
  return upToDate ? 0 : 1;
}

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'apply pending database migrations (status, resolve)',
  usage: USAGE,
  options: { 'rolled-back': { type: 'string' }, applied: { type: 'string' } },
  positionals: { min: 0, max: 1 },
  async run({ values, positionals, config, io }) {
    const [command = 'deploy'] = positionals;
    const rolledBack = stringValue(values, 'rolled-back');
    const applied = stringValue(values, 'applied');
    if (command !== 'resolve' && (rolledBack || applied))
      throw new UsageError('--rolled-back and --applied go with resolve.');
    const { databaseUrl } = await config();
    const log = (message: string) => io.out(message);
    switch (command) {
      case 'deploy':
      case 'migrate':
        io.out(`Database: ${redactUrl(databaseUrl)}`);
        await migrate({ databaseUrl, migrationsDir: MIGRATIONS_DIR, log, createDatabase: true });
        return 0;
      case 'status':
        io.out(`Database: ${redactUrl(databaseUrl)}`);
        return status(databaseUrl, io);
      case 'resolve':
        if (Boolean(rolledBack) === Boolean(applied)) {
          throw new UsageError('resolve needs exactly one of --rolled-back <name> or --applied <name>.');
        }
        io.out(`Database: ${redactUrl(databaseUrl)}`);
        if (rolledBack) await resolveRolledBack({ databaseUrl, name: rolledBack, log });
        else await resolveApplied({ databaseUrl, migrationsDir: MIGRATIONS_DIR, name: applied as string, log });
        return 0;
      default:
        throw new UsageError(`Unknown migrate command: ${command}`);
    }
  },
};
