// Starts the real API in-process against a database of its own and a Redis key prefix of its own, and gives
// tests a GraphQL client that goes through yoga's fetch handler (the same code path as HTTP).
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from './db.js';

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export interface TestApp {
  app: App;
  database: TestDatabase;
  /** Every SQL statement the API sent, in order (clear it with `statements.length = 0`). */
  statements: string[];
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T> & { status: number; headers: Headers }>;
  /** Like gql, but fails the test on any error and returns data. */
  ok<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = loadConfig({
    CHIMERA_ENV: 'test',
    CHIMERA_LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '4',
    REDIS_KEY_PREFIX: testRedisPrefix(),
    HOST: '127.0.0.1',
    PORT: '0',
    ...env,
  });
  const statements: string[] = [];
  const app = createApp(config, { onQuery: (sql) => statements.push(sql) });

  const gql: TestApp['gql'] = async (query, variables, headers = {}) => {
    const res = await app.yoga.fetch('http://chimera.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as GraphQLResponse<never>;
    return { ...body, status: res.status, headers: res.headers };
  };

  return {
    app,
    database,
    statements,
    gql,
    async ok<T>(query: string, variables?: Record<string, unknown>) {
      const res = await gql<T>(query, variables);
      if (res.errors?.length || !res.data) {
        throw new Error(`GraphQL errors: ${JSON.stringify(res.errors, null, 2)}`);
      }
      return res.data;
    },
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

/** The codes of a response's errors, for compact assertions. */
export function codes(res: GraphQLResponse<unknown>): unknown[] {
  return (res.errors ?? []).map((e) => e.extensions?.code);
}

/** The field paths named by the first error's `extensions.issues` (validation failures). */
export function issuePaths(res: GraphQLResponse<unknown>): unknown[][] {
  const issues = res.errors?.[0]?.extensions?.issues;
  return Array.isArray(issues) ? issues.map((i: { path: unknown[] }) => i.path) : [];
}
