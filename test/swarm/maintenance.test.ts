// The maintenance stage: recurring jobs are BullMQ job schedulers (one per deployment however many processes run the
// stage), the vector store is optimized on schedule, and a job of an unknown kind fails at once without retries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
