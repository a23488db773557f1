// Semantic search as the API offers it: validated input, one agent's memories, content similar to a piece of
// content (only what the caller may see), and trends related to a text.
import { z } from 'zod';
import type { Database } from '../../platform/db/prisma.js';
import { MEMORY_TYPES, type MemoryType } from '../../platform/vector/vector-store.js';
import { sensitivityOf } from '../auth/classification.js';
import { nonBlank, parseInput, score } from '../shared/validation.js';
import type { MemoryService } from './memory.service.js';

export const MAX_RESULTS = 50;

const first = z.number().int().min(1, 'must be at least 1').max(MAX_RESULTS, `must be at most ${MAX_RESULTS}`);
const searchSchema = z.object({
  query: nonBlank(1000),
  first: first.default(5),
  memoryTypes: z.array(z.enum(MEMORY_TYPES)).max(3).nullish(),
  minImportance: score.nullish(),
  after: z.date().nullish(),
  before: z.date().nullish(),
  tags: z.array(nonBlank(100)).max(20).nullish(),
});

export type MemorySearchInput = z.input<typeof searchSchema>;

/** The agent's memories nearest to the query (the caller's right to read the agent is checked before). */
export function searchMemories(memory: MemoryService, agentId: string, input: MemorySearchInput) {
  const q = parseInput(searchSchema, input);
  return memory.recall(agentId, q.query, {
    limit: q.first,
    memoryTypes: (q.memoryTypes ?? undefined) as MemoryType[] | undefined,
    minImportance: q.minImportance ?? undefined,
    after: q.after ?? undefined,
    before: q.before ?? undefined,
    tags: q.tags ?? undefined,
  });
}

/**
 * Indexed content nearest to the source's text (not the source itself), best first, as { contentId, score }.
 * `withinAgentIds` limits the agents (a caller limited to assigned agents); without `includeSensitive`, content the
 * spec's content_sensitivity keeps from non-moderators is left out. Rows deleted since they were indexed drop out.
 */
export async function similarContent(
  deps: { memory: MemoryService; db: Database },
  source: { contentId: string; text: string },
  opts: { first?: number | null; withinAgentIds?: string[]; includeSensitive: boolean },
): Promise<{ contentId: string; score: number }[]> {
  const limit = parseInput(first.default(5), opts.first ?? undefined, ['first']);
  const scope = opts.withinAgentIds;
  if (scope && scope.length === 0) return [];
  // The store filters one agent at a time; a scoped caller's few agents are searched together and merged.
  const searches = (scope ?? [undefined]).map((agentId) =>
    deps.memory.similarContent(source.text, { agentId, excludeContentIds: [source.contentId] }, limit),
  );
  const hits = (await Promise.all(searches))
    .flat()
    .sort((a, b) => b.score - a.score)
    .slice(0, limit);
  const rows = await deps.db.content.findMany({
    where: { id: { in: hits.map((h) => h.record.contentId) } },
    select: { id: true, metadata: true },
  });
  const visible = new Set(
    rows.filter((r) => opts.includeSensitive || sensitivityOf(r.metadata) === 'safe').map((r) => r.id),
  );
  return hits
    .filter((h) => visible.has(h.record.contentId))
    .map((h) => ({ contentId: h.record.contentId, score: h.score }));
}

/** Trends nearest to `text`, best first. */
export function relatedTrends(memory: MemoryService, input: { text: string; first?: number | null }) {
  const text = parseInput(nonBlank(1000), input.text, ['text']);
  const limit = parseInput(first.default(5), input.first ?? undefined, ['first']);
  return memory.relatedTrends(text, {}, limit);
}
