// The swarm's live state in Redis, as the spec lays it out:
//   agent:{id}:state   hash: status (idle | busy | error), current_task, last_heartbeat, capabilities, active_tasks
//   agent:{id}:tasks   sorted set: the tasks running for the agent, scored by their last heartbeat
//   metrics:tasks:completed:{hour}, metrics:content:generated:{hour}, metrics:errors:{agent_id}:{hour} counters
// Every process running tasks refreshes its tasks' heartbeats; a task whose process died stops being refreshed and
// drops out of the agent's running set after three missed beats, so a crash never leaves an agent "busy" forever.
// Redis is only the live view here: losing it loses nothing the database holds, and no write here can fail a task.
import type { Redis } from 'ioredis';
import type { Database } from '../../platform/db/prisma.js';
import { TASK_TYPES } from '../tasks/task.model.js';
import { agentStateTopic, type Publish, type SwarmActivity, type SwarmCounter } from './events.js';

export const AGENT_STATUSES = ['idle', 'busy', 'error'] as const;
export type AgentRunStatus = (typeof AGENT_STATUSES)[number];

export interface AgentState {
  agentId: string;
  status: AgentRunStatus;
  currentTaskId: string | null;
  activeTasks: number;
  lastHeartbeat: Date | null;
  capabilities: string[];
  lastError: string | null;
}

export interface HourMetrics {
  /** The start of the hour (UTC). */
  hour: Date;
  tasksCompleted: number;
  contentGenerated: number;
  errors: number;
}

/** Counters are kept this long (the spec gives no period; a week covers dashboards and incident reviews). */
export const METRICS_TTL_SECONDS = 8 * 24 * 3600;
/** Agent state of an agent nobody has worked for in this long is dropped. */
const STATE_TTL_SECONDS = 7 * 24 * 3600;
const CAPABILITIES_CACHE_MS = 60_000;

const stateKey = (agentId: string) => `agent:${agentId}:state`;
const tasksKey = (agentId: string) => `agent:${agentId}:tasks`;

/** The hour bucket of the spec's counters: UTC, YYYYMMDDHH. */
export function hourBucket(at: Date): string {
  return at.toISOString().slice(0, 13).replace(/[-T]/g, '');
}

const COUNTER_KEYS: Record<SwarmCounter, (hour: string, agentId: string | null) => string[]> = {
  tasks_completed: (hour) => [`metrics:tasks:completed:${hour}`],
  content_generated: (hour) => [`metrics:content:generated:${hour}`],
  // Per agent as the spec has it, and a total for the system-wide view.
  errors: (hour, agentId) => [`metrics:errors:all:${hour}`, ...(agentId ? [`metrics:errors:${agentId}:${hour}`] : [])],
};

export interface ActivityDeps {
  db: Database;
  redis: Redis;
  publish?: Publish;
  /** A heartbeat older than three of these means the task's process is gone. */
  heartbeatMs: number;
  onError?: (err: unknown) => void;
  now?: () => number;
}

export function createSwarmActivity({ db, redis, publish, heartbeatMs, onError, now = Date.now }: ActivityDeps) {
  /** The tasks this process runs, by agent. */
  const local = new Map<string, Set<string>>();
  const capabilities = new Map<string, { at: number; value: string[] }>();
  const staleBefore = () => now() - 3 * heartbeatMs;

  const fail = (err: unknown) => onError?.(err);

  async function capabilitiesOf(agentId: string): Promise<string[]> {
    const cached = capabilities.get(agentId);
    if (cached && now() - cached.at < CAPABILITIES_CACHE_MS) return cached.value;
    const agent = await db.agent.findUnique({ where: { id: agentId }, select: { metadata: true } });
    const declared = (agent?.metadata as { capabilities?: unknown } | null)?.capabilities;
    const value = Array.isArray(declared) && declared.every((c) => typeof c === 'string') ? declared : [...TASK_TYPES];
    capabilities.set(agentId, { at: now(), value });
    return value;
  }

  /** Recomputes the agent's hash from its running set, and tells subscribers. */
  async function refresh(agentId: string, fields: Record<string, string> = {}) {
    const at = now();
    const [, , latest, count] = (await redis
      .multi()
      .zremrangebyscore(tasksKey(agentId), '-inf', staleBefore())
      .expire(tasksKey(agentId), STATE_TTL_SECONDS)
      .zrevrange(tasksKey(agentId), 0, 0)
      .zcard(tasksKey(agentId))
      .exec()) as [unknown, unknown, [null, string[]], [null, number]];
    const active = count[1];
    const state: Record<string, string> = {
      active_tasks: String(active),
      current_task: latest[1][0] ?? '',
      last_heartbeat: String(at),
      capabilities: JSON.stringify(await capabilitiesOf(agentId)),
      ...(active > 0 ? { status: 'busy' } : {}),
      ...fields,
    };
    if (active === 0 && !fields.status) state.status = 'idle';
    await redis.multi().hset(stateKey(agentId), state).expire(stateKey(agentId), STATE_TTL_SECONDS).exec();
    publish?.(agentStateTopic(agentId), { id: agentId });
  }

  const activity: SwarmActivity = {
    started(task) {
      const set = local.get(task.agentId) ?? new Set<string>();
      local.set(task.agentId, set.add(task.id));
      redis
        .zadd(tasksKey(task.agentId), now(), task.id)
        .then(() => refresh(task.agentId, { status: 'busy' }))
        .catch(fail);
    },
    stopped(task, outcome) {
      const set = local.get(task.agentId);
      set?.delete(task.id);
      if (set?.size === 0) local.delete(task.agentId);
      redis
        .zrem(tasksKey(task.agentId), task.id)
        .then(() => refresh(task.agentId, outcome === 'failed' ? { status: 'error', last_error_task: task.id } : {}))
        .catch(fail);
    },
    count(counter, agentId) {
      const hour = hourBucket(new Date(now()));
      const multi = redis.multi();
      for (const key of COUNTER_KEYS[counter](hour, agentId)) multi.incr(key).expire(key, METRICS_TTL_SECONDS);
      multi.exec().catch(fail);
      if (counter === 'errors' && agentId) {
        redis
          .hset(stateKey(agentId), 'last_error_at', String(now()))
          .then(() => publish?.(agentStateTopic(agentId), { id: agentId }))
          .catch(fail);
      }
    },
  };

  return {
    ...activity,

    /** Refreshes the heartbeat of every task this process runs (call every heartbeatMs). */
    async heartbeat(): Promise<void> {
      const at = now();
      await Promise.all(
        [...local].map(async ([agentId, tasks]) => {
          const multi = redis.multi();
          for (const id of tasks) multi.zadd(tasksKey(agentId), at, id);
          await multi.exec();
          await refresh(agentId);
        }),
      ).catch(fail);
    },

    /** The agent's live state; null when no process has worked for it lately. */
    async state(agentId: string): Promise<AgentState | null> {
      const [[, hash], [, active]] = (await redis
        .multi()
        .hgetall(stateKey(agentId))
        .zcount(tasksKey(agentId), staleBefore(), '+inf')
        .exec()) as [[null, Record<string, string>], [null, number]];
      if (!hash || Object.keys(hash).length === 0) return null;
      const status = AGENT_STATUSES.includes(hash.status as AgentRunStatus) ? (hash.status as AgentRunStatus) : 'idle';
      const heartbeat = Number(hash.last_heartbeat);
      return {
        agentId,
        // A busy agent whose tasks all stopped beating is not busy: its process died.
        status: status === 'busy' && active === 0 ? 'idle' : status,
        currentTaskId: active > 0 && hash.current_task ? hash.current_task : null,
        activeTasks: active,
        lastHeartbeat: Number.isFinite(heartbeat) && heartbeat > 0 ? new Date(heartbeat) : null,
        capabilities: parseStrings(hash.capabilities),
        lastError: hash.last_error_task ?? null,
      };
    },

    /** The spec's hourly counters for the last `hours` hours, oldest first; errors of one agent when given. */
    async metrics(hours: number, agentId?: string | null): Promise<HourMetrics[]> {
      const start = Math.floor(now() / 3_600_000) - hours + 1;
      const buckets = Array.from({ length: hours }, (_, i) => new Date((start + i) * 3_600_000));
      const keys = buckets.flatMap((d) => {
        const h = hourBucket(d);
        return [
          `metrics:tasks:completed:${h}`,
          `metrics:content:generated:${h}`,
          agentId ? `metrics:errors:${agentId}:${h}` : `metrics:errors:all:${h}`,
        ];
      });
      const values = keys.length ? await redis.mget(keys) : [];
      return buckets.map((hour, i) => ({
        hour,
        tasksCompleted: Number(values[i * 3] ?? 0),
        contentGenerated: Number(values[i * 3 + 1] ?? 0),
        errors: Number(values[i * 3 + 2] ?? 0),
      }));
    },
  };
}

function parseStrings(json: string | undefined): string[] {
  try {
    const v: unknown = JSON.parse(json ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export type SwarmActivityRecorder = ReturnType<typeof createSwarmActivity>;
