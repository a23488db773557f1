// The maintenance stage: recurring jobs are BullMQ job schedulers (one per deployment however many processes run the
// stage), the vector store is optimized on schedule, and a job of an unknown kind fails at once without retries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetentionReport } from '../../src/domain/operations/retention.service.js';
import type { OptimizeReport } from '../../src/platform/vector/vector-store.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startTestSwarm } from '../helpers/swarm.js';
import { eventually } from '../helpers/ws-client.js';

let t: TestApp;
const swarms: Swarm[] = [];
beforeAll(async () => {
  t = await startTestApp();
}, 120_000);
afterAll(async () => {
  for (const s of swarms) await s.close();
  await t?.close();
});

const start = (every: number) => {
  const swarm = startTestSwarm(t, {
    stages: ['maintenance'],
    vectors: t.app.vectors,
    maintenance: { optimizeVectorsEveryMs: every },
  });
  swarms.push(swarm);
  return swarm;
};

describe('the maintenance stage', () => {
  it('optimizes the vector store on schedule, once per tick however many processes run the stage', async () => {
    await t.app.services.memory.indexTrend({
      trendId: '6f6f6f6f-0000-4000-8000-000000000001',
      topic: 'creator tools',
      keywords: ['tools'],
      platforms: ['social'],
      sentiment: 'positive',
      metrics: [0.8],
      detectedAt: new Date(),
    });
    const a = start(400);
    start(400);
    const queue = a.queues.queues.maintenance;
    await eventually(async () => (await queue.getJobSchedulers()).length > 0 || undefined, 10_000, 'the scheduler');
    expect((await queue.getJobSchedulers()).map((s) => [s.key, s.every])).toEqual([['optimize_vectors', 400]]);

    const done = await eventually(
      async () => {
        const jobs = await queue.getJobs(['completed']);
        return jobs.length >= 2 ? jobs : undefined;
      },
      20_000,
      'two optimize runs',
    );
    const report = done[0]?.returnvalue as OptimizeReport;
    expect(report.collections.TrendAnalysis.rows).toBe(1);
    expect(Object.keys(report.collections).sort()).toEqual(['AgentMemory', 'ContentEmbedding', 'TrendAnalysis']);
    // One scheduler, so ticks are not doubled by the second process: every completed job is a distinct tick.
    const ticks = done.map((j) => j.timestamp);
    expect(new Set(ticks).size).toBe(ticks.length);
  });

  it('removes the schedule when the interval is 0', async () => {
    const swarm = start(0);
    const queue = swarm.queues.queues.maintenance;
    await eventually(async () => (await queue.getJobSchedulers()).length === 0 || undefined, 10_000, 'no scheduler');
  });

  it('applies retention on its schedule: an interaction past its year goes, a recent one stays', async () => {
    const agent = await t.app.db.agent.create({ data: { name: 'retention-scheduled' } });
    const post = await t.app.db.content.create({ data: { agentId: agent.id, contentType: 'text', contentData: 'p' } });
    const [old, recent] = await Promise.all(
      [400, 3].map((days) =>
        t.app.db.interaction.create({
          data: {
            contentId: post.id,
            platform: 'social',
            interactionType: 'like',
            createdAt: new Date(Date.now() - days * 86_400_000),
          },
        }),
      ),
    );
    const swarm = startTestSwarm(t, {
      stages: ['maintenance'],
      maintenance: { applyRetentionEveryMs: 300 },
      retention: t.app.config.retention.periods,
    });
    swarms.push(swarm);
    const queue = swarm.queues.queues.maintenance;
    const done = await eventually(
      async () => (await queue.getJobs(['completed'])).find((j) => j.data.kind === 'apply_retention'),
      20_000,
      'a retention run',
    );
    const report = done.returnvalue as RetentionReport;
    expect(report.lines.find((l) => l.target === 'interactions')?.removed).toBeGreaterThanOrEqual(1);
    const left = await t.app.db.interaction.findMany({ where: { contentId: post.id }, select: { id: true } });
    expect(left.map((i) => i.id)).toEqual([recent?.id]);
    expect(old?.id).not.toBe(recent?.id);
  });

  it('fails a job of an unknown kind at once, without retries', async () => {
    const swarm = swarms[0] as Swarm;
    await swarm.queues.add('maintenance', { id: 'mystery-1', data: { kind: 'mystery' } });
    const job = await eventually(
      async () => {
        const j = await swarm.queues.get('maintenance', 'mystery-1');
        return j?.failedReason && j.finishedOn ? j : undefined;
      },
      10_000,
      'the job to fail',
    );
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toBe('Unknown maintenance job kind: mystery');
  });
});
