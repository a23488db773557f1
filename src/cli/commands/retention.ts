// chimera retention [--dry-run] [--only tasks,interactions,…]: applies the retention policies now (the maintenance
// stage does it every RETENTION_INTERVAL_MS) and prints what went, or with --dry-run what would go.
import { applyRetention, RETENTION_TARGETS, type RetentionLine } from '../../domain/operations/retention.service.js';
import { createDatabase } from '../../platform/db/prisma.js';
import { createEmbedder } from '../../platform/embeddings/create-embedder.js';
import { createRedis } from '../../platform/redis/redis.js';
import { openVectorStore } from '../../platform/vector/create-vector-store.js';
import { type CliCommand, flag, stringValue } from '../command.js';

const USAGE = `Usage: chimera retention [--dry-run] [--only <target,…>] [--no-vectors]

Removes what has passed its period (RETENTION_* variables; the spec's defaults: audit logs 2 years, tasks 6 months,
interactions 1 year, transactions 7 years, trend analysis 1 year, content embeddings 2 years, sessions 7 days), and
gives cache and rate-limit keys in Redis their maximum TTL. Rows still in use are kept and reported as held back.

  --dry-run      count what would go; change nothing
  --only         only these targets: ${RETENTION_TARGETS.join(', ')}
  --no-vectors   leave the vector store alone (it is opened with the configured embedding model)`;

function describe(line: RetentionLine, dryRun: boolean): string {
  const verb = dryRun ? 'would remove' : 'removed';
  const count = dryRun ? line.due : line.removed;
  const held = line.held ? `; ${line.held.count} held back (${line.held.reason})` : '';
  const cutoff = line.cutoff ? ` older than ${line.cutoff.toISOString()} (${line.period})` : ` (${line.period})`;
  if (line.error) return `  ${line.target.padEnd(22)} FAILED: ${line.error}`;
  const what = line.target === 'redis:ttl' ? (dryRun ? 'would cap the TTL of' : 'capped the TTL of') : verb;
  return `  ${line.target.padEnd(22)} ${what} ${count}${cutoff}${held}`;
}

export const retentionCommand: CliCommand = {
  name: 'retention',
  summary: 'remove what has passed its retention period (--dry-run reports what would go)',
  usage: USAGE,
  options: { 'dry-run': { type: 'boolean' }, only: { type: 'string' }, 'no-vectors': { type: 'boolean' } },
  async run({ values, config, io }) {
    const c = await config();
    const dryRun = flag(values, 'dry-run');
    const only = stringValue(values, 'only')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const db = createDatabase({ url: c.databaseUrl, poolSize: 2 });
    const redis = createRedis(c.redisUrl, c.redisKeyPrefix);
    const wantsVectors = !flag(values, 'no-vectors') && (!only || only.some((t) => t.startsWith('vectors:')));
    const vectors = wantsVectors
      ? await openVectorStore(c.memory.vectorStore, createEmbedder(c.memory.embeddings).id)
      : undefined;
    try {
      const report = await applyRetention(
        {
          db,
          redis,
          vectors,
          periods: c.retention.periods,
          onProgress: (target, removed, due) => io.progress(`retention: ${target}`, removed, due),
        },
        { dryRun, only },
      );
      io.out(dryRun ? 'Retention (dry run — nothing was changed):' : 'Retention:');
      for (const line of report.lines) io.out(describe(line, dryRun));
      return report.lines.some((l) => l.error) ? 1 : 0;
    } finally {
      await vectors?.close();
      redis.disconnect();
      await db.$disconnect();
    }
  },
};
