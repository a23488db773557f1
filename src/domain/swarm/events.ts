// What the swarm announces after a change commits: the task (by task and by agent) and new review items. Payloads
// carry ids only; subscribers load the object with their own permissions.
export type Publish = (topic: string, payload: { id: string }) => void;

export const taskTopic = (taskId: string) => `task:${taskId}`;
export const agentTasksTopic = (agentId: string) => `agent:${agentId}:tasks`;
export const REVIEW_ITEMS_TOPIC = 'review:items';

export interface SwarmDeps {
  /** Announces changes to subscribers on every API node; absent in processes that announce nothing. */
  publish?: Publish;
}

export function announceTask(deps: SwarmDeps, task: { id: string; agentId: string | null }): void {
  deps.publish?.(taskTopic(task.id), { id: task.id });
  if (task.agentId) deps.publish?.(agentTasksTopic(task.agentId), { id: task.id });
}
