// Apollo Server (its standalone node:http server) on the same schema and resolvers as the bare yoga peer.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createDatabase } from '../../src/platform/db/prisma.js';
import { nestedResolvers, nestedTypeDefs } from './nested-schema.js';

const db = createDatabase({ url: process.env.DATABASE_URL as string, poolSize: 10 });
const server = new ApolloServer({ typeDefs: nestedTypeDefs, resolvers: nestedResolvers(db) });
const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
process.stdout.write(`${JSON.stringify({ event: 'listening', url: `${url.replace(/\/$/, '')}/graphql` })}\n`);
process.on('SIGTERM', () => void server.stop().then(() => db.$disconnect().then(() => process.exit(0))));
