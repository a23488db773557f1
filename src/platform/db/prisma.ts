// PrismaClient over node-postgres (Prisma 7 driver adapter: no engine binary at run time).
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../generated/prisma/client.js';

export type Database = PrismaClient;

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  /** Called with every SQL statement sent (used by tests and diagnostics). */
  onQuery?: (sql: string) => void;
}

export function createDatabase(opts: DatabaseOptions): Database {
  const adapter = new PrismaPg({ connectionString: opts.url, max: opts.poolSize });
  // Prisma's 5 s default for interactive transactions is too tight for a loaded machine; ours are short but must
  // not fail because a CPU-bound neighbour (password hashing, key generation) held the event loop.
  const transactionOptions = { maxWait: 10_000, timeout: 15_000 };
  if (!opts.onQuery) return new PrismaClient({ adapter, transactionOptions });
  const onQuery = opts.onQuery;
  const client = new PrismaClient({ adapter, transactionOptions, log: [{ emit: 'event', level: 'query' }] });
  client.$on('query', (e) => onQuery(e.query));
  return client;
}
