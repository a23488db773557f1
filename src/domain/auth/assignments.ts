// Assignment of agents and personas to a scoped principal (agent_operator, api_user). Whoever creates an agent or a
// persona while limited to assigned ones is assigned the new object, in the same transaction: otherwise an operator
// with agent:write could create agents it could never see again.
import { Prisma } from '../../generated/prisma/client.js';
import type { Tx } from '../audit/audit.service.js';

export interface Assignee {
  kind: 'user' | 'api_key';
  id: string;
}

export async function assignTo(tx: Tx, assignee: Assignee, what: { agentId?: string; personaId?: string }) {
  const table = Prisma.raw(assignee.kind === 'user' ? 'users' : 'api_keys');
  for (const [key, id] of [
    ['agentIds', what.agentId],
    ['personaIds', what.personaId],
  ] as const) {
    if (!id) continue;
    await tx.$executeRaw`
      UPDATE ${table}
         SET attributes = jsonb_set(attributes, ${`{${key}}`}::text[],
                                    COALESCE(attributes -> ${key}, '[]'::jsonb) || to_jsonb(${id}::text))
       WHERE id = ${assignee.id}::uuid`;
  }
}
