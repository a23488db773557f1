// Agent memory, the spec's lifecycle: "Runtime → Redis (short-term) → Weaviate (long-term)".
//   short-term  notes an agent makes while a task runs (what it was asked, what it drafted, the feedback it got),
//               in Redis under memory:short:{agent}:{task} for a day at most;
//   long-term   after the task ends, its notes are consolidated into one AgentMemory with an importance (how well
//               it went), so the next goal can draw on it;
//   episodic    what the agent put into the world and what came back: approved posts, interactions.
// Every read is for one agent: recall() takes the agent as a required argument and filters on it in the store, so
// an agent never reads another agent's memories. Content and trends are indexed for similarity search too.
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Embedder } from '../../platform/embeddings/embeddings.js';
import {
  type AgentMemoryRecord,
  type ContentEmbeddingRecord,
  embeddingTextOf,
  type FilterOf,
  type MemoryType,
  type SearchHit,
  type TrendAnalysisRecord,
  type VectorStore,
} from '../../platform/vector/vector-store.js';

/** A short-term note lives this long if its task never ends (a crashed task's notes do not pile up). */
export const SHORT_TERM_TTL_SECONDS = 24 * 3600;
/** Notes kept per task at most (the newest). */
const SHORT_TERM_MAX_NOTES = 50;
const MAX_MEMORY_TEXT = 4_000;

export interface MemoryNote {
  text: string;
  /** Where it came from: "goal", "draft", "feedback", "review"… */
  kind: string;
  at: string;
}

export interface RecallOptions {
  limit?: number;
  memoryTypes?: MemoryType[];
  minImportance?: number;
  after?: Date;
  before?: Date;
  tags?: string[];
}

export interface MemoryDeps {
  embedder: Embedder;
  store: VectorStore;
  redis: Redis;
  now?: () => Date;
}

const shortKey = (agentId: string, taskId: string) => `memory:short:${agentId}:${taskId}`;
const clip = (text: string) => (text.length > MAX_MEMORY_TEXT ? `${text.slice(0, MAX_MEMORY_TEXT - 1)}…` : text);
const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

export function createMemoryService({ embedder, store, redis, now = () => new Date() }: MemoryDeps) {
  const embedOne = async (text: string) => (await embedder.embed([text]))[0] as number[];

  async function putMemory(record: Omit<AgentMemoryRecord, 'id' | 'timestamp'> & { id?: string }) {
    const full: AgentMemoryRecord = {
      ...record,
      id: record.id ?? randomUUID(),
      content: clip(record.content),
      context: clip(record.context),
      importance: clamp01(record.importance),
      timestamp: now(),
    };
    await store.upsert('AgentMemory', [{ record: full, vector: await embedOne(embeddingTextOf('AgentMemory', full)) }]);
    return full;
  }

  return {
    /** Adds a short-term note to the task's working memory. */
    async note(agentId: string, taskId: string, note: Omit<MemoryNote, 'at'>): Promise<void> {
      const key = shortKey(agentId, taskId);
      const entry: MemoryNote = { ...note, text: clip(note.text), at: now().toISOString() };
      await redis
        .multi()
        .rpush(key, JSON.stringify(entry))
        .ltrim(key, -SHORT_TERM_MAX_NOTES, -1)
        .expire(key, SHORT_TERM_TTL_SECONDS)
        .exec();
    },

    /** The task's working memory, oldest first. */
    async notes(agentId: string, taskId: string): Promise<MemoryNote[]> {
      const raw = await redis.lrange(shortKey(agentId, taskId), 0, -1);
      return raw.flatMap((r) => {
        try {
          return [JSON.parse(r) as MemoryNote];
        } catch {
          return [];
        }
      });
    },

    /**
     * Ends the task's working memory: its notes become one long-term memory with this importance (id derived from
     * the task, so consolidating twice replaces rather than duplicates), and the short-term notes are dropped.
     * Returns the memory, or null when the task left no notes.
     */
    async consolidate(
      agentId: string,
      taskId: string,
      outcome: { summary: string; importance: number; tags?: string[] },
    ): Promise<AgentMemoryRecord | null> {
      const notes = await this.notes(agentId, taskId);
      if (notes.length === 0) return null;
      // The memory's content (what its vector is made of) is the outcome and the last thing written or asked.
      const last = [...notes].reverse().find((n) => n.kind === 'draft') ?? notes[notes.length - 1];
      const memory = await putMemory({
        id: taskMemoryId(taskId),
        agentId,
        memoryType: 'long_term',
        content: `${outcome.summary}\n${last?.text ?? ''}`.trim(),
        context: notes.map((n) => `${n.kind}: ${n.text}`).join('\n'),
        importance: outcome.importance,
        tags: ['task', ...(outcome.tags ?? [])],
      });
      await redis.del(shortKey(agentId, taskId));
      return memory;
    },

    /** An episode: something the agent did in the world, or that happened to it (a post, a reply it received). */
    episode(
      agentId: string,
      episode: { content: string; context: string; importance: number; tags: string[]; id?: string },
    ) {
      return putMemory({ ...episode, agentId, memoryType: 'episodic' });
    },

    /**
     * A lesson: a long-term memory the agent should weigh when it plans and writes (a post taken down, say). Its id
     * names it, so recording the same lesson twice replaces it.
     */
    lesson(
      agentId: string,
      lesson: { id: string; content: string; context: string; importance: number; tags: string[] },
    ) {
      return putMemory({ ...lesson, agentId, memoryType: 'long_term' });
    },

    /** The agent's memories nearest to `query`, best first. Only ever this agent's. */
    async recall(agentId: string, query: string, opts: RecallOptions = {}): Promise<SearchHit<'AgentMemory'>[]> {
      if (!agentId) throw new Error('recall needs the agent whose memories to read');
      const filter: FilterOf['AgentMemory'] = {
        agentId,
        memoryTypes: opts.memoryTypes,
        minImportance: opts.minImportance,
        after: opts.after,
        before: opts.before,
        tags: opts.tags,
      };
      const hits = await store.search('AgentMemory', await embedOne(query), { filter, limit: opts.limit ?? 5 });
      // Defence in depth: whatever the store returned, nothing of another agent leaves here.
      return hits.filter((h) => h.record.agentId === agentId);
    },

    /** Indexes a piece of content for similarity search (its id is the content's). */
    async indexContent(content: Omit<ContentEmbeddingRecord, 'id'>): Promise<void> {
      const record: ContentEmbeddingRecord = { ...content, id: content.contentId, text: clip(content.text) };
      await store.upsert('ContentEmbedding', [
        { record, vector: await embedOne(embeddingTextOf('ContentEmbedding', record)) },
      ]);
    },

    /** Takes a piece of content out of similarity search (it no longer stands for the agent's voice). */
    forgetContent(contentId: string): Promise<number> {
      return store.deleteWhere('ContentEmbedding', { contentIds: [contentId] });
    },

    /** Content nearest to `text`, optionally of one agent, best first. */
    similarContent(text: string, filter: FilterOf['ContentEmbedding'] = {}, limit = 5) {
      return embedOne(text).then((v) => store.search('ContentEmbedding', v, { filter, limit }));
    },

    /**
     * Known content nearest to `text`, for copyright_violation: what every other agent had approved (an agent's own
     * posts are its voice, not someone else's work), never the reviewed content itself.
     */
    knownContent(text: string, scope: { agentId?: string; contentId?: string }, limit = 3) {
      return this.similarContent(
        text,
        {
          excludeAgentIds: scope.agentId ? [scope.agentId] : undefined,
          excludeContentIds: scope.contentId ? [scope.contentId] : undefined,
        },
        limit,
      );
    },

    /** Indexes a trend (its id is the trend's). */
    async indexTrend(trend: Omit<TrendAnalysisRecord, 'id'>): Promise<void> {
      const record: TrendAnalysisRecord = { ...trend, id: trend.trendId };
      await store.upsert('TrendAnalysis', [
        { record, vector: await embedOne(embeddingTextOf('TrendAnalysis', record)) },
      ]);
    },

    /** Trends nearest to `text`, best first. */
    relatedTrends(text: string, filter: FilterOf['TrendAnalysis'] = {}, limit = 5) {
      return embedOne(text).then((v) => store.search('TrendAnalysis', v, { filter, limit }));
    },
  };
}

/** The long-term memory of a task has a stable id: the task's (consolidation is idempotent). */
export const taskMemoryId = (taskId: string) => taskId;

/** A stable UUID named by `name` (a memory derived from something else, e.g. "takedown:<content id>"). */
export function derivedMemoryId(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  const variant = ((Number.parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export type MemoryService = ReturnType<typeof createMemoryService>;
