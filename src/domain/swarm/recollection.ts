// What the swarm's stages remember, through the memory service (src/domain/memory): the Planner and the Worker recall
// the agent's relevant memories as context; the Worker keeps short-term notes while it drafts; a task's end
// consolidates them into long-term memory, and approved posts become episodes and searchable content. Memory makes
// the agent better but never blocks it: a failing store is reported (onSideEffectError) and the work goes on.
import type { ContextItem } from '../../platform/llm/llm.js';
import type { MemoryService } from '../memory/memory.service.js';
import type { SwarmDeps } from './events.js';

/** How many memories a stage recalls, and the least importance worth recalling. */
export const RECALL_LIMIT = 3;
export const RECALL_MIN_IMPORTANCE = 0.2;

type Deps = SwarmDeps & { memory?: MemoryService };

async function quietly<T>(deps: Deps, what: string, run: (memory: MemoryService) => Promise<T>): Promise<T | null> {
  if (!deps.memory) return null;
  try {
    return await run(deps.memory);
  } catch (err) {
    deps.onSideEffectError?.(err, what);
    return null;
  }
}

/** The agent's memories relevant to `text`, as LLM context (empty without a memory service or on failure). */
export async function recalled(deps: Deps, agentId: string, text: string): Promise<ContextItem[]> {
  const hits = await quietly(deps, 'recall memories', (m) =>
    m.recall(agentId, text, { limit: RECALL_LIMIT, minImportance: RECALL_MIN_IMPORTANCE }),
  );
  return (hits ?? []).map((h) => ({ kind: 'memory' as const, text: h.record.content }));
}

/** A short-term note for the task. */
export function note(deps: Deps, task: { id: string; agentId: string | null }, kind: string, text: string) {
  if (!task.agentId) return Promise.resolve(null);
  const agentId = task.agentId;
  return quietly(deps, 'write a short-term note', (m) => m.note(agentId, task.id, { kind, text }));
}

/**
 * The task is over: its notes become a long-term memory, weighted by how it went. An approved post is also an
 * episode (the agent said this) and is indexed as content for similarity search.
 */
export async function remember(
  deps: Deps,
  task: { id: string; agentId: string | null },
  outcome: {
    summary: string;
    importance: number;
    tags: string[];
    approved?: { contentId: string; text: string; contentType: string; persona: string };
  },
) {
  if (!task.agentId) return;
  const agentId = task.agentId;
  await quietly(deps, 'consolidate memory', (m) => m.consolidate(agentId, task.id, outcome));
  const approved = outcome.approved;
  if (!approved) return;
  await quietly(deps, 'index approved content', (m) =>
    m.indexContent({
      contentId: approved.contentId,
      agentId,
      contentType: approved.contentType,
      text: approved.text,
      tags: outcome.tags,
      persona: approved.persona,
      createdAt: new Date(),
    }),
  );
  await quietly(deps, 'record an episode', (m) =>
    m.episode(agentId, {
      id: approved.contentId,
      content: approved.text,
      context: `Approved ${approved.contentType} (${outcome.summary})`,
      importance: outcome.importance,
      tags: ['approved_content', ...outcome.tags],
    }),
  );
}

/** Indexes trends for similarity search (TrendAnalysis), keyed by the trend's id so re-indexing replaces. */
export async function indexTrends(
  deps: Deps,
  trends: { id: string; topic: string; metadata: unknown; detectedAt: Date | null; relevanceScore: unknown }[],
) {
  for (const t of trends) {
    const meta = (t.metadata ?? {}) as { keywords?: unknown; platforms?: unknown; sentiment?: unknown };
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    await quietly(deps, 'index a trend', (m) =>
      m.indexTrend({
        trendId: t.id,
        topic: t.topic,
        keywords: strings(meta.keywords),
        platforms: strings(meta.platforms),
        sentiment: typeof meta.sentiment === 'string' ? meta.sentiment : 'neutral',
        metrics: [Number(t.relevanceScore ?? 0)],
        detectedAt: t.detectedAt ?? new Date(),
      }),
    );
  }
}
