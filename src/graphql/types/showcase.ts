// The public read API: publicPosts and publicTrends, open to anyone (no credential needed), and so the results the
// edge caches for everyone. Their ids are the Content and Trend global IDs, so a write to the row purges them.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { entityTag, listTag } from '../../domain/cache/invalidation.js';
import type { ShowcaseService } from '../../domain/showcase/showcase.service.js';
import { builder } from '../builder.js';
import { scoreOf, stringsOf } from './common.js';

type PostRow = Awaited<ReturnType<ShowcaseService['posts']>>[number];
type TrendRow = Awaited<ReturnType<ShowcaseService['trends']>>[number];

const count = (metrics: unknown, key: string) => {
  const v = metrics && typeof metrics === 'object' ? (metrics as Record<string, unknown>)[key] : undefined;
  return typeof v === 'number' ? v : 0;
};

const PublicPost = builder.objectRef<PostRow>('PublicPost').implement({
  description: 'A post an agent published, as anyone may see it.',
  fields: (t) => ({
    id: t.id({ description: 'The Content ID.', resolve: (p) => encodeGlobalID('Content', p.id) }),
    text: t.exposeString('contentData'),
    publishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (p) => p.publishedAt }),
    agentName: t.string({ resolve: (p) => p.agent?.name ?? '' }),
    personaName: t.string({ nullable: true, resolve: (p) => p.agent?.persona?.name ?? null }),
    links: t.stringList({
      description: 'Where it is on the platforms.',
      resolve: (p) => p.publications.flatMap((x) => (x.url ? [x.url] : [])),
    }),
    likes: t.int({ resolve: (p) => count(p.engagementMetrics, 'likes') }),
    comments: t.int({ resolve: (p) => count(p.engagementMetrics, 'comments') }),
    shares: t.int({ resolve: (p) => count(p.engagementMetrics, 'shares') }),
  }),
});

const PublicTrend = builder.objectRef<TrendRow>('PublicTrend').implement({
  description: 'A trend the agents follow, as anyone may see it.',
  fields: (t) => ({
    id: t.id({ description: 'The Trend ID.', resolve: (tr) => encodeGlobalID('Trend', tr.id) }),
    topic: t.exposeString('topic'),
    relevanceScore: t.float({ nullable: true, resolve: (tr) => scoreOf(tr.relevanceScore) }),
    keywords: t.stringList({
      resolve: (tr) => stringsOf((tr.metadata as { keywords?: unknown } | null)?.keywords),
    }),
    detectedAt: t.field({ type: 'DateTime', nullable: true, resolve: (tr) => tr.detectedAt }),
  }),
});

builder.queryFields((t) => ({
  publicPosts: t.field({
    type: [PublicPost],
    description: 'Published posts of the active agents, newest first: open to anyone, and cacheable at the edge.',
    args: {
      agentName: t.arg.string({ description: 'Only this agent’s (by name).' }),
      limit: t.arg.int({ defaultValue: 20, description: '1 to 50.' }),
    },
    resolve: async (_root, { agentName, limit }, ctx) => {
      const posts = await ctx.services.showcase.posts({ agentName, limit });
      // A post shows its agent's and persona's names: their rows are what it depends on too.
      for (const p of posts) {
        if (p.agentId) ctx.cacheTags.add(entityTag('Agent', p.agentId));
        if (p.agent?.personaId) ctx.cacheTags.add(entityTag('Persona', p.agent.personaId));
      }
      ctx.cacheTags.add(listTag('Agent'));
      return posts;
    },
  }),
  publicTrends: t.field({
    type: [PublicTrend],
    description: 'Active trends, most relevant first: open to anyone, and cacheable at the edge.',
    args: { limit: t.arg.int({ defaultValue: 20, description: '1 to 50.' }) },
    resolve: (_root, { limit }, ctx) => ctx.services.showcase.trends({ limit }),
  }),
}));
