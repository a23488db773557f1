// The swarm's live state: what each agent is doing right now (agent:{id}:state in Redis, kept by the workers'
// heartbeats), the spec's hourly counters, and a subscription that follows an agent's state.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { ValidationError } from '../../domain/shared/errors.js';
import { AGENT_STATUSES, type AgentState, type HourMetrics } from '../../domain/swarm/activity.js';
import { agentStateTopic } from '../../domain/swarm/events.js';
import { builder } from '../builder.js';
import { idOf, optionalIdOf } from '../ids.js';
import { Agent } from './agents.js';
import { enumFromValues } from './common.js';

export const AgentRunStatus = enumFromValues(
  'AgentRunStatus',
  AGENT_STATUSES,
  'What an agent is doing: idle, busy with tasks, or its last task attempt failed.',
);

const AgentStateRef = builder.objectRef<AgentState>('AgentState').implement({
  description:
    'An agent’s live state, as the workers report it (Redis agent:{id}:state). A task whose worker stopped ' +
    'sending heartbeats no longer counts as running.',
  fields: (t) => ({
    agentId: t.id({ resolve: (s) => encodeGlobalID('Agent', s.agentId) }),
    status: t.field({ type: AgentRunStatus, resolve: (s) => s.status }),
    activeTasks: t.exposeInt('activeTasks', { description: 'Tasks running for the agent right now.' }),
    currentTask: t.prismaField({
      type: 'Task',
      nullable: true,
      description: 'The task the agent started most recently, while it runs.',
      resolve: (query, s, _a, ctx) =>
        s.currentTaskId ? ctx.db.task.findUnique({ ...query, where: { id: s.currentTaskId } }) : null,
    }),
    lastHeartbeat: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.lastHeartbeat }),
    capabilities: t.exposeStringList('capabilities', {
      description: 'What the agent can do: metadata.capabilities, or every task type.',
    }),
  }),
});

const HourMetricsRef = builder.objectRef<HourMetrics>('SwarmHourMetrics').implement({
  description: 'The spec’s hourly counters (metrics:* in Redis, kept for 8 days).',
  fields: (t) => ({
    hour: t.field({ type: 'DateTime', description: 'The start of the hour (UTC).', resolve: (m) => m.hour }),
    tasksCompleted: t.exposeInt('tasksCompleted'),
    contentGenerated: t.exposeInt('contentGenerated'),
    errors: t.exposeInt('errors', { description: 'Failed stage jobs (of the agent asked about, or of all).' }),
  }),
});

builder.objectField(Agent, 'state', (t) =>
  t.field({
    type: AgentStateRef,
    nullable: true,
    description: 'What the agent is doing right now; null when no worker has run a task for it in the last week.',
    resolve: (agent, _a, ctx) => ctx.services.activity.state(agent.id),
  }),
);

builder.queryField('swarmMetrics', (t) =>
  t.field({
    type: [HourMetricsRef],
    description: 'Tasks completed, content generated and errors per hour, oldest first.',
    args: {
      hours: t.arg.int({ defaultValue: 24, description: '1 to 192 (8 days).' }),
      agentId: t.arg.globalID({ description: 'Count only this agent’s errors.' }),
    },
    resolve: (_r, { hours, agentId }, ctx) => {
      const n = hours ?? 24;
      if (!Number.isInteger(n) || n < 1 || n > 192) {
        throw new ValidationError('hours must be between 1 and 192.', [{ path: ['hours'], message: 'out of range' }]);
      }
      return ctx.services.activity.metrics(n, optionalIdOf(agentId, 'Agent'));
    },
  }),
);

builder.subscriptionField('agentStateChanged', (t) =>
  t.field({
    type: AgentStateRef,
    nullable: true,
    description: 'The agent’s state each time it changes and at every heartbeat while it works.',
    args: { agentId: t.arg.globalID({ required: true }) },
    subscribe: (_r, { agentId }, ctx) => ctx.pubsub.subscribe(agentStateTopic(idOf(agentId, 'Agent'))),
    resolve: (payload: { id: string }, _a, ctx) => ctx.services.activity.state(payload.id),
  }),
);
