// Semantic memory over the API: an agent's memories (Agent.memories), content similar to a piece of content
// (Content.similar) and trends related to a text (relatedTrends). Reading an agent's memories is reading the agent:
// the Agent type's rule (agent:read, assigned agents) guards it.

import { relatedTrends, searchMemories, similarContent } from '../../domain/memory/search.js';
import type { SearchHit } from '../../platform/vector/vector-store.js';
import { MEMORY_TYPES } from '../../platform/vector/vector-store.js';
import { builder } from '../builder.js';
import { Agent } from './agents.js';
import { enumFromValues } from './common.js';
import { Content } from './content.js';

export const MemoryType = enumFromValues(
  'MemoryType',
  MEMORY_TYPES,
  'short_term: notes during a task; long_term: what a finished task taught; episodic: what the agent did and met.',
);

const AgentMemoryRef = builder.objectRef<SearchHit<'AgentMemory'>['record']>('AgentMemory').implement({
  description: 'One memory of an agent (the spec’s AgentMemory class).',
  fields: (t) => ({
    id: t.exposeString('id'),
    memoryType: t.field({ type: MemoryType, resolve: (m) => m.memoryType }),
    content: t.exposeString('content'),
    context: t.exposeString('context'),
    importance: t.exposeFloat('importance'),
    timestamp: t.field({ type: 'DateTime', resolve: (m) => m.timestamp }),
    tags: t.exposeStringList('tags'),
  }),
});

const MemoryHit = builder.objectRef<SearchHit<'AgentMemory'>>('MemoryHit').implement({
  fields: (t) => ({
    memory: t.field({ type: AgentMemoryRef, resolve: (h) => h.record }),
    score: t.exposeFloat('score', { description: 'Cosine similarity to the query (1 = same meaning).' }),
  }),
});

const MemoryFilter = builder.inputType('MemoryFilter', {
  fields: (t) => ({
    memoryTypes: t.field({ type: [MemoryType] }),
    minImportance: t.float({ description: '0..1.' }),
    after: t.field({ type: 'DateTime', description: 'Inclusive.' }),
    before: t.field({ type: 'DateTime', description: 'Inclusive.' }),
    tags: t.stringList({ description: 'Memories with at least one of these tags.' }),
  }),
});

builder.objectField(Agent, 'memories', (t) =>
  t.field({
    type: [MemoryHit],
    description: 'The agent’s memories nearest in meaning to `query`, best first (only this agent’s, ever).',
    args: {
      query: t.arg.string({ required: true, description: 'What to remember; up to 1,000 characters.' }),
      limit: t.arg.int({ defaultValue: 5, description: 'How many, 1 to 50.' }),
      filter: t.arg({ type: MemoryFilter }),
    },
    resolve: (agent, { query, limit, filter }, ctx) =>
      searchMemories(ctx.services.memory, agent.id, { query, first: limit ?? undefined, ...filter }),
  }),
);

type SimilarHit = { contentId: string; score: number };

const SimilarContent = builder.objectRef<SimilarHit>('SimilarContent').implement({
  fields: (t) => ({
    content: t.prismaField({
      type: 'Content',
      nullable: true,
      resolve: (query, h, _a, ctx) => ctx.db.content.findUnique({ ...query, where: { id: h.contentId } }),
    }),
    score: t.exposeFloat('score', { description: 'Cosine similarity (1 = the same text).' }),
  }),
});

builder.objectField(Content, 'similar', (t) =>
  t.field({
    type: [SimilarContent],
    description:
      'Approved content nearest in meaning to this one (of the caller’s agents, for callers limited to assigned ' +
      'agents; sensitive drafts only for moderators), best first.',
    args: { limit: t.arg.int({ defaultValue: 5, description: 'How many, 1 to 50.' }) },
    resolve: (content, { limit }, ctx) =>
      similarContent(
        { memory: ctx.services.memory, db: ctx.db },
        { contentId: content.id, text: content.contentData },
        { first: limit, withinAgentIds: ctx.access.agentIds, includeSensitive: ctx.access.seesSensitiveContent },
      ),
  }),
);

type TrendHit = { trendId: string; topic: string; score: number };

const RelatedTrend = builder.objectRef<TrendHit>('RelatedTrend').implement({
  fields: (t) => ({
    trend: t.prismaField({
      type: 'Trend',
      nullable: true,
      description: 'The trend (null when it was deleted after it was indexed).',
      resolve: (query, h, _a, ctx) => ctx.db.trend.findUnique({ ...query, where: { id: h.trendId } }),
    }),
    topic: t.exposeString('topic'),
    score: t.exposeFloat('score', { description: 'Cosine similarity to the text.' }),
  }),
});

builder.queryField('relatedTrends', (t) =>
  t.field({
    type: [RelatedTrend],
    description: 'Trends nearest in meaning to a text (a goal, a draft), best first.',
    args: {
      text: t.arg.string({ required: true, description: 'Up to 1,000 characters.' }),
      limit: t.arg.int({ defaultValue: 5, description: 'How many, 1 to 50.' }),
    },
    resolve: async (_r, { text, limit }, ctx) =>
      (await relatedTrends(ctx.services.memory, { text, first: limit })).map((h) => ({
        trendId: h.record.trendId,
        topic: h.record.topic,
        score: h.score,
      })),
  }),
);
