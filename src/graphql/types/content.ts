// Content: type, queries, mutations.
import {
  CONTENT_STATUSES,
  CONTENT_TYPES,
  type ContentType as ContentTypeValue,
  contentStatusOf,
} from '../../domain/content/content.model.js';
import { FLAG_STATUSES } from '../../domain/content/flags.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import { optionalIdOf } from '../ids.js';
import { connectionOf, enumFromValues, scoreOf } from './common.js';
import { InteractionConnection } from './interactions.js';

export const ContentType = enumFromValues('ContentType', CONTENT_TYPES, 'The medium of a piece of content.');
export const ContentStatus = enumFromValues(
  'ContentStatus',
  CONTENT_STATUSES,
  'draft → approved | rejected; approved → published | rejected; rejected → draft. Published is final.',
);

export const ContentFlagStatus = enumFromValues(
  'ContentFlagStatus',
  FLAG_STATUSES,
  'A post-publication flag: OPEN until a person keeps the content (KEPT) or takes it down (TAKEN_DOWN).',
);

export const Content = builder.prismaNode('Content', {
  id: { field: 'id' },
  // node(id:) answers null for an unknown id, as Relay expects, instead of an error.
  nullable: true,
  description: 'Something an agent produced: a post, a reply, an image.',
  fields: (t) => ({
    // The CHECK constraint guarantees the stored string is one of the enum's values.
    contentType: t.field({ type: ContentType, resolve: (c) => c.contentType as ContentTypeValue }),
    contentData: t.exposeString('contentData', { description: 'The text, or a URI for media.' }),
    status: t.field({ type: ContentStatus, resolve: (c) => contentStatusOf(c.status) }),
    confidenceScore: t.float({ nullable: true, resolve: (c) => scoreOf(c.confidenceScore) }),
    metadata: t.expose('metadata', { type: 'JSON', nullable: true }),
    engagementMetrics: t.expose('engagementMetrics', { type: 'JSON', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
    publishedAt: t.expose('publishedAt', { type: 'DateTime', nullable: true }),
    task: t.relation('task', { nullable: true }),
    agent: t.relation('agent', { nullable: true }),
    interactions: t.relatedConnection(
      'interactions',
      {
        cursor: 'id',
        totalCount: true,
        description: 'Newest first.',
        query: () => ({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
      },
      InteractionConnection,
    ),
  }),
});

const ContentFilter = builder.inputType('ContentFilter', {
  fields: (t) => ({
    agentId: t.globalID({ description: 'An Agent ID.' }),
    taskId: t.globalID({ description: 'A Task ID.' }),
    status: t.field({ type: [ContentStatus], description: 'Any of these statuses.' }),
    contentType: t.field({ type: [ContentType] }),
    createdAfter: t.field({ type: 'DateTime', description: 'Inclusive.' }),
    createdBefore: t.field({ type: 'DateTime', description: 'Exclusive.' }),
    flagStatus: t.field({
      type: [ContentFlagStatus],
      description:
        'Content flagged after publication, in any of these states ([OPEN]: the flags waiting for a person).',
    }),
  }),
});

export const ContentConnection = connectionOf(Content, 'Content');

builder.queryFields((t) => ({
  content: t.prismaField({
    type: 'Content',
    nullable: true,
    args: { id: t.arg.globalID({ required: true, for: Content }) },
    resolve: (query, _root, { id }, ctx) => ctx.services.content.get(id.id, query),
  }),
  contents: t.prismaConnection(
    {
      type: 'Content',
      cursor: 'id',
      description: 'Content, newest first.',
      args: { filter: t.arg({ type: ContentFilter }) },
      totalCount: (_root, { filter }, ctx) => ctx.services.content.count(contentFilter(filter, ctx)),
      resolve: (query, _root, { filter }, ctx) => ctx.services.content.list(contentFilter(filter, ctx), query),
    },
    ContentConnection,
  ),
}));

function contentFilter(f: typeof ContentFilter.$inferInput | null | undefined, ctx: Context) {
  return {
    agentId: optionalIdOf(f?.agentId, 'Agent'),
    taskId: optionalIdOf(f?.taskId, 'Task'),
    statuses: f?.status,
    contentTypes: f?.contentType,
    createdAfter: f?.createdAfter,
    createdBefore: f?.createdBefore,
    flagStatuses: f?.flagStatus,
    withinAgentIds: ctx.access.agentIds,
    includeSensitive: ctx.access.seesSensitiveContent,
  };
}

builder.mutationFields((t) => ({
  setContentStatus: t.prismaField({
    type: 'Content',
    description: 'Moves content along an allowed transition (see ContentStatus); anything else is a CONFLICT.',
    args: {
      id: t.arg.globalID({ required: true, for: Content }),
      status: t.arg({ type: ContentStatus, required: true }),
      reason: t.arg.string({ description: 'Why; kept in the audit log. Up to 1,000 characters.' }),
    },
    resolve: (query, _root, { id, status, reason }, ctx) =>
      ctx.services.content.setStatus(id.id, { status, reason }, ctx.actor, query),
  }),
}));
