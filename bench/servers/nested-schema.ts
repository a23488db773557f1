// The nested read's peers (bench/nested.ts): one schema and one set of hand-written Prisma resolvers, served by both
// bare graphql-yoga (nested-yoga.ts) and Apollo Server (nested-apollo.ts). The same shape, rows and columns Chimera
// answers `agents → persona → latest tasks → content` with; no auth, no permission rules, no limits, no cache.
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { Database } from '../../src/platform/db/prisma.js';

export const nestedTypeDefs = /* GraphQL */ `
  type Persona { id: ID! name: String! }
  type Content { id: ID! contentType: String! contentData: String! status: String! }
  type Task { id: ID! taskType: String! status: String! createdAt: String contents: [Content!]! }
  type TaskEdge { node: Task! }
  type TaskConnection { edges: [TaskEdge!]! }
  type Agent { id: ID! name: String! active: Boolean! persona: Persona tasks(first: Int = 5): TaskConnection! }
  type AgentEdge { node: Agent! }
  type AgentConnection { edges: [AgentEdge!]! }
  type Query { agents(first: Int = 20): AgentConnection! }
`;

/** Newest first, as Chimera lists agents and tasks. */
const NEWEST = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];

interface AgentRow {
  id: string;
  name: string;
  active: boolean | null;
  persona: { id: string; name: string } | null;
}

/** Resolvers over `db`: one query for the agents with their personas, one per agent for its tasks with content. */
export function nestedResolvers(db: Database) {
  return {
    Query: {
      agents: async (_root: unknown, args: { first?: number | null }) => {
        const rows = await db.agent.findMany({
          orderBy: NEWEST,
          take: args.first ?? 20,
          select: { id: true, name: true, active: true, persona: { select: { id: true, name: true } } },
        });
        return { edges: rows.map((node) => ({ node })) };
      },
    },
    Agent: {
      id: (a: AgentRow) => encodeGlobalID('Agent', a.id),
      active: (a: AgentRow) => a.active ?? true,
      persona: (a: AgentRow) =>
        a.persona ? { id: encodeGlobalID('Persona', a.persona.id), name: a.persona.name } : null,
      tasks: async (a: AgentRow, args: { first?: number | null }) => {
        const rows = await db.task.findMany({
          where: { agentId: a.id },
          orderBy: NEWEST,
          take: args.first ?? 5,
          select: {
            id: true,
            taskType: true,
            status: true,
            createdAt: true,
            contents: {
              orderBy: NEWEST,
              select: { id: true, contentType: true, contentData: true, status: true },
            },
          },
        });
        return {
          edges: rows.map((t) => ({
            node: {
              id: encodeGlobalID('Task', t.id),
              taskType: t.taskType.toUpperCase(),
              status: (t.status ?? 'pending').toUpperCase(),
              createdAt: t.createdAt?.toISOString() ?? null,
              contents: t.contents.map((c) => ({
                id: encodeGlobalID('Content', c.id),
                contentType: c.contentType.toUpperCase(),
                contentData: c.contentData,
                status: (c.status ?? 'draft').toUpperCase(),
              })),
            },
          })),
        };
      },
    },
  };
}
