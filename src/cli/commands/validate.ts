// chimera validate [--hours N] [--json]: the spec's data validation queries (integrity, tasks per hour).
import { integrityChecks, taskThroughput } from '../../domain/operations/data-validation.js';
import { createDatabase } from '../../platform/db/prisma.js';
import { type CliCommand, flag, stringValue, UsageError } from '../command.js';

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'run the data integrity and performance queries (exit 1 when a check fails)',
  usage: `Usage: chimera validate [--hours <1..744>] [--json]

Prints the spec's integrity checks (rows of a table missing what they should point at) and the tasks created per
hour over the last --hours (default 24) with their average relevance. Exit code 1 when an integrity check fails.`,
  options: { hours: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, config, io }) {
    const hoursText = stringValue(values, 'hours') ?? '24';
    const hours = Number(hoursText);
    if (!/^\d+$/.test(hoursText)) throw new UsageError(`--hours must be a whole number, not "${hoursText}".`);
    const c = await config();
    const db = createDatabase({ url: c.databaseUrl, poolSize: 2 });
    try {
      const [integrity, throughput] = await Promise.all([integrityChecks(db), taskThroughput(db, hours)]);
      const failing = integrity.filter((i) => i.failing > 0);
      if (flag(values, 'json')) {
        io.out(JSON.stringify({ integrity, throughput }, null, 2));
      } else {
        io.out('Integrity:');
        for (const i of integrity) {
          io.out(
            `  ${i.failing ? '✘' : '✔'} ${i.table.padEnd(14)} ${i.check.padEnd(18)} ${i.failing} of ${i.totalRows}`,
          );
        }
        io.out(`\nTasks created per hour (last ${hours} h):`);
        if (throughput.length === 0) io.out('  none');
        for (const h of throughput) {
          const relevance = h.averageRelevance === null ? '—' : h.averageRelevance.toFixed(2);
          io.out(`  ${h.hour.toISOString()}  ${String(h.tasksCreated).padStart(6)}  avg relevance ${relevance}`);
        }
      }
      return failing.length ? 1 : 0;
    } finally {
      await db.$disconnect();
    }
  },
};
