// Agent: type, queries, mutations.
import { assigneeOf } from '../access.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import { optionalIdOf } from '../ids.js';
import { AuditLogConnection } from './audit.js';
import { connectionOf, scoreOf } from './common.js';
import { ContentConnection } from './content.js';
import { TaskConnection } from './tasks.js';

const newestFirst = {
  cursor: 'id',
  totalCount: true,
  description: 'Newest first.',
  query: () => ({ orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }] }),
} as const;

export const Agent = builder.prismaNode('Agent', {
  id: { field: 'id' },
  // node(id:) answers null for an unknown id, as Relay expects, instead of an error.
  nullable: true,
  description: 'An autonomous influencer: a persona in action, with tasks, content and wallets.',
  fields: (t) => ({
    name: t.exposeString('name'),
    active: t.boolean({ resolve: (a) => a.active !== false, description: 'Deactivated agents take no new tasks.' }),
    metadata: t.expose('metadata', { type: 'JSON', nullable: true }),
    performanceScore: t.float({ nullable: true, resolve: (a) => scoreOf(a.performanceScore) }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true }),
    persona: t.relation('persona', { nullable: true }),
    tasks: t.relatedConnection('tasks', newestFirst, TaskConnection),
    contents: t.relatedConnection('contents', newestFirst, ContentConnection),
    wallets: t.relation('wallets', { description: 'One wallet per blockchain.' }),
    auditLogs: t.relatedConnection('auditLogs', newestFirst, AuditLogConnection),
  }),
});

const AgentFilter = builder.inputType('AgentFilter', {
  fields: (t) => ({
    personaId: t.globalID({ description: 'A Persona ID.' }),
    active: t.boolean(),
    nameContains: t.string({ description: 'Case-insensitive substring of the name.' }),
  }),
});

const CreateAgentInput = builder.inputType('CreateAgentInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Up to 255 characters.' }),
    personaId: t.globalID({ description: 'A Persona ID.' }),
    metadata: t.field({ type: 'JSONObject', description: 'Free-form, up to 64 KiB.' }),
  }),
});

const UpdateAgentInput = builder.inputType('UpdateAgentInput', {
  description: 'Fields left out keep their value; null clears personaId or metadata.',
  fields: (t) => ({
    name: t.string(),
    personaId: t.globalID({ description: 'A Persona ID.' }),
    metadata: t.field({ type: 'JSONObject' }),
  }),
});

export const AgentConnection = connectionOf(Agent, 'Agent');

builder.queryFields((t) => ({
  agent: t.prismaField({
    type: 'Agent',
    nullable: true,
    args: { id: t.arg.globalID({ required: true, for: Agent }) },
    resolve: (query, _root, { id }, ctx) => ctx.services.agents.get(id.id, query),
  }),
  agents: t.prismaConnection(
    {
      type: 'Agent',
      cursor: 'id',
      description: 'Agents, newest first.',
      args: { filter: t.arg({ type: AgentFilter }) },
      totalCount: (_root, { filter }, ctx) => ctx.services.agents.count(agentFilter(filter, ctx)),
      resolve: (query, _root, { filter }, ctx) => ctx.services.agents.list(agentFilter(filter, ctx), query),
    },
    AgentConnection,
  ),
}));

function agentFilter(f: typeof AgentFilter.$inferInput | null | undefined, ctx: Context) {
  return { ...f, personaId: optionalIdOf(f?.personaId, 'Persona'), withinAgentIds: ctx.access.agentIds };
}

builder.mutationFields((t) => ({
  createAgent: t.prismaField({
    type: 'Agent',
    args: { input: t.arg({ type: CreateAgentInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const agent = await ctx.services.agents.create(
        { ...input, personaId: optionalIdOf(input.personaId, 'Persona') },
        ctx.actor,
        query,
        assigneeOf(ctx.principal),
      );
      ctx.access.grant({ agentId: agent.id });
      return agent;
    },
  }),
  updateAgent: t.prismaField({
    type: 'Agent',
    args: {
      id: t.arg.globalID({ required: true, for: Agent }),
      input: t.arg({ type: UpdateAgentInput, required: true }),
    },
    resolve: (query, _root, { id, input }, ctx) =>
      ctx.services.agents.update(
        id.id,
        { ...input, personaId: optionalIdOf(input.personaId, 'Persona') },
        ctx.actor,
        query,
      ),
  }),
  deactivateAgent: t.prismaField({
    type: 'Agent',
    description: 'Stops the agent from taking new tasks. Its history stays.',
    args: { id: t.arg.globalID({ required: true, for: Agent }) },
    resolve: (query, _root, { id }, ctx) => ctx.services.agents.deactivate(id.id, ctx.actor, query),
  }),
  activateAgent: t.prismaField({
    type: 'Agent',
    args: { id: t.arg.globalID({ required: true, for: Agent }) },
    resolve: (query, _root, { id }, ctx) => ctx.services.agents.activate(id.id, ctx.actor, query),
  }),
}));
