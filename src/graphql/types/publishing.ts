// Publishing through GraphQL: where each piece of content was posted (Content.publications, the publish ledger) and
// where each agent publishes, with each account's posting quota (Agent.platforms). Both are read under the rules of
// the type they hang from (Content, Agent).
import type { PlatformTarget } from '../../domain/publishing/publishing.service.js';
import type { Services } from '../../domain/services.js';
import { builder } from '../builder.js';
import { Agent } from './agents.js';
import { Content } from './content.js';

builder.prismaObject('Publication', {
  description: 'Content on one platform: the publish ledger’s row (one per content and platform, never posted twice).',
  fields: (t) => ({
    platform: t.exposeString('platform', { description: 'The platform (its MCP server’s name).' }),
    account: t.exposeString('account'),
    kind: t.exposeString('kind', { description: 'post, or reply (to a comment on the platform).' }),
    status: t.exposeString('status', { description: 'pending → posted | failed; deleted when taken down.' }),
    platformPostId: t.exposeString('platformPostId', { nullable: true }),
    url: t.exposeString('url', { nullable: true }),
    attempts: t.exposeInt('attempts'),
    lastError: t.exposeString('lastError', { nullable: true }),
    postedAt: t.expose('postedAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.prismaObjectField(Content, 'publications', (t) =>
  t.relation('publications', {
    description: 'Where it was (or is being) posted.',
    query: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
  }),
);

type Quota = NonNullable<Awaited<ReturnType<Services['publishing']['quota']>>>;

const PostingQuota = builder.objectRef<Quota>('PostingQuota').implement({
  description: 'A platform account’s sliding-window posting quota, as the publish ledger counts it.',
  fields: (t) => ({
    limit: t.exposeInt('limit', { description: 'Posts allowed in any window.' }),
    windowMs: t.exposeInt('windowMs'),
    used: t.exposeInt('used', { description: 'Posted in the last window.' }),
    queued: t.exposeInt('queued', { description: 'Approved, waiting to be posted.' }),
    remaining: t.exposeInt('remaining'),
    resetAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the oldest post in the window leaves it (a slot frees).',
      resolve: (q) => q.resetAt,
    }),
  }),
});

const AgentPlatform = builder.objectRef<PlatformTarget>('AgentPlatform').implement({
  description: 'A platform account the agent publishes to (agent.metadata.platforms).',
  fields: (t) => ({
    platform: t.exposeString('platform'),
    account: t.exposeString('account'),
    quota: t.field({
      type: PostingQuota,
      nullable: true,
      description: 'Null when no quota is configured for the platform.',
      resolve: (target, _args, ctx) => ctx.services.publishing.quota(target),
    }),
  }),
});

builder.objectField(Agent, 'platforms', (t) =>
  t.field({
    type: [AgentPlatform],
    description: 'Where the agent publishes approved content, with each account’s posting quota.',
    resolve: (agent, _args, ctx) => ctx.services.publishing.targetsOf(agent.metadata),
  }),
);
