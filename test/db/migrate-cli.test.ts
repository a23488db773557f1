// `npm run db:migrate` (scripts/migrate.ts) as an operator runs it: separate processes, exit codes, output.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { unusedTestDatabase } from '../helpers/db.js';
import { ALL_MIGRATIONS } from '../helpers/migrations.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in its own process with only DATABASE_URL set, as `tsx scripts/migrate.ts …` does. */
function cli(databaseUrl: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/migrate.ts', ...args],
      { cwd: root, env: { DATABASE_URL: databaseUrl } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const db = unusedTestDatabase();
afterAll(() => db.drop());

// Each run starts Node and tsx: a few seconds each on a loaded 2-core machine, and the first test runs four of them.
describe('npm run db:migrate', { timeout: 120_000 }, () => {
  it('creates and migrates the database when two processes start at once, then reports it up to date', async () => {
    const before = await cli(db.url, 'status');
    expect(before.code).toBe(1);
    expect(before.stdout).toContain(`does not exist yet; ${ALL_MIGRATIONS.length} migration(s) pending`);

    const [a, b] = await Promise.all([cli(db.url), cli(db.url)]);
    expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
    const output = `${a.stdout}\n${b.stdout}`;
    // Each migration applied exactly once, by one process or the other.
    for (const name of ALL_MIGRATIONS) expect([name, output.split(`Applied ${name} `).length - 1]).toEqual([name, 1]);
    expect(output).toContain('Applied 0004_v1_1_idx_content_engagement (outside a transaction)');
    expect(output).toContain('No pending migrations.');

    const after = await cli(db.url, 'status');
    expect(after.code).toBe(0);
    for (const name of ALL_MIGRATIONS) expect(after.stdout).toContain(`applied   ${name}\n`);
    expect(after.stdout).toContain('Database schema is up to date.');
  });

  it('fails with a clear message, exit code 1 and no stack trace', async () => {
    const [run, usage] = await Promise.all([
      cli(db.url, 'resolve', '--rolled-back', '0001_init'),
      cli(db.url, 'resolve', '--sideways', '0001_init'),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Migration error (NOT_FAILED):');
    expect(run.stderr).toContain('Cannot resolve 0001_init: it is applied, not failed');
    expect(run.stderr).not.toMatch(/^\s+at /m);

    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: chimera migrate');
  });
});
