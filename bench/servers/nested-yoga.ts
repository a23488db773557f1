// Bare graphql-yoga + Prisma on the nested read's schema and resolvers (nested-schema.ts).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga } from 'graphql-yoga';
import { createDatabase } from '../../src/platform/db/prisma.js';
import { nestedResolvers, nestedTypeDefs } from './nested-schema.js';

const db = createDatabase({ url: process.env.DATABASE_URL as string, poolSize: 10 });
const yoga = createYoga({
  logging: false,
  schema: createSchema({ typeDefs: nestedTypeDefs, resolvers: nestedResolvers(db) }),
});
const server = createServer(yoga);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: `http://127.0.0.1:${port}/graphql` })}\n`);
});
process.on('SIGTERM', () => server.close(() => void db.$disconnect().then(() => process.exit(0))));
