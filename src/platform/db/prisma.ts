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
  if (!opts.onQuery) return new PrismaClient({ adapter });
  const onQuery = opts.onQuery;
  const client = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
  client.$on('query', (e) => onQuery(e.query));
  return client;
}
