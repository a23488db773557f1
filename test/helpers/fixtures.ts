// Direct-to-database fixtures for read-side tests (rows the API has no mutation for yet: content, trends, …).
import type { Database } from '../../src/platform/db/prisma.js';

export const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');
export const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64').toString().split(':')[1] as string;

export async function makeAgent(db: Database, name = 'agent') {
  const persona = await db.persona.create({ data: { name: `${name}-persona` } });
  return db.agent.create({ data: { name, personaId: persona.id } });
}

export async function makeTask(db: Pick<Database, 'task'>, agentId: string, over: Record<string, unknown> = {}) {
  return db.task.create({
    data: {
      agentId,
      taskType: 'generate_content',
      priority: 'medium',
      context: { goal_description: 'g', persona_constraints: [], required_resources: [] },
      ...over,
    },
  });
}
