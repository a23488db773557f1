// post_publication in the running system: interactions are recorded, the maintenance stage remembers what was said and
// looks at the content again, and a flag sends published content back to a person, who keeps it or takes it down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorOutcome } from '../../src/domain/content/monitoring.js';
import { ENGAGEMENT_BUCKET_MS } from '../../src/domain/content/monitoring.js';
import type { InteractionInput } from '../../src/domain/interactions/interactions.service.js';
import { monitorContentJob } from '../../src/domain/swarm/jobs.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { codes, type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent } from '../helpers/fixtures.js';
import { startTestSwarm } from '../helpers/swarm.js';
import { eventually } from '../helpers/ws-client.js';

let t: TestApp;
let swarm: Swarm;
let agent: { id: string };
let other: { id: string };
let reviewer: Identity;
beforeAll(async () => {
  t = await startTestApp();
  agent = await makeAgent(t.app.db, 'monitored');
  other = await makeAgent(t.app.db, 'elsewhere');
  swarm = startTestSwarm(t, { stages: ['maintenance'] });
  reviewer = await t.signIn(['content_reviewer']);
}, 120_000);
afterAll(async () => {
  await swarm?.close();
  await t?.close();
});

const HOUR = ENGAGEMENT_BUCKET_MS;

async function published(text: string, agentId = agent.id, publishedHoursAgo = 12) {
  return t.app.db.content.create({
    data: {
      agentId,
      contentType: 'text',
      contentData: text,
      status: 'published',
      publishedAt: new Date(Date.now() - publishedHoursAgo * HOUR),
    },
  });
}

/** Records the interactions and waits for their maintenance job; returns what it did. */
async function record(items: InteractionInput[]): Promise<MonitorOutcome> {
  const rows = await t.app.services.interactions.record(items);
  const contentId = items[0]?.contentId as string;
  const ids = rows.filter((r) => r.contentId === contentId).map((r) => r.id);
  const { dedupeKey } = monitorContentJob(contentId, ids);
  return eventually(
    async () => {
      // A job read while it ran has no return value yet: wait for one read after it finished.
      const job = await swarm.queues.get('maintenance', dedupeKey);
      if (job?.failedReason) throw new Error(`monitoring failed: ${job.failedReason}`);
      return job?.finishedOn ? (job.returnvalue as MonitorOutcome) : undefined;
    },
    30_000,
    'the monitoring job',
  );
}

const comment = (contentId: string, text: string, extra: Record<string, unknown> = {}): InteractionInput => ({
  contentId,
  platform: 'social-sandbox',
  interactionType: 'comment',
  data: { text, author: '@someone', ...extra },
});

const FLAGGED = `query { contents(filter: { flagStatus: [OPEN] }) { edges { node { id status
  flag { status reasons raisedAt }
  moderation { postPublication { action category subcategories checks { name score threshold flagged } } } } } } }`;

type FlaggedNode = {
  id: string;
  status: string;
  flag: { status: string; reasons: string[] } | null;
  moderation: {
    postPublication: {
      action: string;
      category: string;
      subcategories: string[];
      checks: { name: string; score: number; threshold: number; flagged: boolean }[];
    } | null;
  } | null;
};

async function openFlags(headers = reviewer.headers): Promise<FlaggedNode[]> {
  const data = await t.ok<{ contents: { edges: { node: FlaggedNode }[] } }>(FLAGGED, {}, headers);
  return data.contents.edges.map((e) => e.node);
}

const RESOLVE = `mutation ($id: ID!, $d: FlagResolution!, $n: String) {
  resolveContentFlag(id: $id, decision: $d, note: $n) { id status flag { status resolvedBy note } } }`;

describe('post-publication monitoring', () => {
  it('flags published content that draws complaints, and a reviewer can keep it', async () => {
    const post = await published('Hot take: everyone from that town is lazy and worthless.');
    const outcome = await record([
      comment(post.id, 'This is hateful towards people from my town, please take it down.'),
      comment(post.id, 'Reported. Discriminatory garbage.'),
      comment(post.id, 'Love your usual posts, not this one.'),
    ]);
    expect(outcome.flagged).toBe(true);
    expect(outcome.decision?.action).toBe('review');

    const [node] = (await openFlags()).filter((n) => n.id === gid('Content', post.id));
    expect(node?.status).toBe('PUBLISHED');
    expect(node?.flag?.status).toBe('OPEN');
    const feedback = node?.moderation?.postPublication?.checks.find((c) => c.name === 'USER_FEEDBACK_ANALYSIS');
    expect(feedback?.flagged).toBe(true);
    expect(feedback?.score).toBeGreaterThanOrEqual(feedback?.threshold ?? 1);
    expect(node?.moderation?.postPublication?.subcategories).toContain('HATE_SPEECH');
    expect((node?.moderation?.postPublication?.checks ?? []).map((c) => c.name).sort()).toEqual([
      'AUTOMATED_FLAGGING',
      'ENGAGEMENT_ANOMALY_DETECTION',
      'USER_FEEDBACK_ANALYSIS',
    ]);
    const flagged = await t.app.db.auditLog.findFirst({ where: { action: 'content.flagged', agentId: agent.id } });
    expect(flagged?.details).toMatchObject({ contentId: post.id });

    const kept = await t.ok<{ resolveContentFlag: { status: string; flag: { status: string; note: string } } }>(
      RESOLVE,
      { id: gid('Content', post.id), d: 'KEEP', n: 'satire, in context' },
      reviewer.headers,
    );
    expect(kept.resolveContentFlag).toMatchObject({
      status: 'PUBLISHED',
      flag: { status: 'KEPT', note: 'satire, in context' },
    });
    expect((await openFlags()).map((n) => n.id)).not.toContain(gid('Content', post.id));

    // The same evidence does not raise the flag again; a new complaint after the decision does.
    const calm = await record([{ contentId: post.id, platform: 'social-sandbox', interactionType: 'like' }]);
    expect(calm.flagged).toBe(false);
    const again = await record([
      comment(post.id, 'This is racist and should be removed.'),
      comment(post.id, 'Reporting this for hate speech.'),
    ]);
    expect(again.flagged).toBe(true);
  });

  it('takes content down: PUBLISHED → REJECTED, audited, remembered as a lesson, out of similarity search', async () => {
    const post = await published('Buy these pills, they cure everything, doctors hate it.');
    await t.app.services.memory.indexContent({
      contentId: post.id,
      agentId: agent.id,
      contentType: 'text',
      text: post.contentData,
      tags: [],
      persona: 'monitored-persona',
      createdAt: new Date(),
    });
    const outcome = await record([
      comment(post.id, 'Dangerous health misinformation, this is a scam.'),
      comment(post.id, 'Reported for false medical claims.', { reported: true }),
    ]);
    expect(outcome.flagged).toBe(true);

    const down = await t.ok<{ resolveContentFlag: { status: string; flag: { status: string; resolvedBy: string } } }>(
      RESOLVE,
      { id: gid('Content', post.id), d: 'TAKE_DOWN', n: 'medical claims' },
      reviewer.headers,
    );
    expect(down.resolveContentFlag.status).toBe('REJECTED');
    expect(down.resolveContentFlag.flag.status).toBe('TAKEN_DOWN');
    expect(down.resolveContentFlag.flag.resolvedBy).toBe(`user:${reviewer.userId}`);
    // …and from the platforms: a maintenance job removes the posts.
    expect(await t.app.db.outboxMessage.count({ where: { dedupeKey: `unpublish:${post.id}` } })).toBe(1);
    const audit = await t.app.db.auditLog.findFirst({ where: { action: 'content.taken_down', agentId: agent.id } });
    expect(audit?.details).toMatchObject({
      contentId: post.id,
      note: 'medical claims',
      actor: { id: reviewer.userId },
    });

    const lessons = await t.app.services.memory.recall(agent.id, 'pills that cure everything', {
      memoryTypes: ['long_term'],
      tags: ['taken_down'],
    });
    expect(lessons[0]?.record.content).toContain('taken down');
    expect(lessons[0]?.record.importance).toBeGreaterThanOrEqual(0.9);
    expect(await t.app.services.memory.similarContent(post.contentData, { contentIds: [post.id] })).toEqual([]);

    // Decided once: a second decision is a CONFLICT and changes nothing.
    const twice = await t.gql(RESOLVE, { id: gid('Content', post.id), d: 'KEEP' }, reviewer.headers);
    expect(codes(twice)).toEqual(['CONFLICT']);
    expect(twice.errors?.[0]?.message).toContain('already resolved (taken_down)');
  });

  it('flags an anomalous jump in engagement and a burst of reports', async () => {
    const spiking = await published('A calm post about morning routines.', agent.id, 8);
    const steady = Array.from({ length: 7 }, (_, h) =>
      Array.from({ length: 3 + (h % 2) }, () => ({
        contentId: spiking.id,
        platform: 'social-sandbox',
        interactionType: 'view' as const,
        occurredAt: new Date(Date.now() - (7 - h) * HOUR),
      })),
    ).flat();
    const before = await record(steady);
    expect(before.flagged).toBe(false);
    const spike = await record(
      Array.from({ length: 120 }, () => ({
        contentId: spiking.id,
        platform: 'social-sandbox',
        interactionType: 'click' as const,
      })),
    );
    expect(spike.flagged).toBe(true);
    const anomaly = spike.decision?.checks.find((c) => c.name === 'engagement_anomaly_detection');
    expect(anomaly?.flagged).toBe(true);
    expect(anomaly?.evidence.notes).toContain('spike');

    const reported = await published('Another ordinary post.');
    const reports = await record(
      ['x', 'y', 'z'].map((who) => ({
        contentId: reported.id,
        platform: 'social-sandbox',
        interactionType: 'share' as const,
        data: { author: who, reported: true },
      })),
    );
    expect(reports.decision?.checks.find((c) => c.name === 'automated_flagging')?.flagged).toBe(true);
    expect(reports.flagged).toBe(true);
  });

  it('leaves praise alone, and remembers what was said as episodes of the agent', async () => {
    const post = await published('Sunrise over the harbour this morning.');
    const outcome = await record([
      comment(post.id, 'Gorgeous colours, where exactly was this taken?'),
      comment(post.id, 'This made my day, thank you for sharing.'),
      { contentId: post.id, platform: 'social-sandbox', interactionType: 'like' },
    ]);
    expect(outcome).toMatchObject({ flagged: false, remembered: 2, decision: { action: 'allow' } });
    const stored = await t.app.db.content.findUniqueOrThrow({ where: { id: post.id } });
    expect((stored.metadata as { flag?: unknown }).flag).toBeUndefined();

    const episodes = await t.app.services.memory.recall(agent.id, 'where was the sunrise photo taken', {
      memoryTypes: ['episodic'],
      tags: ['interaction'],
    });
    expect(episodes.map((e) => e.record.content)).toContain('Gorgeous colours, where exactly was this taken?');
    expect(episodes[0]?.record.context).toContain('comment from @someone on social-sandbox');
    // Only the agent's own: another agent recalls none of it.
    const theirs = await t.app.services.memory.recall(other.id, 'where was the sunrise photo taken', {
      tags: ['interaction'],
    });
    expect(theirs).toEqual([]);

    // Recording again (a platform retry) replaces the episodes rather than doubling them.
    const draft = await t.app.db.content.create({
      data: { agentId: agent.id, contentType: 'text', contentData: 'draft', status: 'draft' },
    });
    const onDraft = await record([comment(draft.id, 'Early preview looks great!')]);
    expect(onDraft).toMatchObject({ decision: null, flagged: false, remembered: 1 });
  });

  it('refuses bad interactions with coded errors and stores none of them', async () => {
    const post = await published('Something to react to.');
    const before = await t.app.db.interaction.count();
    const outbox = await t.app.db.outboxMessage.count();
    const bad: [unknown, string][] = [
      [[], 'BAD_USER_INPUT'],
      [[{ ...comment(post.id, 'ok'), interactionType: 'report' }], 'BAD_USER_INPUT'],
      [[{ ...comment(post.id, 'ok'), occurredAt: new Date(Date.now() + 3_600_000) }], 'BAD_USER_INPUT'],
      [[{ ...comment(post.id, 'ok'), contentId: 'not-a-uuid' }], 'BAD_USER_INPUT'],
      [[comment(post.id, 'ok'), comment('00000000-0000-4000-8000-00000000dead', 'ghost')], 'NOT_FOUND'],
    ];
    for (const [input, code] of bad) {
      await expect(t.app.services.interactions.record(input as InteractionInput[])).rejects.toMatchObject({ code });
    }
    expect(await t.app.db.interaction.count()).toBe(before);
    expect(await t.app.db.outboxMessage.count()).toBe(outbox);
  });

  it('refuses to resolve what has no open flag, and keeps flags to the reviewer’s own agents', async () => {
    const post = await published('Nothing wrong here.');
    const none = await t.gql(RESOLVE, { id: gid('Content', post.id), d: 'KEEP' }, reviewer.headers);
    expect(codes(none)).toEqual(['CONFLICT']);
    expect(none.errors?.[0]?.message).toContain('has no open flag to resolve: it has no flag');
    const ghost = await t.gql(
      RESOLVE,
      { id: gid('Content', '00000000-0000-4000-8000-00000000beef'), d: 'TAKE_DOWN' },
      reviewer.headers,
    );
    expect(codes(ghost)).toEqual(['NOT_FOUND']);
    const longNote = await t.gql(RESOLVE, { id: gid('Content', post.id), d: 'KEEP', n: 'x'.repeat(1001) });
    expect(codes(longNote)).toEqual(['BAD_USER_INPUT']);

    // An operator of another agent neither sees nor resolves this agent's flags.
    const theirs = await published('Something that draws fire.', other.id);
    await record([comment(theirs.id, 'This is racist, reported for hate speech.'), comment(theirs.id, 'Hateful.')]);
    const operator = await t.signIn(['agent_operator'], { attributes: { agentIds: [agent.id] } });
    expect((await openFlags(operator.headers)).map((n) => n.id)).not.toContain(gid('Content', theirs.id));
    const denied = await t.gql(RESOLVE, { id: gid('Content', theirs.id), d: 'TAKE_DOWN' }, operator.headers);
    expect(codes(denied)).toEqual(['FORBIDDEN']);
    expect((await t.app.db.content.findUniqueOrThrow({ where: { id: theirs.id } })).status).toBe('published');
  });
});
