// Starts the real API in-process against a database of its own and a Redis key prefix of its own, and gives
// tests a GraphQL client that goes through yoga's fetch handler (the same code path as HTTP).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, type AppOptions, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { AccessAttributes } from '../../src/domain/auth/principal.js';
import type { Role } from '../../src/domain/auth/roles.js';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from './db.js';

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export interface Identity {
  userId: string;
  email: string;
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  headers: Record<string, string>;
}

export interface TestApp {
  app: App;
  /**
   * A user with these roles, signed in through the real session service (amr pwd+otp, so super_admin's MFA policy
   * holds). `stepUp` also records a fresh step-up on the session.
   */
  signIn(
    roles: Role[],
    opts?: { attributes?: AccessAttributes; stepUp?: boolean; password?: string },
  ): Promise<Identity>;
  /** The default caller of gql/ok: a stepped-up super_admin. */
  admin(): Promise<Identity>;
  database: TestDatabase;
  /** Every SQL statement the API sent, in order (clear it with `statements.length = 0`). */
  statements: string[];
  /** Runs an operation as the admin, or with the given headers (`{}` for anonymous). */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T> & { status: number; headers: Headers }>;
  /** Like gql, but fails the test on any error and returns data. */
  ok<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<T>;
  close(): Promise<void>;
}

export async function startTestApp(
  env: Record<string, string> = {},
  options: Pick<AppOptions, 'observability' | 'logger'> = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const vectorDir = mkdtempSync(join(tmpdir(), 'chimera-vectors-'));
  const config = loadConfig({
    CHIMERA_ENV: 'test',
    CHIMERA_LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '4',
    REDIS_KEY_PREFIX: testRedisPrefix(),
    HOST: '127.0.0.1',
    PORT: '0',
    // Hashing strength is not under test here; keep sign-ups fast.
    PASSWORD_HASH_MEMORY_KIB: '1024',
    // Suites make many calls as one user; rate limiting has its own tests.
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_API_PER_MINUTE: '1000000',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
    CONCURRENT_REQUESTS_PER_USER: '10000',
    CONCURRENT_REQUESTS_PER_API_USER: '10000',
    CONCURRENT_REQUESTS_ANONYMOUS: '10000',
    RATE_LIMIT_GROUPS: JSON.stringify(
      Object.fromEntries(['all', 'agents', 'content'].map((g) => [g, { perMinute: 10_000_000, burst: 1_000_000 }])),
    ),
    // The response cache is tested on its own (test/http/response-cache.test.ts): elsewhere a fixture written
    // straight to the database must be read back at once, not after its change notification arrives.
    RESPONSE_CACHE: 'false',
    // Each test file's own vector store (LanceDB files), removed with the app.
    VECTOR_STORE_DIR: vectorDir,
    // The system monitor ticks only when a test asks (app.observability.monitor.tick()): no alert appears by itself.
    MONITOR_INTERVAL_MS: '0',
    ...env,
  });
  const statements: string[] = [];
  const app = createApp(config, { ...options, onQuery: (sql) => statements.push(sql) });

  let users = 0;
  const signIn: TestApp['signIn'] = async (roles, opts = {}) => {
    users += 1;
    const email = `${roles.join('-') || 'nobody'}-${users}@test.chimera`;
    const user = await app.services.users.create(
      { email, password: opts.password ?? 'correct horse battery staple', roles, attributes: opts.attributes ?? {} },
      null,
      {},
    );
    if (roles.includes('super_admin')) {
      await app.db.user.update({ where: { id: user.id }, data: { mfaEnabledAt: new Date() } });
    }
    const pair = await app.services.auth.startSession(user.id, { method: 'password', amr: ['pwd', 'otp'] }, {});
    if (opts.stepUp) await app.services.auth.markStepUp(pair.sessionId, 'otp');
    return {
      userId: user.id,
      email,
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      sessionId: pair.sessionId,
      headers: { authorization: `Bearer ${pair.accessToken}` },
    };
  };
  let adminIdentity: Promise<Identity> | undefined;
  const admin = () => {
    adminIdentity ??= signIn(['super_admin'], { stepUp: true });
    return adminIdentity;
  };

  const gql: TestApp['gql'] = async (query, variables, headers) => {
    const res = await app.yoga.fetch('http://chimera.test/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(headers ?? (await admin()).headers),
      },
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
    signIn,
    admin,
    async ok<T>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) {
      const res = await gql<T>(query, variables, headers);
      if (res.errors?.length || !res.data) {
        throw new Error(`GraphQL errors: ${JSON.stringify(res.errors, null, 2)}`);
      }
      return res.data;
    },
    async close() {
      await app.close();
      await database.drop();
      rmSync(vectorDir, { recursive: true, force: true });
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
