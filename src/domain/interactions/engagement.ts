// The spec's "Interactions → Analytics aggregation": every piece of content keeps its counts in engagement_metrics,
// and every agent a performance_score. Both are recomputed from the interaction rows (not incremented), so a replay,
// a retry or a late batch can never make them drift.
//
//   engagement_metrics  { likes, comments, shares, views, clicks, total, weighted, updatedAt }
//                       weighted = likes + 2·comments + 3·shares + clicks + 0.1·views
//   performance_score   1 − e^(−E / 10), E = the mean `weighted` over the agent's published posts (0..1: a post
//                       with ten likes' worth of engagement on average scores 0.63)
import { Prisma } from '../../generated/prisma/client.js';
import type { Tx } from '../audit/audit.service.js';

export const ENGAGEMENT_WEIGHTS = { like: 1, comment: 2, share: 3, click: 1, view: 0.1 } as const;
export const PERFORMANCE_SCALE = 10;

export interface EngagementMetrics {
  likes: number;
  comments: number;
  shares: number;
  views: number;
  clicks: number;
  total: number;
  weighted: number;
  updatedAt: string;
}

export function weightedEngagement(m: Pick<EngagementMetrics, 'likes' | 'comments' | 'shares' | 'views' | 'clicks'>) {
  const w = ENGAGEMENT_WEIGHTS;
  return (
    Math.round(
      (w.like * m.likes + w.comment * m.comments + w.share * m.shares + w.click * m.clicks + w.view * m.views) * 100,
    ) / 100
  );
}

export const performanceOf = (meanWeighted: number) =>
  Math.round((1 - Math.exp(-Math.max(0, meanWeighted) / PERFORMANCE_SCALE)) * 100) / 100;

export async function refreshEngagement(tx: Tx, contentIds: readonly string[], now = new Date()) {
  if (contentIds.length === 0) return;
  const counts = await tx.$queryRaw<{ content_id: string; interaction_type: string; n: number }[]>`
    SELECT content_id, interaction_type, count(*)::int AS n FROM interactions
     WHERE content_id IN (${Prisma.join(contentIds.map((id) => Prisma.sql`${id}::uuid`))})
     GROUP BY content_id, interaction_type`;
  for (const contentId of contentIds) {
    const of = (type: string) => counts.find((c) => c.content_id === contentId && c.interaction_type === type)?.n ?? 0;
    const base = {
      likes: of('like'),
      comments: of('comment'),
      shares: of('share'),
      views: of('view'),
      clicks: of('click'),
    };
    const metrics: EngagementMetrics = {
      ...base,
      total: base.likes + base.comments + base.shares + base.views + base.clicks,
      weighted: weightedEngagement(base),
      updatedAt: now.toISOString(),
    };
    await tx.content.update({
      where: { id: contentId },
      data: { engagementMetrics: metrics as unknown as Prisma.InputJsonObject },
      select: { id: true },
    });
  }
  const agents = await tx.content.findMany({
    where: { id: { in: [...contentIds] }, agentId: { not: null } },
    select: { agentId: true },
    distinct: ['agentId'],
  });
  for (const { agentId } of agents) {
    if (!agentId) continue;
    const [row] = await tx.$queryRaw<{ mean: number | null }[]>`
      SELECT avg((engagement_metrics->>'weighted')::float8) AS mean FROM content
       WHERE agent_id = ${agentId}::uuid AND status = 'published' AND engagement_metrics ? 'weighted'`;
    if (row?.mean == null) continue;
    await tx.agent.update({ where: { id: agentId }, data: { performanceScore: performanceOf(row.mean) } });
  }
}
