// Interaction: type and queries.
import {
  INTERACTION_TYPES,
  type InteractionType as InteractionTypeValue,
} from '../../domain/interactions/interactions.service.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import { optionalIdOf } from '../ids.js';
import { connectionOf, enumFromValues } from './common.js';

export const InteractionType = enumFromValues('InteractionType', INTERACTION_TYPES, 'What the audience did.');

export const Interaction = builder.prismaNode('Interaction', {
  id: { field: 'id' },
  // node(id:) answers null for an unknown id, as Relay expects, instead of an error.
  nullable: true,
  description: 'An audience reaction to published content, as reported by its platform.',
  fields: (t) => ({
    platform: t.exposeString('platform'),
    interactionType: t.field({ type: InteractionType, resolve: (i) => i.interactionType as InteractionTypeValue }),
    data: t.expose('data', { type: 'JSON', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
    content: t.relation('content', { nullable: true }),
  }),
});

const InteractionFilter = builder.inputType('InteractionFilter', {
  fields: (t) => ({
    contentId: t.globalID({ description: 'A Content ID.' }),
    platform: t.stringList({ description: 'Any of these platforms.' }),
    interactionType: t.field({ type: [InteractionType] }),
    createdAfter: t.field({ type: 'DateTime', description: 'Inclusive.' }),
    createdBefore: t.field({ type: 'DateTime', description: 'Exclusive.' }),
  }),
});

export const InteractionConnection = connectionOf(Interaction, 'Interaction');

builder.queryFields((t) => ({
  interactions: t.prismaConnection(
    {
      type: 'Interaction',
      cursor: 'id',
      description: 'Interactions, newest first.',
      args: { filter: t.arg({ type: InteractionFilter }) },
      totalCount: (_root, { filter }, ctx) => ctx.services.interactions.count(interactionFilter(filter, ctx)),
      resolve: (query, _root, { filter }, ctx) => ctx.services.interactions.list(interactionFilter(filter, ctx), query),
    },
    InteractionConnection,
  ),
}));

function interactionFilter(f: typeof InteractionFilter.$inferInput | null | undefined, ctx: Context) {
  return {
    contentId: optionalIdOf(f?.contentId, 'Content'),
    platforms: f?.platform,
    interactionTypes: f?.interactionType,
    createdAfter: f?.createdAfter,
    createdBefore: f?.createdBefore,
    withinAgentIds: ctx.access.agentIds,
  };
}
