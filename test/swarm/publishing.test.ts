// The publish ledger and the posting quota, against a platform that behaves like one (it honours idempotency keys,
// can fail, and can refuse over its quota): approval writes the rows, a job posts once whatever happens around it,
// the quota defers instead of failing, and the Planner schedules content for the next free slot.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  nextPostingSlot,
  type PlatformTools,
  publishContent,
  queuePublications,
  quotaOf,
  unpublishContent,
} from '../../src/domain/publishing/publishing.service.js';
import { executeTask } from '../../src/domain/swarm/execution.js';
import { outstandingJobs } from '../../src/domain/swarm/reconcile.js';
import { QuotaDeferral } from '../../src/domain/tasks/limits.js';
import { createOfflineLanguageModel } from '../../src/platform/llm/offline-composer.js';
import { McpHubError } from '../../src/platform/mcp/hub.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { gid, uuidOf } from '../helpers/fixtures.js';
import { startTestSwarm } from '../helpers/swarm.js';
import { eventually } from '../helpers/ws-client.js';

let t: TestApp;
const QUOTAS = { social: { posts: 2, windowMs: 3_600_000 } };

/** A platform: posts by idempotency key; `fail` makes the next calls throw; `refuse` answers QUOTA_EXCEEDED. */
function platform() {
  const posts = new Map<string, { postId: string; text: string; account: string }>();
  const calls: { tool: string; args: Record<string, unknown> }[] = [];
  let fail = 0;
  let refuse = false;
  const tools: PlatformTools = {
    async callTool(server, tool, args) {
      calls.push({ tool, args });
      if (fail > 0) {
        fail -= 1;
        throw new McpHubError('UNAVAILABLE', server, 'connection refused');
      }
      if (refuse) {
        throw new McpHubError('TOOL_ERROR', server, `${tool}: over quota`, {
          code: 'QUOTA_EXCEEDED',
          retryAfterMs: 42_000,
        });
      }
      if (tool === 'delete_post') {
        const entry = [...posts.entries()].find(([, v]) => v.postId === args.postId);
        if (!entry) throw new McpHubError('TOOL_ERROR', server, 'delete_post: no such post', { code: 'NOT_FOUND' });
        posts.delete(entry[0]);
        return { value: { postId: args.postId, deleted: true } };
      }
      const key = String(args.idempotencyKey);
      const known = posts.get(key);
      const post = known ?? {
        postId: `post_${randomUUID().slice(0, 8)}`,
        text: String(args.text),
        account: String(args.account),
      };
      posts.set(key, post);
      return {
        value: {
          postId: post.postId,
          url: `https://social.test/${post.postId}`,
          postedAt: new Date().toISOString(),
          duplicate: !!known,
        },
      };
    },
  };
  return {
    tools,
    posts,
    calls,
    failNext: (n: number) => {
      fail = n;
    },
    refuseAll: (on: boolean) => {
      refuse = on;
    },
  };
}

async function agentOn(account: string) {
  return t.app.db.agent.create({
    data: {
      name: `pub-${account}`,
      metadata: { platforms: [{ platform: 'social', account }, { platform: 'bad name!' }] },
    },
  });
}
const approvedContent = (agentId: string, text = 'Hello, world') =>
  t.app.db.content.create({ data: { agentId, contentType: 'text', contentData: text, status: 'approved' } });
const queue = (content: { id: string; agentId: string | null; taskId: string | null }) =>
  t.app.db.$transaction((tx) => queuePublications(tx, content));

beforeAll(async () => {
  t = await startTestApp();
}, 120_000);
afterAll(() => t?.close());

describe('the publish ledger', () => {
  it('approving content writes one pending row per platform of its agent, and a publish job with it', async () => {
    const agent = await agentOn('ledger');
    const content = await t.app.db.content.create({
      data: { agentId: agent.id, contentType: 'text', contentData: 'x' },
    });
    await t.ok('mutation ($id: ID!) { setContentStatus(id: $id, status: APPROVED) { status } }', {
      id: gid('Content', content.id),
    });
    const rows = await t.app.db.publication.findMany({ where: { contentId: content.id } });
    // The malformed platform entry is ignored.
    expect(rows).toEqual([
      expect.objectContaining({ platform: 'social', account: 'ledger', status: 'pending', kind: 'post' }),
    ]);
    expect(await t.app.db.outboxMessage.count({ where: { dedupeKey: `publish:${rows[0]?.id}` } })).toBe(1);
    // Approving again (or a retried transaction) adds nothing.
    expect(await queue(content)).toEqual([rows[0]?.id]);
    expect(await t.app.db.publication.count({ where: { contentId: content.id } })).toBe(1);
  });

  it('posts once, even when the job runs again or the first answer was lost', async () => {
    const p = platform();
    const agent = await agentOn('once');
    const content = await approvedContent(agent.id, 'Only once');
    const [id] = await queue(content);
    const deps = { db: t.app.db, mcp: p.tools, quotas: QUOTAS };
    // The platform stored the post but the answer was lost (the call failed after): the retry gets the same post.
    p.failNext(1);
    await expect(publishContent(deps, id as string)).rejects.toThrow('connection refused');
    const failedOnce = await t.app.db.publication.findUniqueOrThrow({ where: { id } });
    expect(failedOnce).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: expect.stringContaining('connection refused'),
    });
    const first = await publishContent(deps, id as string);
    const second = await publishContent(deps, id as string);
    expect(first).toMatchObject({ published: true, postId: [...p.posts.values()][0]?.postId });
    expect(second).toMatchObject({ published: false, reason: 'posted' });
    expect(p.posts.size).toBe(1);
    expect(p.calls.map((c) => c.args.idempotencyKey)).toEqual([id, id]);
    const row = await t.app.db.publication.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: 'posted', platformPostId: first.postId, attempts: 2, lastError: null });
    const stored = await t.app.db.content.findUniqueOrThrow({ where: { id: content.id } });
    expect(stored.status).toBe('published');
    expect(stored.publishedAt).toEqual(row.postedAt);
    expect((stored.metadata as { publications: unknown }).publications).toMatchObject({
      social: { postId: first.postId },
    });
  });

  it('defers over the account’s quota, whether the ledger or the platform says so, and never counts it as a try', async () => {
    const p = platform();
    const agent = await agentOn('quota');
    const deps = { db: t.app.db, mcp: p.tools, quotas: QUOTAS };
    for (const text of ['one', 'two']) {
      const [id] = await queue(await approvedContent(agent.id, text));
      await publishContent(deps, id as string);
    }
    const quota = await quotaOf(t.app.db, QUOTAS, { platform: 'social', account: 'quota' });
    expect(quota).toMatchObject({ limit: 2, used: 2, remaining: 0, queued: 0 });
    const [third] = await queue(await approvedContent(agent.id, 'three'));
    const deferred = await publishContent(deps, third as string).catch((e: unknown) => e);
    expect(deferred).toBeInstanceOf(QuotaDeferral);
    expect((deferred as QuotaDeferral).delayMs).toBeGreaterThan(3_500_000);
    expect(await t.app.db.publication.findUniqueOrThrow({ where: { id: third } })).toMatchObject({
      status: 'pending',
      attempts: 0,
    });
    expect(p.calls).toHaveLength(2);

    const roomy = { db: t.app.db, mcp: p.tools, quotas: { social: { posts: 100, windowMs: 3_600_000 } } };
    p.refuseAll(true);
    const refused = await publishContent(roomy, third as string).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QuotaDeferral);
    expect((refused as QuotaDeferral).delayMs).toBe(42_000);
    p.refuseAll(false);
  });

  it('does not post content that is no longer approved, and the reconciler finds rows whose job was lost', async () => {
    const p = platform();
    const agent = await agentOn('withdrawn');
    const content = await approvedContent(agent.id, 'withdrawn');
    const [id] = await queue(content);
    await t.app.db.$executeRaw`UPDATE publications SET updated_at = now() - interval '1 minute' WHERE id = ${id}::uuid`;
    const wanted = await outstandingJobs(t.app.db, { settledForMs: 2_000, limit: 500 });
    expect(wanted.map((w) => w.dedupeKey)).toContain(`publish:${id}`);
    await t.app.db.content.update({ where: { id: content.id }, data: { status: 'rejected' } });
    expect(await publishContent({ db: t.app.db, mcp: p.tools, quotas: QUOTAS }, id as string)).toMatchObject({
      published: false,
      reason: 'not approved',
    });
    expect(await t.app.db.publication.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'failed' });
    expect(p.calls).toHaveLength(0);
  });
});

describe('taking content down', () => {
  it('removes it from every platform it was posted to, once, and audits it', async () => {
    const p = platform();
    const agent = await agentOn('takedown');
    const content = await approvedContent(agent.id, 'To be taken down');
    const [id] = await queue(content);
    await publishContent({ db: t.app.db, mcp: p.tools, quotas: QUOTAS }, id as string);
    expect(p.posts.size).toBe(1);
    expect(await unpublishContent({ db: t.app.db, mcp: p.tools }, content.id)).toBe(1);
    expect(p.posts.size).toBe(0);
    expect(await t.app.db.publication.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'deleted' });
    expect(await unpublishContent({ db: t.app.db, mcp: p.tools }, content.id)).toBe(0);
    expect(p.calls.filter((c) => c.tool === 'delete_post')).toHaveLength(1);
    expect(await t.app.db.auditLog.count({ where: { action: 'content.unpublished', agentId: agent.id } })).toBe(1);
  });

  it('counts a post the platform no longer has as removed, and retries any other failure', async () => {
    const p = platform();
    const agent = await agentOn('gone');
    const content = await approvedContent(agent.id, 'Already gone');
    const [id] = await queue(content);
    await publishContent({ db: t.app.db, mcp: p.tools, quotas: QUOTAS }, id as string);
    p.failNext(1);
    await expect(unpublishContent({ db: t.app.db, mcp: p.tools }, content.id)).rejects.toThrow('connection refused');
    expect(await t.app.db.publication.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'posted' });
    p.posts.clear();
    expect(await unpublishContent({ db: t.app.db, mcp: p.tools }, content.id)).toBe(1);
  });
});

describe('the Planner and the quota', () => {
  let swarm: Swarm;
  afterAll(() => swarm?.close());

  it('schedules content for when a slot frees, and the Worker waits until then', async () => {
    const agent = await agentOn('full');
    const p = platform();
    for (const text of ['a', 'b']) {
      const [id] = await queue(await approvedContent(agent.id, text));
      await publishContent({ db: t.app.db, mcp: p.tools, quotas: QUOTAS }, id as string);
    }
    expect(await nextPostingSlot(t.app.db, QUOTAS, agent.id)).toBeInstanceOf(Date);
    swarm = startTestSwarm(t, { stages: ['planner'], platformQuotas: QUOTAS });
    const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(
      'mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id } }',
      { i: { agentId: gid('Agent', agent.id), goalDescription: 'Write a post about tidy desks' } },
    );
    const task = await eventually(
      () => t.app.db.task.findFirst({ where: { goalId: uuidOf(submitGoal.id), taskType: 'generate_content' } }),
      20_000,
      'the plan',
    );
    const scheduled = (task.context as { scheduled_for?: string }).scheduled_for;
    expect(Date.parse(scheduled ?? '')).toBeGreaterThan(Date.now() + 3_500_000);
    // The goal's plan shows when each task will start: content at the slot, anything else (none here) at once.
    const { goal } = await t.ok<{
      goal: { tasks: { taskType: string; status: string; scheduledFor: string | null }[] };
    }>('query ($id: ID!) { goal(id: $id) { tasks { taskType status scheduledFor } } }', { id: submitGoal.id });
    expect(goal.tasks.map((x) => x.taskType)).toContain('GENERATE_CONTENT');
    for (const planned of goal.tasks)
      expect(planned).toMatchObject({
        status: 'PENDING',
        scheduledFor: planned.taskType === 'GENERATE_CONTENT' ? new Date(scheduled as string).toISOString() : null,
      });
    const waiting = await executeTask({ db: t.app.db, llm: createOfflineLanguageModel() }, task.id).catch(
      (e: unknown) => e,
    );
    expect(waiting).toBeInstanceOf(QuotaDeferral);
    expect((await t.app.db.task.findUniqueOrThrow({ where: { id: task.id } })).status).toBe('pending');

    // An agent with room is planned to start at once.
    const free = await agentOn('free');
    expect(await nextPostingSlot(t.app.db, QUOTAS, free.id)).toBeNull();
  });
});
