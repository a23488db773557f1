// The whole loop with real processes and real MCP transports: the news server (stdio, spawned by the hub) and the
// social sandbox (Streamable HTTP, its own process) beside the API on a real port and the swarm in-process.
// trend → goal → content → approval → post on the sandbox → signed webhook interactions → engagement metrics → a
// reply to the question in the comments, posted as a reply. Then: the sandbox killed mid-publish and restarted
// leaves exactly one post.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_AGENT_ID, seedDemo } from '../../prisma/seed.js';
import { type ChildServer, startChildServer } from '../../src/platform/mcp/child-server.js';
import { createMcpHub, type McpHub } from '../../src/platform/mcp/hub.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, uuidOf } from '../helpers/fixtures.js';
import { startTestSwarm } from '../helpers/swarm.js';
import { eventually } from '../helpers/ws-client.js';

const SECRET = 'loop-test-webhook-secret-0123';
let t: TestApp;
let api: string;
let dir: string;
let social: ChildServer;
let socialPort: number;
let hub: McpHub;
let swarm: Swarm;
let operator: Identity;

interface SandboxPost {
  id: string;
  account: string;
  text: string;
  idempotencyKey: string | null;
  replyTo: { commentId: string; postId: string } | null;
}

function startSocial(port: number, env: Record<string, string> = {}) {
  return startChildServer({
    command: process.execPath,
    args: ['--import', 'tsx', 'mcp-servers/social/server.ts', '--transport', 'http', '--port', String(port)],
    env: {
      SOCIAL_STATE_FILE: join(dir, 'social.json'),
      SOCIAL_WEBHOOK_URL: `${api}/webhooks/social`,
      SOCIAL_WEBHOOK_SECRET: SECRET,
      SOCIAL_AUDIENCE: 'off',
      ...env,
    },
  });
}

const sandboxPosts = async (): Promise<SandboxPost[]> =>
  ((await (await fetch(social.url.replace('/mcp', '/api/posts'))).json()) as { posts: SandboxPost[] }).posts;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chimera-loop-'));
  t = await startTestApp({ WEBHOOK_SECRETS: JSON.stringify({ social: SECRET }) });
  api = await t.app.listen();
  social = await startSocial(0);
  socialPort = Number(new URL(social.url).port);
  await seedDemo(t.app.db);
  hub = createMcpHub({
    timeoutMs: 5_000,
    reconnectBackoffMs: 200,
    servers: [
      {
        name: 'news',
        transport: 'stdio',
        command: process.execPath,
        args: ['--import', 'tsx', 'mcp-servers/news/server.ts'],
      },
      { name: 'social', transport: 'http', url: `http://127.0.0.1:${socialPort}/mcp` },
    ],
  });
  swarm = startTestSwarm(t, {
    mcp: hub,
    trends: { sources: ['mcp://news/latest'], ttlHours: 72 },
    maintenance: { fetchTrendsEveryMs: 600_000 },
    retry: { attempts: 8, backoffMs: 300 },
  });
  operator = await t.signIn(['agent_operator'], { attributes: { agentIds: [DEMO_AGENT_ID] } });
}, 120_000);
afterAll(async () => {
  await swarm?.close();
  await hub?.close();
  await social?.stop();
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Waits for the goal to finish; approves whatever the Judge escalated on the way (as a reviewer would). */
async function finish(goalId: string) {
  return eventually(
    async () => {
      const goal = await t.app.db.goal.findUniqueOrThrow({ where: { id: goalId }, include: { tasks: true } });
      for (const task of goal.tasks) {
        const verdict = (task.result as { verdict?: { decision: string }; review?: unknown } | null) ?? {};
        if (task.status === 'review' && verdict.verdict?.decision === 'escalate' && !verdict.review) {
          await t.app.services.review.approve(task.id, { kind: 'user', id: operator.userId }, 'loop test');
        }
      }
      return goal.status === 'complete' ? goal : undefined;
    },
    60_000,
    `goal ${goalId} to complete`,
  );
}

describe('the MCP loop', () => {
  it('trend → goal → post → webhook interactions → engagement → a reply to the question', async () => {
    // Trends arrive from the bundled news feed through MCP (the scheduled fetch runs at start).
    const fromNews = await eventually(
      async () => {
        const rows = await t.app.db.trend.findMany({
          where: { metadata: { path: ['platforms'], array_contains: ['news'] } },
        });
        return rows.length >= 5 ? rows : undefined;
      },
      45_000,
      'trends from the news server',
    );
    const sources = new Set(
      fromNews.flatMap((r) => (r.metadata as { sources: { source: string }[] }).sources.map((s) => s.source)),
    );
    expect([...sources].sort()).toEqual(['ai-tools', 'creator-daily', 'open-source-weekly']);
    // The stories several feeds tell are one trend each, corroborated by several sources.
    expect(fromNews.some((r) => (r.metadata as { sources: unknown[] }).sources.length >= 2)).toBe(true);

    const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(
      'mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id } }',
      {
        i: {
          agentId: gid('Agent', DEMO_AGENT_ID),
          goalDescription: "Post about this week's top trend in our voice",
          requiredResources: ['mcp://news/latest'],
        },
      },
      operator.headers,
    );
    await finish(uuidOf(submitGoal.id));

    const publication = await eventually(
      () => t.app.db.publication.findFirst({ where: { agentId: DEMO_AGENT_ID, status: 'posted', kind: 'post' } }),
      30_000,
      'the post',
    );
    const content = await t.app.db.content.findUniqueOrThrow({ where: { id: publication.contentId } });
    expect(content.status).toBe('published');
    expect(content.publishedAt).not.toBeNull();
    const posts = await sandboxPosts();
    expect(posts.filter((p) => p.idempotencyKey === publication.id)).toEqual([
      expect.objectContaining({ id: publication.platformPostId, account: 'junovale', text: content.contentData }),
    ]);
    const task = await t.app.db.task.findUniqueOrThrow({ where: { id: content.taskId as string } });
    expect((task.result as { resources: { uri: string; status: string }[] }).resources).toEqual([
      expect.objectContaining({ uri: 'mcp://news/latest', status: 'read' }),
    ]);

    // The audience reacts on the platform; the platform's signed webhooks bring it back.
    const postId = publication.platformPostId as string;
    for (const type of ['view', 'view', 'like', 'share'] as const) {
      await hub.callTool('social', 'simulate_interaction', { postId, type });
    }
    await hub.callTool('social', 'simulate_interaction', {
      postId,
      type: 'comment',
      author: '@sam',
      text: '@junovale where can I read more about this?',
    });
    const metrics = await eventually(
      async () => {
        const row = await t.app.db.content.findUniqueOrThrow({ where: { id: content.id } });
        const m = row.engagementMetrics as { total?: number } | null;
        return m?.total === 5 ? m : undefined;
      },
      20_000,
      'engagement metrics',
    );
    expect(metrics).toMatchObject({ views: 2, likes: 1, shares: 1, comments: 1 });
    const data = await t.ok<{
      agent: { performanceScore: number; platforms: { account: string; quota: { used: number; limit: number } }[] };
      content: { engagementMetrics: { weighted: number }; publications: { status: string; platformPostId: string }[] };
    }>(
      `query ($a: ID!, $c: ID!) { agent(id: $a) { performanceScore platforms { account quota { used limit } } }
        content(id: $c) { engagementMetrics publications { status platformPostId } } }`,
      { a: gid('Agent', DEMO_AGENT_ID), c: gid('Content', content.id) },
      operator.headers,
    );
    expect(data.agent.performanceScore).toBeGreaterThan(0);
    expect(data.agent.platforms).toEqual([{ account: 'junovale', quota: { used: 1, limit: 10 } }]);
    expect(data.content.publications).toEqual([{ status: 'posted', platformPostId: postId }]);

    // The question became a reply goal; its reply is posted under the comment.
    const replyGoal = await eventually(
      () =>
        t.app.db.goal.findFirst({
          where: { agentId: DEMO_AGENT_ID, context: { path: ['reply_to', 'author'], equals: '@sam' } },
        }),
      20_000,
      'the reply goal',
    );
    await finish(replyGoal.id);
    const reply = await eventually(
      async () => (await sandboxPosts()).find((p) => p.replyTo !== null),
      30_000,
      'the reply on the sandbox',
    );
    expect(reply.replyTo?.postId).toBe(postId);
    expect(reply.account).toBe('junovale');
  });

  it('publishes once when the platform dies after posting but before answering, and comes back', async () => {
    await social.stop();
    social = await startSocial(socialPort, { SOCIAL_DELAY_AFTER_POST_MS: '60000' });
    const before = (await sandboxPosts()).length;
    const draft = await t.app.db.content.create({
      data: {
        agentId: DEMO_AGENT_ID,
        contentType: 'text',
        contentData: 'Crash-safe publishing, tested.',
        status: 'draft',
      },
    });
    await t.ok('mutation ($id: ID!) { setContentStatus(id: $id, status: APPROVED) { status } }', {
      id: gid('Content', draft.id),
    });
    // The post exists on the platform (persisted), the answer is held back: kill the platform now.
    await eventually(async () => (await sandboxPosts()).length > before || undefined, 20_000, 'the post to be stored');
    social.process.kill('SIGKILL');
    await new Promise((r) => social.process.once('exit', r));
    social = await startSocial(socialPort);

    const publication = await eventually(
      () => t.app.db.publication.findFirst({ where: { contentId: draft.id, status: 'posted' } }),
      30_000,
      'the publication to be posted after the restart',
    );
    expect(publication.attempts).toBeGreaterThanOrEqual(2);
    const copies = (await sandboxPosts()).filter((p) => p.text === 'Crash-safe publishing, tested.');
    expect(copies).toHaveLength(1);
    expect(copies[0]?.id).toBe(publication.platformPostId);
    expect((await t.app.db.content.findUniqueOrThrow({ where: { id: draft.id } })).status).toBe('published');
    const audits = await t.app.db.auditLog.count({
      where: { action: 'content.published', details: { path: ['contentId'], equals: draft.id } },
    });
    expect(audits).toBe(1);
  });
});
