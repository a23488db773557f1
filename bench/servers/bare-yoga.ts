// The peer baseline: a bare graphql-yoga server with Prisma answering the same query the same way (the same rows,
// the same columns), and nothing else — no auth, no permission rules, no limits, no cache.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { createSchema, createYoga } from 'graphql-yoga';
import { createDatabase } from '../../src/platform/db/prisma.js';

const db = createDatabase({ url: process.env.DATABASE_URL as string, poolSize: 10 });
const yoga = createYoga({
  logging: false,
  schema: createSchema({
    typeDefs: /* GraphQL */ `
      type PublicPost { id: ID! text: String! agentName: String! publishedAt: String likes: Int! }
      type Query { publicPosts(limit: Int = 20): [PublicPost!]! }
    `,
    resolvers: {
      Query: {
        publicPosts: async (_r: unknown, { limit }: { limit: number }) => {
          const rows = await db.content.findMany({
            where: { status: 'published', agent: { active: true } },
            orderBy: [{ publishedAt: { sort: 'desc', nulls: 'last' } }, { id: 'desc' }],
            take: limit,
            include: { agent: { select: { name: true } } },
          });
          return rows.map((r) => ({
            id: encodeGlobalID('Content', r.id),
            text: r.contentData,
            agentName: r.agent?.name ?? '',
            publishedAt: r.publishedAt?.toISOString() ?? null,
            likes: 0,
          }));
        },
      },
    },
  }),
});
const server = createServer(yoga);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: `http://127.0.0.1:${port}/graphql` })}\n`);
});
process.on('SIGTERM', () => server.close(() => void db.$disconnect().then(() => process.exit(0))));
