// What the swarm announces after a change commits: the task (by task and by agent), new review items and agent
// state. Payloads carry ids only; subscribers load the object with their own permissions. Activity (which agent is
// busy with what, the hourly counters) goes to Redis through SwarmActivity; neither may ever fail the work.
import type { Redis } from 'ioredis';
import type { McpHub } from '../../platform/mcp/hub.js';
import type { MemoryService } from '../memory/memory.service.js';
import type { Moderator } from '../moderation/pipeline.js';
import type { PostingQuota } from '../publishing/publishing.service.js';
import type { SwarmLimits } from '../tasks/limits.js';
import type { ExternalCallBudget } from './external-calls.js';

export type Publish = (topic: string, payload: { id: string }) => void;

export const taskTopic = (taskId: string) => `task:${taskId}`;
export const agentTasksTopic = (agentId: string) => `agent:${agentId}:tasks`;
export const agentStateTopic = (agentId: string) => `agent:${agentId}:state`;
export const REVIEW_ITEMS_TOPIC = 'review:items';

/** The spec's per-hour counters: metrics:tasks:completed, metrics:content:generated, metrics:errors:{agent}. */
export type SwarmCounter = 'tasks_completed' | 'content_generated' | 'errors';

export interface SwarmActivity {
  /** A task started running here: its agent is busy with it. */
  started(task: { id: string; agentId: string }): void;
  /** The task left this process's hands: drafted (done) or failed. */
  stopped(task: { id: string; agentId: string }, outcome: 'done' | 'failed'): void;
  count(counter: SwarmCounter, agentId: string | null): void;
}

/** How a task was decided: by the Judge (completed, retried, escalated to a person, rejected) or dead-lettered. */
export type TaskOutcome = 'completed' | 'retried' | 'escalated' | 'rejected' | 'failed';

export interface SwarmDeps {
  /** Counts each task decision (the process's metrics); absent: not counted. */
  recordTaskOutcome?: (r: { taskType: string; outcome: TaskOutcome }) => void;
  /** Announces changes to subscribers on every API node; absent in processes that announce nothing. */
  publish?: Publish;
  /** Records agent state and the hourly counters; absent where nobody watches. */
  activity?: SwarmActivity;
  /** The spec's resource limits (SPEC_LIMITS when absent). */
  limits?: SwarmLimits;
  /** Agent memory (recall, notes, consolidation); absent: the stages work without memory. */
  memory?: MemoryService;
  /** The moderation pipeline; the Worker runs pre_generation with it (the Judge requires it). */
  moderator?: Moderator;
  /** Reports a failed side effect (memory, say) that did not stop the work. */
  onSideEffectError?: (err: unknown, what: string) => void;
  /** The MCP hub: resources a task requires, trend sources, platform tools. Absent: none are reached. */
  mcp?: Pick<McpHub, 'readResource' | 'callTool'>;
  /** Redis, for the trend cache. */
  redis?: Redis;
  /** Trend ingestion: the default sources and a trend's lifetime. */
  trends?: { sources: readonly string[]; ttlHours: number };
  /** Posting quotas per platform (per account). */
  quotas?: Readonly<Record<string, PostingQuota>>;
  /** The agents' external-call budget (LLM, MCP): each call takes one; absent, calls are not counted. */
  externalCalls?: ExternalCallBudget;
}

export function announceTask(deps: SwarmDeps, task: { id: string; agentId: string | null }): void {
  deps.publish?.(taskTopic(task.id), { id: task.id });
  if (task.agentId) deps.publish?.(agentTasksTopic(task.agentId), { id: task.id });
}
