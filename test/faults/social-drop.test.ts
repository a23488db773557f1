// Fault injection: the social platform (the MCP sandbox, mcp-servers/social, a real process on a fixed loopback port)
// is SIGKILLed mid-publish again and again while approved content flows out through real publish-stage processes
// (workers/publish.ts) — which are SIGKILLed too. The sandbox stores a post (fsync'd state file) and holds its answer
// back for a moment (SOCIAL_DELAY_AFTER_POST_MS), so a kill often lands after the platform has the post and before
// Chimera heard about it: the worst moment for a double post. Afterwards every publication is posted, every content
// is on the platform exactly once (one post per idempotency key, the ledger row's id, and the ledger names it), every
// content is `published` with one `content.published` audit row.
// Quick mode (default, in `npm test`): 3 platform kills + 2 publisher kills over 12 contents. Full mode
// (CHIMERA_FAULTS_MODE=full): 12 + 8 over 60.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_AGENT_ID, seedDemo } from '../../prisma/seed.js';
import { type ChildServer, startChildServer } from '../../src/platform/mcp/child-server.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { gid } from '../helpers/fixtures.js';
import { type StageProcess, spawnStage } from '../helpers/processes.js';
import { eventually } from '../helpers/ws-client.js';
import { FULL, freePort, LONG_SESSIONS, replay, rng, SEED } from './seed.js';

const CONTENTS = FULL ? 60 : 12;
const PLATFORM_KILLS = FULL ? 12 : 3;
const PUBLISHER_KILLS = FULL ? 8 : 2;
const PUBLISHERS = 2;
// Quotas are not under test (the platform's and Chimera's own posting quotas, the agents' external-call budget); a
// job keeps retrying while the platform is down (backoff from 200 ms, doubling) long enough to outlive a restart.
const ENV = {
  PLATFORM_QUOTAS: JSON.stringify({ social: { posts: 100_000, windowMs: 3_600_000 } }),
  SWARM_EXTERNAL_CALLS_PER_AGENT_PER_HOUR: '1000000',
  SWARM_EXTERNAL_CALLS_PER_HOUR: '1000000',
  SWARM_JOB_ATTEMPTS: '12',
  MCP_TIMEOUT_MS: '3000',
};

interface SandboxPost {
  id: string;
  text: string;
  idempotencyKey: string | null;
}

let t: TestApp;
let dir: string;
let port: number;
let social: ChildServer | undefined;
const publishers: StageProcess[] = [];
const all: StageProcess[] = [];

function startSocial(): Promise<ChildServer> {
  return startChildServer({
    command: process.execPath,
    args: ['--import', 'tsx', 'mcp-servers/social/server.ts', '--transport', 'http', '--port', String(port)],
    env: {
      SOCIAL_STATE_FILE: join(dir, 'social.json'),
      SOCIAL_AUDIENCE: 'off',
      SOCIAL_POST_QUOTA: '100000',
      SOCIAL_DELAY_AFTER_POST_MS: '250',
    },
    startTimeoutMs: 60_000,
  });
}

async function startPublisher(): Promise<StageProcess> {
  const p = spawnStage(t, 'publish', {
    ...ENV,
    MCP_SERVERS: JSON.stringify({ mcpServers: { social: { url: `http://127.0.0.1:${port}/mcp` } } }),
  });
  all.push(p);
  await p.ready;
  return p;
}

const sandboxPosts = async (): Promise<SandboxPost[]> =>
  ((await (await fetch(`http://127.0.0.1:${port}/api/posts`)).json()) as { posts: SandboxPost[] }).posts;

beforeAll(async () => {
  console.info(`[faults] social-drop seed=${SEED} mode=${FULL ? 'full' : 'quick'} (${replay()})`);
  dir = mkdtempSync(join(tmpdir(), 'chimera-social-drop-'));
  t = await startTestApp({ ...LONG_SESSIONS, ...ENV });
  await seedDemo(t.app.db);
  port = await freePort();
  social = await startSocial();
  for (let i = 0; i < PUBLISHERS; i++) publishers.push(await startPublisher());
});
afterAll(async () => {
  await Promise.all(all.map((p) => p.kill('SIGKILL')));
  await social?.stop(0);
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

const APPROVE = 'mutation ($id: ID!) { setContentStatus(id: $id, status: APPROVED) { status } }';

async function approveNew(i: number): Promise<string> {
  const draft = await t.app.db.content.create({
    data: {
      agentId: DEMO_AGENT_ID,
      contentType: 'text',
      contentData: `Dropped mid-publish, posted once (#${i})`,
      status: 'draft',
    },
  });
  await t.ok(APPROVE, { id: gid('Content', draft.id) });
  return draft.id;
}

describe('the social platform dropped mid-publish', { timeout: FULL ? 900_000 : 240_000 }, () => {
  it(`posts every content exactly once after ${PLATFORM_KILLS} platform and ${PUBLISHER_KILLS} publisher kills`, async () => {
    const random = rng(SEED);
    const contents: string[] = [];
    const faults = [
      ...Array<'platform'>(PLATFORM_KILLS).fill('platform'),
      ...Array<'publisher'>(PUBLISHER_KILLS).fill('publisher'),
    ].sort(() => random() - 0.5);
    const perFault = Math.ceil(CONTENTS / (faults.length + 1));
    const approveSome = async () => {
      for (let k = 0; k < perFault && contents.length < CONTENTS; k++) contents.push(await approveNew(contents.length));
    };

    await approveSome();
    let stored = 0;
    for (const fault of faults) {
      // Wait for the platform to take a post (the moment its answer is held back), then a random moment more.
      await eventually(
        async () => ((await sandboxPosts()).length > stored ? true : undefined),
        60_000,
        `a post to reach the platform (${replay()})`,
      );
      await new Promise((r) => setTimeout(r, Math.floor(random() * 300)));
      if (fault === 'platform') {
        const victim = social as ChildServer;
        victim.process.kill('SIGKILL');
        await new Promise((r) =>
          victim.process.exitCode !== null || victim.process.signalCode !== null
            ? r(null)
            : victim.process.once('exit', r),
        );
        await approveSome(); // Content keeps being approved while the platform is gone.
        social = await startSocial();
      } else {
        const index = Math.floor(random() * publishers.length);
        const victim = publishers[index] as StageProcess;
        expect(await victim.kill('SIGKILL'), replay()).toBeNull();
        publishers[index] = await startPublisher();
        await approveSome();
      }
      stored = (await sandboxPosts()).length;
    }
    while (contents.length < CONTENTS) contents.push(await approveNew(contents.length));

    const rows = await eventually(
      async () => {
        const pubs = await t.app.db.publication.findMany({ where: { contentId: { in: contents } } });
        return pubs.length === contents.length && pubs.every((p) => p.status === 'posted') ? pubs : undefined;
      },
      FULL ? 300_000 : 120_000,
      `every publication to be posted (${replay()})`,
    );

    const posts = await sandboxPosts();
    for (const row of rows) {
      const copies = posts.filter((p) => p.idempotencyKey === row.id);
      expect(copies, `posts of publication ${row.id} (${replay()})`).toHaveLength(1);
      expect(copies[0]?.id, replay()).toBe(row.platformPostId);
    }
    // Nothing else reached the platform: one post per content, no strays without a ledger row.
    const ours = posts.filter((p) => p.text.startsWith('Dropped mid-publish'));
    expect(ours, replay()).toHaveLength(CONTENTS);
    expect(new Set(ours.map((p) => p.text)).size, replay()).toBe(CONTENTS);

    const published = await t.app.db.content.count({ where: { id: { in: contents }, status: 'published' } });
    expect(published, replay()).toBe(CONTENTS);
    for (const contentId of contents) {
      const audits = await t.app.db.auditLog.count({
        where: { action: 'content.published', details: { path: ['contentId'], equals: contentId } },
      });
      expect(audits, `content.published audits of ${contentId} (${replay()})`).toBe(1);
    }
    // The faults really landed mid-publish: some posts needed more than one attempt.
    expect(
      rows.some((r) => r.attempts > 1),
      replay(),
    ).toBe(true);
  });
});
