// The `chimera` CLI, in-process (runCli with a captured terminal) and once as a real process through bin/chimera:
// help and wrong invocations, retention and validate against a real database, and `doctor` naming every problem
// of a broken setup (and none of a good one).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/command.js';
import { runCli } from '../../src/cli/main.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

const exec = promisify(execFile);

let t: TestApp;
let scratch: string;
beforeAll(async () => {
  t = await startTestApp();
  scratch = mkdtempSync(join(tmpdir(), 'chimera-cli-'));
}, 120_000);
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await t?.close();
});

function captured() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    progress: (l, d, n) => err.push(`${l} ${d}/${n}`),
  };
  return { io, out, err, text: () => out.join('\n'), errors: () => err.join('\n') };
}

/** The environment of a working setup: the test app's database and Redis, nothing that needs a network. */
const goodEnv = () => ({
  CHIMERA_ENV: 'test',
  DATABASE_URL: t.database.url,
  REDIS_URL: t.app.config.redisUrl,
  REDIS_KEY_PREFIX: t.app.config.redisKeyPrefix,
  VECTOR_STORE_DIR: join(scratch, 'vectors'),
  BACKUP_DIR: join(scratch, 'backups'),
  MCP_SERVERS: JSON.stringify({ mcpServers: {} }),
  CHAIN_EMBEDDED: 'false',
  PATH: process.env.PATH,
});

describe('chimera', () => {
  it('lists its commands, shows a command’s usage, and refuses unknown commands and options with exit code 2', async () => {
    const help = captured();
    expect(await runCli(['help'], help.io, {})).toBe(0);
    for (const name of [
      'migrate',
      'seed',
      'create-user',
      'backup',
      'restore',
      'retention',
      'validate',
      'doctor',
      'rotate-keys',
    ]) {
      expect(help.text()).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    const usage = captured();
    expect(await runCli(['retention', '--help'], usage.io, {})).toBe(0);
    expect(usage.text()).toContain('Usage: chimera retention');
    const unknown = captured();
    expect(await runCli(['retain'], unknown.io, {})).toBe(2);
    expect(unknown.errors()).toContain('Unknown command: retain');
    const badOption = captured();
    expect(await runCli(['retention', '--dry'], badOption.io, goodEnv())).toBe(2);
    expect(badOption.errors()).toMatch(/Unknown option '--dry'[\s\S]*Usage: chimera retention/);
  });

  it('retention --dry-run reports what would go and changes nothing; without it the rows go', async () => {
    const agent = await t.app.db.agent.create({ data: { name: 'cli-retention' } });
    const post = await t.app.db.content.create({ data: { agentId: agent.id, contentType: 'text', contentData: 'p' } });
    await t.app.db.interaction.create({
      data: {
        contentId: post.id,
        platform: 'social',
        interactionType: 'view',
        createdAt: new Date(Date.now() - 500 * 86_400_000),
      },
    });
    const dry = captured();
    expect(await runCli(['retention', '--dry-run', '--only', 'interactions'], dry.io, goodEnv())).toBe(0);
    expect(dry.text()).toContain('Retention (dry run — nothing was changed):');
    expect(dry.text()).toMatch(/interactions\s+would remove 1 older than \S+ \(1 year\)/);
    expect(await t.app.db.interaction.count({ where: { contentId: post.id } })).toBe(1);
    const real = captured();
    expect(await runCli(['retention', '--only', 'interactions'], real.io, goodEnv())).toBe(0);
    expect(real.text()).toMatch(/interactions\s+removed 1 /);
    expect(await t.app.db.interaction.count({ where: { contentId: post.id } })).toBe(0);
    const unknown = captured();
    expect(await runCli(['retention', '--only', 'interactons'], unknown.io, goodEnv())).toBe(1);
    expect(unknown.errors()).toContain('Unknown retention target "interactons"');
  });

  it('validate prints the integrity checks and tasks per hour, and --json gives the same as data', async () => {
    const text = captured();
    await runCli(['validate'], text.io, goodEnv());
    expect(text.text()).toMatch(/agents\s+missing_personas\s+\d+ of \d+/);
    const json = captured();
    await runCli(['validate', '--json', '--hours', '48'], json.io, goodEnv());
    const parsed = JSON.parse(json.text()) as { integrity: { table: string }[]; throughput: unknown[] };
    expect(parsed.integrity.map((i) => i.table).slice(0, 2)).toEqual(['agents', 'tasks']);
    const bad = captured();
    expect(await runCli(['validate', '--hours', 'lots'], bad.io, goodEnv())).toBe(2);
    expect(await runCli(['validate', '--hours', '9999'], bad.io, goodEnv())).toBe(1);
    expect(bad.errors()).toContain('hours must be a whole number from 1 to 744. (BAD_USER_INPUT)');
  });

  it('doctor finds nothing wrong with a working setup', async () => {
    const c = captured();
    const code = await runCli(['doctor'], c.io, goodEnv());
    expect(c.text()).toContain('No problems');
    expect(code).toBe(0);
    expect(c.text()).toMatch(/✔ PostgreSQL\s+reachable/);
    expect(c.text()).toMatch(/✔ Database schema\s+up to date/);
    expect(c.text()).toMatch(/✔ Redis\s+reachable/);
  });

  it('doctor names each problem of a broken setup, with how to fix it, and exits 1', async () => {
    const notADir = join(scratch, 'a-file');
    writeFileSync(notADir, 'not a directory');
    const c = captured();
    const code = await runCli(['doctor', '--timeout-ms', '1500', '--json'], c.io, {
      ...goodEnv(),
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/chimera',
      REDIS_URL: 'redis://127.0.0.1:1',
      VECTOR_STORE_DIR: join(notADir, 'vectors'),
      BACKUP_DIR: join(notADir, 'backups'),
      BLOCKCHAIN_RPC_URL: 'http://127.0.0.1:1',
      MCP_SERVERS: JSON.stringify({ mcpServers: { news: { url: 'http://127.0.0.1:1/mcp' } } }),
    });
    expect(code).toBe(1);
    const results = JSON.parse(c.text()) as { name: string; status: string; detail: string; fix?: string }[];
    const failed = Object.fromEntries(results.filter((r) => r.status === 'fail').map((r) => [r.name, r]));
    expect(Object.keys(failed).sort()).toEqual(
      ['Backup directory', 'Chain', 'MCP server "news"', 'PostgreSQL', 'Redis', 'Vector store (LanceDB)'].sort(),
    );
    expect(failed.PostgreSQL?.detail).toContain('not reachable at');
    expect(failed.Redis?.fix).toContain('REDIS_URL');
    for (const r of Object.values(failed)) expect(r.fix).toBeTruthy();
  });

  it('doctor reports a broken configuration as such, naming the variable', async () => {
    const c = captured();
    expect(await runCli(['doctor'], c.io, { ...goodEnv(), PORT: 'eighty' })).toBe(1);
    expect(c.text()).toContain('✘ Configuration');
    expect(c.text()).toContain('PORT');
  });

  it('runs as a real process from any directory through bin/chimera', { timeout: 60_000 }, async () => {
    const { stdout } = await exec(join(process.cwd(), 'bin/chimera'), ['migrate', 'status'], {
      cwd: tmpdir(),
      env: goodEnv(),
    });
    expect(stdout).toContain('Database schema is up to date.');
    const failure = await exec(join(process.cwd(), 'bin/chimera'), ['migrate', 'sideways'], {
      cwd: tmpdir(),
      env: goodEnv(),
    }).catch((e: { code: number; stderr: string }) => e);
    expect(failure).toMatchObject({ code: 2, stderr: expect.stringContaining('Unknown migrate command: sideways') });
  });
});
