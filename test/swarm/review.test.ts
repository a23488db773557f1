// Human review (HITL) against an in-process swarm (real BullMQ workers, the offline language model): the Judge
// escalates financial content, and people approve it, reject it, or send it back to the Worker with notes — each
// decision applied once, audited with the reviewer, and open only to those who may make it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../prisma/seed.js';
import { REVIEW_ITEMS_TOPIC } from '../../src/domain/swarm/events.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { codes, type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent, makeTask, uuidOf } from '../helpers/fixtures.js';
import { recordingLanguageModel, startTestSwarm } from '../helpers/swarm.js';
import { eventually, subscribeSse } from '../helpers/ws-client.js';

let t: TestApp;
let swarm: Swarm;
let agentId: string;
let reviewer: Identity;
let analyst: Identity;
let operator: Identity;
/** Every completion the Worker asked the language model for. */
const recorded = recordingLanguageModel();

beforeAll(async () => {
  t = await startTestApp();
  agentId = (await seedDemo(t.app.db)).agentId;
  swarm = startTestSwarm(t, { llm: recorded.llm });
  [reviewer, analyst, operator] = await Promise.all([
    t.signIn(['content_reviewer']),
    t.signIn(['analyst']),
    t.signIn(['agent_operator'], { attributes: { agentIds: [agentId] } }),
  ]);
});
afterAll(async () => {
  await swarm?.close();
  await t?.close();
});

const SUBMIT = 'mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id } }';
const ITEMS = `query ($f: ReviewFilter, $first: Int = 10) { reviewItems(first: $first, filter: $f) { totalCount
  edges { node { taskId confidence categories reasons feedback content { id status } } } } }`;
const APPROVE = 'mutation ($id: ID!, $note: String) { approveReview(taskId: $id, note: $note) { __typename } }';
const REJECT = 'mutation ($id: ID!, $reason: String!) { rejectReview(taskId: $id, reason: $reason) { __typename } }';
const CHANGES = 'mutation ($id: ID!, $notes: String!) { requestChanges(taskId: $id, notes: $notes) { __typename } }';
const TASK = `query ($id: ID!) { task(id: $id) { status attempts result error { code message }
  context { raw } goal { status } contents { id status confidenceScore metadata } } }`;

interface Item {
  taskId: string;
  confidence: number | null;
  categories: string[];
  reasons: string[];
  feedback: string | null;
  content: { id: string; status: string } | null;
}
interface TaskView {
  status: string;
  attempts: number;
  result: { verdict?: { decision: string; confidence: number }; review?: Record<string, unknown> } | null;
  error: { code: string; message: string } | null;
  context: { raw: Record<string, unknown> };
  goal: { status: string } | null;
  contents: { id: string; status: string; confidenceScore: number | null; metadata: Record<string, unknown> }[];
}

async function submit(goalDescription: string) {
  const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(SUBMIT, {
    i: { agentId: gid('Agent', agentId), goalDescription },
  });
  return { goalGid: submitGoal.id, goalId: uuidOf(submitGoal.id) };
}

/** Waits for the goal's task of this type to be escalated by the Judge; returns its Task ID. */
async function escalated(goalId: string, taskType: string, attempts = 1) {
  const task = await eventually(
    async () =>
      (await t.app.db.task.findFirst({
        where: {
          goalId,
          taskType,
          status: 'review',
          attempts,
          result: { path: ['verdict', 'decision'], equals: 'escalate' },
        },
      })) ?? undefined,
    20_000,
    `the ${taskType} task to be escalated (attempt ${attempts})`,
  );
  return { taskId: task.id, taskGid: gid('Task', task.id) };
}

async function items(filter: Record<string, unknown>, who: Identity = reviewer) {
  const res = await t.gql<{ reviewItems: { totalCount: number; edges: { node: Item }[] } }>(
    ITEMS,
    { f: filter },
    who.headers,
  );
  expect(res.errors).toBeUndefined();
  return res.data?.reviewItems as { totalCount: number; edges: { node: Item }[] };
}

const taskView = async (taskGid: string) => (await t.ok<{ task: TaskView }>(TASK, { id: taskGid })).task;
const goalStatus = async (goalId: string) => (await t.app.db.goal.findUniqueOrThrow({ where: { id: goalId } })).status;
const auditOf = (action: string, taskId: string) =>
  t.app.db.auditLog.findMany({ where: { action, details: { path: ['taskId'], equals: taskId } } });

describe('human review', () => {
  it('lists what the Judge escalated; approving completes the task, approves the content, finishes the goal', async () => {
    // Two steps: fetch trends (harmless, approved by the Judge), then a post that waits for them; the request is
    // financial advice (and against the persona's directives), so the post goes to a person.
    const { goalGid, goalId } = await submit("Post about this week's top trend: invest your savings in bitcoin stocks");
    const post = await escalated(goalId, 'generate_content');
    const fetch = await t.app.db.task.findFirstOrThrow({ where: { goalId, taskType: 'fetch_trends' } });
    expect(fetch.status).toBe('complete');

    const listed = await items({ goalId: goalGid, category: 'financial_advice' });
    expect(listed.totalCount).toBe(1);
    expect(listed.edges.map((e) => e.node.taskId)).toEqual([post.taskGid]);
    expect(listed.edges[0]?.node.categories).toContain('financial_advice');
    expect(listed.edges[0]?.node.reasons.join(' ')).toMatch(/financial_advice/);
    expect((await items({ goalId: goalGid, category: 'legal_advice' })).totalCount).toBe(0);
    expect(await goalStatus(goalId)).toBe('review');

    const [item] = (await items({ goalId: goalGid })).edges.map((e) => e.node);
    expect(item?.taskId).toBe(post.taskGid);
    expect(item?.content?.status).toBe('DRAFT');
    const before = await taskView(post.taskGid);
    // The draft carries the moderation decisions that sent it here.
    const draftMeta = before.contents[0]?.metadata as { moderation?: { pre_generation?: { category: string } } };
    expect(draftMeta.moderation?.pre_generation?.category).toBe('sensitive');

    const approved = await t.gql(APPROVE, { id: post.taskGid, note: 'ok to publish' }, reviewer.headers);
    expect(approved.errors).toBeUndefined();
    const after = await taskView(post.taskGid);
    expect(after.status).toBe('COMPLETE');
    expect(after.result?.review).toMatchObject({
      decision: 'approved',
      reviewer: { kind: 'user', id: reviewer.userId },
      note: 'ok to publish',
    });
    expect(after.contents[0]?.id).toBe(item?.content?.id);
    expect(after.contents[0]?.status).toBe('APPROVED');
    expect(after.contents[0]?.confidenceScore).toBe(before.result?.verdict?.confidence);
    expect(after.goal?.status).toBe('COMPLETE');
    expect((await items({ goalId: goalGid })).totalCount).toBe(0);

    const [audit, ...more] = await auditOf('review.approved', post.taskId);
    expect(more).toEqual([]);
    expect(audit?.agentId).toBe(agentId);
    expect(audit?.details).toMatchObject({
      note: 'ok to publish',
      contentId: uuidOf(item?.content?.id ?? ''),
      actor: { kind: 'user', id: reviewer.userId },
    });

    // Deciding again, either way, is a conflict that changes nothing.
    for (const [query, variables] of [
      [APPROVE, { id: post.taskGid }],
      [REJECT, { id: post.taskGid, reason: 'changed my mind' }],
    ] as const) {
      const again = await t.gql(query, variables, reviewer.headers);
      expect(codes(again)).toEqual(['CONFLICT']);
      expect(again.errors?.[0]?.message).toMatch(/already approved/);
    }
    expect(await auditOf('review.approved', post.taskId)).toHaveLength(1);
    expect((await taskView(post.taskGid)).contents[0]?.status).toBe('APPROVED');
  });

  it('rejecting needs a reason, fails the task with REJECTED_BY_REVIEWER and fails the goal', async () => {
    const { goalGid, goalId } = await submit('Tell fans to invest their savings in bitcoin stocks now');
    const { taskId, taskGid } = await escalated(goalId, 'generate_content');
    expect((await items({ goalId: goalGid })).totalCount).toBe(1);

    const blank = await t.gql(REJECT, { id: taskGid, reason: '   ' }, reviewer.headers);
    expect(codes(blank)).toEqual(['BAD_USER_INPUT']);
    expect((await taskView(taskGid)).status).toBe('REVIEW');

    const reason = 'Financial advice is off-limits for this persona.';
    const res = await t.gql(REJECT, { id: taskGid, reason }, reviewer.headers);
    expect(res.errors).toBeUndefined();
    const view = await taskView(taskGid);
    expect(view.status).toBe('FAILED');
    expect(view.error).toEqual({ code: 'REJECTED_BY_REVIEWER', message: reason });
    expect(view.contents[0]?.status).toBe('REJECTED');
    expect(view.goal?.status).toBe('FAILED');
    expect((await items({ goalId: goalGid })).totalCount).toBe(0);
    const audits = await auditOf('review.rejected', taskId);
    expect(audits).toHaveLength(1);
    expect(audits[0]?.details).toMatchObject({ note: reason, actor: { kind: 'user', id: reviewer.userId } });

    const again = await t.gql(CHANGES, { id: taskGid, notes: 'try again' }, reviewer.headers);
    expect(codes(again)).toEqual(['CONFLICT']);
    expect(again.errors?.[0]?.message).toMatch(/already rejected/);
    expect((await taskView(taskGid)).status).toBe('FAILED');
  });

  it('requesting changes sends the task back to the Worker with the notes, and the Judge judges the new draft', async () => {
    const { goalGid, goalId } = await submit('Tell fans to put their savings into crypto, financial advice style');
    const { taskId, taskGid } = await escalated(goalId, 'generate_content');
    const firstDraft = (await taskView(taskGid)).contents[0];
    const notes = `Rewrite it without telling anyone what to buy (${taskId.slice(0, 8)}).`;

    const blank = await t.gql(CHANGES, { id: taskGid, notes: '' }, reviewer.headers);
    expect(codes(blank)).toEqual(['BAD_USER_INPUT']);

    const res = await t.gql(CHANGES, { id: taskGid, notes }, reviewer.headers);
    expect(res.errors).toBeUndefined();
    // The Worker's job for attempt 2 was queued with the decision.
    expect(await t.app.db.outboxMessage.count({ where: { dedupeKey: `work:${taskId}:2` } })).toBe(1);

    // The Worker writes attempt 2 with the notes, and the Judge escalates it again (the goal is still financial).
    await escalated(goalId, 'generate_content', 2);
    const view = await taskView(taskGid);
    expect(view.attempts).toBe(2);
    expect(view.status).toBe('REVIEW');
    expect(view.result?.verdict?.decision).toBe('escalate');
    expect(view.result?.review).toBeUndefined();
    expect(view.context.raw.feedback).toBe(notes);
    expect(view.contents).toHaveLength(2);
    const [second, first] = view.contents;
    expect(first?.id).toBe(firstDraft?.id);
    expect(first?.status).toBe('REJECTED');
    expect(first?.metadata.humanReview).toMatchObject({ decision: 'changes_requested', note: notes });
    expect(second?.status).toBe('DRAFT');
    expect(second?.metadata.attempt).toBe(2);
    // The generation of attempt 2 saw the reviewer's notes.
    expect(recorded.requests.filter((r) => r.instructions.includes(`Reviewer feedback: ${notes}`))).toHaveLength(1);

    // Back in the queue, with the new draft.
    const [item] = (await items({ goalId: goalGid })).edges.map((e) => e.node);
    expect(item?.taskId).toBe(taskGid);
    expect(item?.content?.id).toBe(second?.id);
    const audits = await auditOf('review.changes_requested', taskId);
    expect(audits).toHaveLength(1);
    expect(audits[0]?.details).toMatchObject({ note: notes, attempt: 1, actor: { kind: 'user', id: reviewer.userId } });
    expect(await auditOf('judge.escalate', taskId)).toHaveLength(2);
  });

  it('of decisions racing on one task, exactly one is applied; the others are conflicts', async () => {
    const task = await makeTask(t.app.db, agentId, {
      status: 'review',
      result: { verdict: { decision: 'escalate', confidence: 0.6, categories: ['financial_advice'], reasons: [] } },
    });
    const content = await t.app.db.content.create({
      data: { agentId, taskId: task.id, contentType: 'text', contentData: 'race', status: 'draft' },
    });
    const id = gid('Task', task.id);
    const results = await Promise.all([
      t.gql(APPROVE, { id }, reviewer.headers),
      t.gql(REJECT, { id, reason: 'no' }, reviewer.headers),
      t.gql(CHANGES, { id, notes: 'again' }, reviewer.headers),
      t.gql(APPROVE, { id }, reviewer.headers),
    ]);
    const outcomes = results.map((r) => codes(r)[0] ?? 'OK');
    expect(outcomes.filter((o) => o === 'OK')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'OK')).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT']);
    const audits = await t.app.db.auditLog.findMany({
      where: { action: { startsWith: 'review.' }, details: { path: ['taskId'], equals: task.id } },
    });
    expect(audits).toHaveLength(1);
    const winner = ['review.approved', 'review.rejected', 'review.changes_requested', 'review.approved'][
      outcomes.indexOf('OK')
    ];
    expect(audits[0]?.action).toBe(winner);
    const stored = await t.app.db.content.findUniqueOrThrow({ where: { id: content.id } });
    expect(stored.status).toBe(winner === 'review.approved' ? 'approved' : 'rejected');
  });

  it('is refused to those without the permission, and scoped to an operator’s own agents', async () => {
    const { goalGid, goalId } = await submit('Tell fans which stocks to buy before the price target moves');
    const { taskGid } = await escalated(goalId, 'generate_content');
    // A task of an agent the operator is not assigned, escalated to a person.
    const other = await makeAgent(t.app.db, 'review-other');
    const foreign = await makeTask(t.app.db, other.id, {
      status: 'review',
      result: {
        verdict: {
          decision: 'escalate',
          confidence: 0.5,
          categories: ['legal_advice'],
          reasons: ['sensitive topics: legal_advice'],
          feedback: 'check with legal',
        },
      },
    });
    const foreignGid = gid('Task', foreign.id);

    // An analyst may neither see the queue nor decide.
    expect(codes(await t.gql(ITEMS, { f: { goalId: goalGid } }, analyst.headers))).toEqual(['FORBIDDEN']);
    expect(codes(await t.gql(APPROVE, { id: taskGid }, analyst.headers))).toEqual(['FORBIDDEN']);
    expect(codes(await t.gql(CHANGES, { id: taskGid, notes: 'x' }, analyst.headers))).toEqual(['FORBIDDEN']);

    // The reviewer sees every agent's items; the operator only its own agent's.
    expect((await items({ category: 'legal_advice' })).edges.map((e) => e.node.taskId)).toContain(foreignGid);
    const mine = await items({}, operator);
    expect(mine.edges.map((e) => e.node.taskId)).toContain(taskGid);
    expect(mine.edges.map((e) => e.node.taskId)).not.toContain(foreignGid);

    // An operator moderates (content:moderate) but does not approve, and only for its own agents.
    expect(codes(await t.gql(APPROVE, { id: taskGid }, operator.headers))).toEqual(['FORBIDDEN']);
    expect(codes(await t.gql(CHANGES, { id: foreignGid, notes: 'not yours' }, operator.headers))).toEqual([
      'FORBIDDEN',
    ]);
    expect((await taskView(taskGid)).status).toBe('REVIEW');
    expect((await taskView(foreignGid)).status).toBe('REVIEW');

    const res = await t.gql<{ requestChanges: { status: string; attempts: number } }>(
      'mutation ($id: ID!) { requestChanges(taskId: $id, notes: "Less hype, please.") { status attempts } }',
      { id: taskGid },
      operator.headers,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.requestChanges).toEqual({ status: 'IN_PROGRESS', attempts: 2 });
    const [audit] = await auditOf('review.changes_requested', uuidOf(taskGid));
    expect(audit?.details).toMatchObject({ actor: { kind: 'user', id: operator.userId } });
  });
});

describe('reviewItemAdded', () => {
  it('tells a reviewer limited to assigned agents only of their items', async () => {
    const base = await t.app.listen();
    const stream = await subscribeSse<{ reviewItemAdded: { id: string } | null }>(
      `${base}/graphql`,
      'subscription { reviewItemAdded { id } }',
      operator.headers,
    );
    await new Promise((r) => setTimeout(r, 300));
    const draftFor = async (agent: string) => {
      const task = await makeTask(t.app.db, agent, { status: 'review' });
      const content = await t.app.db.content.create({
        data: { agentId: agent, taskId: task.id, contentType: 'text', contentData: 'draft' },
      });
      return { task, content };
    };
    const other = await draftFor((await makeAgent(t.app.db, 'not-assigned')).id);
    const mine = await draftFor(agentId);
    t.app.pubsub.publish(REVIEW_ITEMS_TOPIC, { id: other.task.id });
    t.app.pubsub.publish(REVIEW_ITEMS_TOPIC, { id: mine.task.id });
    const ids = () => stream.received.map((r) => r.data?.reviewItemAdded?.id);
    await eventually(() => ids().includes(gid('Content', mine.content.id)) || undefined, 10_000, 'the operator’s item');
    await new Promise((r) => setTimeout(r, 300));
    // (The swarm of the tests above may announce more of agent A's drafts meanwhile; none of another agent's.)
    expect(ids()).not.toContain(gid('Content', other.content.id));
    const agents = await t.app.db.content.findMany({
      where: { id: { in: ids().map((id) => uuidOf(id as string)) } },
      select: { agentId: true },
    });
    expect(agents.every((c) => c.agentId === agentId)).toBe(true);
    expect(stream.received.every((r) => codes(r as never).length === 0)).toBe(true);
    stream.close();
  });
});
