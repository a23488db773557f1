// chimera restore [<backup-id>|latest] [--only postgres,redis,vectors] [--yes]: restores from BACKUP_TARGET in the
// spec's order (PostgreSQL, Redis, vector store, rebuild indexes, validate) and reports every figure that differs from
// the backup's manifest. It replaces data, so it asks first; without a terminal it wants --yes.
import { createInterface } from 'node:readline/promises';
import { createBackupService } from '../../domain/operations/backup.service.js';
import { OperationsError } from '../../domain/operations/backup-errors.js';
import { parseSelection } from '../../domain/operations/backup-manifest.js';
import type { RestorePlan, RestoreReport } from '../../domain/operations/backup-restore.js';
import { backupDepsOf } from '../backup-deps.js';
import { type CliCommand, type CliIo, flag, stringValue, UsageError } from '../command.js';

const USAGE = `Usage: chimera restore [<backup-id>|latest] [--only <postgres,redis,vectors>] [--yes] [--json]

Restores a backup made by \`chimera backup\` (default: latest, each store from the newest backup holding it):
PostgreSQL is loaded into a new database and swapped in for DATABASE_URL's, Chimera's Redis keys are replaced,
the vector store is replaced; then indexes are rebuilt and row counts and checksums are compared with the manifest.
Every part is fetched and checked (SHA-256, decryption) before anything is replaced. Stop the API and the workers
first. Exit code 0: restored and every figure matches; 1: failed, or figures differ (listed).

  --only   restore only these stores
  --yes    do not ask (needed when not run from a terminal)
  --json   print the report as JSON`;

/** Asks the operator; null when there is no terminal to ask on. */
export type Confirm = (question: string) => Promise<string | null>;

const terminalConfirm: Confirm = async (question) => {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return null;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
};

function printPlan(io: CliIo, plan: RestorePlan, database: string, prefix: string, store: string) {
  io.err('This restore replaces:');
  for (const { part, manifest } of plan.items) {
    const what =
      part === 'postgres'
        ? `the database ${database}`
        : part === 'redis'
          ? `every Redis key under ${prefix}`
          : `the vector store (${store})`;
    io.err(`  ${what}  ← backup ${manifest.id} (${manifest.created_at})`);
  }
}

function printReport(io: CliIo, report: RestoreReport) {
  for (const s of report.steps) io.out(`${s.step}: ${s.detail}`);
  for (const w of report.warnings) io.err(`warning: ${w}`);
  for (const m of report.mismatches) io.out(`MISMATCH ${m.part} ${m.item}: expected ${m.expected}, found ${m.actual}`);
  io.out(
    report.ok
      ? 'Restore complete: the data matches the backup.'
      : `Restore finished with ${report.mismatches.length} mismatch(es).`,
  );
}

export function createRestoreCommand(confirm: Confirm = terminalConfirm): CliCommand {
  return {
    name: 'restore',
    summary: 'restore from a backup (latest by default), rebuild indexes and validate',
    usage: USAGE,
    options: { only: { type: 'string' }, yes: { type: 'boolean' }, json: { type: 'boolean' } },
    positionals: { min: 0, max: 1 },
    async run({ values, positionals, config, io }) {
      let only: ReturnType<typeof parseSelection> | undefined;
      try {
        only = stringValue(values, 'only') === undefined ? undefined : parseSelection(stringValue(values, 'only'));
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const target = positionals[0] ?? 'latest';
      const c = await config();
      const deps = backupDepsOf(c);
      const service = createBackupService(deps);
      try {
        const plan = await service.planRestore(target, only);
        printPlan(io, plan, deps.postgres.database, c.redisKeyPrefix, c.memory.vectorStore.kind);
        if (!flag(values, 'yes')) {
          const answer = await confirm(`Type "${deps.postgres.database}" to restore over it: `);
          if (answer === null) {
            io.err('Restore destroys the current data: run it from a terminal, or pass --yes.');
            return 2;
          }
          if (answer.trim() !== deps.postgres.database) {
            io.err('Not confirmed; nothing was changed.');
            return 1;
          }
        }
        const report = await service.restore(plan, {
          onProgress: (step, done, total) => io.progress(`restore: ${step}`, done, total),
        });
        if (flag(values, 'json')) io.out(JSON.stringify(report, null, 2));
        else printReport(io, report);
        return report.ok ? 0 : 1;
      } catch (err) {
        if (err instanceof OperationsError) {
          io.err(`${err.message} (${err.code})`);
          return 1;
        }
        throw err;
      }
    },
  };
}

export const restoreCommand = createRestoreCommand();
