// The task vocabulary and its state machine — the spec's CHECK constraints as code (a test keeps them in sync).

export const TASK_TYPES = ['generate_content', 'reply_comment', 'execute_transaction', 'fetch_trends'] as const;
export const TASK_PRIORITIES = ['high', 'medium', 'low'] as const;
export const TASK_STATUSES = ['pending', 'in_progress', 'review', 'complete', 'failed'] as const;

export type TaskType = (typeof TASK_TYPES)[number];
export type TaskPriority = (typeof TASK_PRIORITIES)[number];
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** pending → in_progress → review → complete | failed (spec). A task can fail from any live state. */
const TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  pending: ['in_progress', 'failed'],
  in_progress: ['review', 'complete', 'failed', 'pending'],
  review: ['complete', 'failed', 'in_progress'],
  complete: [],
  failed: [],
};

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isFinal(status: TaskStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** The stored status column is nullable in the spec's DDL; NULL reads as the column default. */
export function taskStatusOf(stored: string | null): TaskStatus {
  return (stored ?? 'pending') as TaskStatus;
}

/**
 * When the Planner scheduled a task to start (context.scheduled_for): the next free slot of the agent's posting
 * quota. Null when it starts as soon as the tasks it depends on are done (or the stored value is no date).
 */
export function scheduledForOf(context: unknown): Date | null {
  if (!context || typeof context !== 'object' || Array.isArray(context)) return null;
  const at = Date.parse(String((context as { scheduled_for?: unknown }).scheduled_for ?? ''));
  return Number.isNaN(at) ? null : new Date(at);
}
