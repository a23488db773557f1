// Graceful shutdown, with real processes and real signals: on SIGTERM the API stops accepting connections but
// finishes the request in flight, and a worker finishes the job it is running, before each exits 0. The work is made
// to take as long as the test wants by holding a table lock the request or job needs.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Swarm } from '../../src/swarm/engine.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { spawnStage } from '../helpers/processes.js';
import { startTestSwarm } from '../helpers/swarm.js';
import { eventually } from '../helpers/ws-client.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestApp;
let sql: pg.Client;
/** Another session: inside sql's transaction, pg_stat_activity would be a snapshot from its start. */
let observer: pg.Client;
let queues: Swarm;
beforeAll(async () => {
  t = await startTestApp();
  sql = new pg.Client({ connectionString: t.database.url });
  await sql.connect();
  observer = new pg.Client({ connectionString: t.database.url });
  await observer.connect();
  queues = startTestSwarm(t, { stages: [] });
}, 120_000);
/** Killed after the file, should a test fail before its process exited. */
const children: { kill(signal?: NodeJS.Signals): unknown }[] = [];
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await queues?.close();
  await sql?.end();
  await observer?.end();
  await t?.close();
});

/** Sessions of the test database waiting for a lock (the request or job we hold up). */
const waitingOnLocks = async () =>
  (
    await observer.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    )
  ).rows[0].n as number;

describe('graceful shutdown', () => {
  it('a worker that gets SIGTERM finishes its running job, then exits 0', { timeout: 90_000 }, async () => {
    const agent = await t.app.db.agent.create({ data: { name: 'drain-worker' } });
    const post = await t.app.db.content.create({ data: { agentId: agent.id, contentType: 'text', contentData: 'p' } });
    await t.app.db.interaction.create({
      data: {
        contentId: post.id,
        platform: 'social',
        interactionType: 'like',
        createdAt: new Date(Date.now() - 400 * 86_400_000),
      },
    });
    const stage = spawnStage(t, 'maintenance', {
      RETENTION_INTERVAL_MS: '0',
      TRENDS_FETCH_INTERVAL_MS: '0',
      VECTOR_STORE_DIR: t.app.config.memory.vectorStore.dir,
      // The job lock of the other process tests (1.5 s, so a killed job is seen stalled quickly) can lapse on a
      // loaded machine while the job waits on the table lock; the job would then finish but could not be marked
      // completed. Draining, not stall detection, is under test here.
      SWARM_JOB_LOCK_MS: '30000',
    });
    children.push(stage.child);
    await stage.ready;
    await sql.query('BEGIN');
    await sql.query('LOCK TABLE interactions IN ACCESS EXCLUSIVE MODE');
    await queues.queues.add('maintenance', { id: 'drain-1', data: { kind: 'apply_retention' } });
    await eventually(
      async () => ((await waitingOnLocks()) > 0 ? true : undefined),
      30_000,
      'the job to wait on the lock',
    );

    stage.child.kill('SIGTERM');
    await sleep(800);
    // Still draining: the job has not finished, so the process has not exited.
    expect(stage.child.exitCode).toBeNull();
    await sql.query('COMMIT');
    expect(await stage.exited).toBe(0);
    const job = await queues.queues.get('maintenance', 'drain-1');
    expect(await job?.getState()).toBe('completed');
    expect(await t.app.db.interaction.count({ where: { contentId: post.id } })).toBe(0);
    expect(stage.output()).toContain('draining, then shutting down');
  });

  it('the API that gets SIGTERM refuses new connections but answers the request in flight, then exits 0', {
    timeout: 90_000,
  }, async () => {
    await t.app.db.trend.create({ data: { topic: 'Graceful exits', relevanceScore: 0.7, active: true } });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        CHIMERA_ENV: 'test',
        CHIMERA_LOG_LEVEL: 'info',
        PORT: '0',
        DATABASE_URL: t.database.url,
        REDIS_URL: t.app.config.redisUrl,
        REDIS_KEY_PREFIX: t.app.config.redisKeyPrefix,
        EMBEDDED_WORKERS: 'false',
        SOCIAL_SANDBOX: 'false',
        CHAIN_EMBEDDED: 'false',
        RESPONSE_CACHE: 'false',
        SHUTDOWN_GRACE_MS: '60000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await eventually(
      async () => /"url":"(http:\/\/[^"]+)\/graphql"/.exec(out)?.[1],
      60_000,
      'the API to listen',
    );

    await sql.query('BEGIN');
    await sql.query('LOCK TABLE trends IN ACCESS EXCLUSIVE MODE');
    const inFlight = fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: '{ publicTrends(limit: 5) { topic } }' }),
    }).catch((err: unknown) => err as Error);
    await eventually(
      async () => ((await waitingOnLocks()) > 0 ? true : undefined),
      30_000,
      'the request to wait on the lock',
    );

    // A keep-alive connection the client will want to reuse: while draining, the server must end it, not serve it.
    expect((await fetch(`${url}/health`)).status).toBe(200);
    child.kill('SIGTERM');
    // New connections are refused while the request in flight is still being answered.
    await eventually(
      async () =>
        await fetch(`${url}/health`).then(
          () => undefined,
          () => true,
        ),
      10_000,
      'new connections to be refused',
    );
    expect(child.exitCode).toBeNull();
    await sql.query('COMMIT');
    const res = await inFlight;
    if (res instanceof Error) throw new Error(`the request in flight was cut off: ${res.message}\n${out}`);
    expect(res.status).toBe(200);
    expect(
      ((await res.json()) as { data: { publicTrends: { topic: string }[] } }).data.publicTrends.map((p) => p.topic),
    ).toContain('Graceful exits');
    expect(await exited).toBe(0);
  });
});
