// Builds the HTTP face: graphql-yoga with the schema, error masking, request ids, /health and /ready.
// No business logic here.
import { randomUUID } from 'node:crypto';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { GraphQLError } from 'graphql';
import { createYoga, type GraphiQLOptions, type Plugin, useReadinessCheck } from 'graphql-yoga';
import type { Config } from './config.js';
import type { Services } from './domain/services.js';
import type { Context } from './graphql/context.js';
import { toClientError } from './graphql/errors.js';
import { schema } from './graphql/schema.js';
import type { Database } from './platform/db/prisma.js';
import type { Logger } from './platform/log/logger.js';
import type { Redis } from './platform/redis/redis.js';

export interface ServerDeps {
  config: Config;
  db: Database;
  redis: Redis;
  services: Services;
  logger: Logger;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const requestIds = new WeakMap<Request, string>();

function requestIdOf(request: Request): string {
  let id = requestIds.get(request);
  if (!id) {
    const given = request.headers.get('x-request-id');
    id = given && REQUEST_ID.test(given) ? given : randomUUID();
    requestIds.set(request, id);
  }
  return id;
}

/** Echoes the request id (given or generated) on every response, so a client can quote it. */
const requestIdPlugin: Plugin = {
  onResponse({ request, response }) {
    response.headers.set('x-request-id', requestIdOf(request));
  },
};

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Checks every dependency the API needs to serve; used by /ready. */
export async function checkDependencies(deps: Pick<ServerDeps, 'db' | 'redis' | 'config'>) {
  const ms = deps.config.readyTimeoutMs;
  const probe = async (what: string, run: () => Promise<unknown>) => {
    try {
      await withTimeout(run(), ms, what);
      return 'ok';
    } catch (err) {
      return `unavailable: ${err instanceof Error ? err.message : String(err)}`;
    }
  };
  const [postgres, redis] = await Promise.all([
    probe('PostgreSQL', () => deps.db.$queryRaw`SELECT 1`),
    probe('Redis', () => deps.redis.ping()),
  ]);
  return { postgres, redis, ready: postgres === 'ok' && redis === 'ok' };
}

const EXAMPLE_QUERY = `# Welcome to Chimera. Try:
query Agents {
  agents(first: 5) {
    totalCount
    edges { node { id name active persona { name voiceTone { descriptors } } } }
  }
}
`;

/**
 * GraphiQL with its JavaScript and CSS inlined (yoga's default page loads them from a CDN, which an offline machine
 * cannot reach). The page is ~9 MB, so it is rendered once per set of options.
 */
const graphiqlPages = new Map<string, string>();
function renderOfflineGraphiQL(options?: GraphiQLOptions): string {
  const key = JSON.stringify(options ?? {});
  let page = graphiqlPages.get(key);
  if (!page) {
    page = renderGraphiQL(options);
    graphiqlPages.set(key, page);
  }
  return page;
}

export function createGraphQLServer(deps: ServerDeps) {
  const { config, logger } = deps;
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: config.graphiql ? { title: 'Chimera', defaultQuery: EXAMPLE_QUERY } : false,
    renderGraphiQL: renderOfflineGraphiQL,
    logging: {
      debug: (...args) => logger.debug({ args }, 'yoga'),
      info: (...args) => logger.info({ args }, 'yoga'),
      warn: (...args) => logger.warn({ args }, 'yoga'),
      error: (...args) => logger.error({ args }, 'yoga'),
    },
    context: ({ request }): Context => {
      const requestId = requestIdOf(request);
      return {
        db: deps.db,
        services: deps.services,
        requestId,
        logger: logger.child({ requestId }),
        actor: { kind: 'anonymous', requestId },
      };
    },
    maskedErrors: {
      maskError(error, message) {
        const graphqlError = error instanceof GraphQLError ? error : null;
        const cause = graphqlError ? graphqlError.originalError : error;
        // Request errors (parse, validation, variable coercion) come from graphql-js itself, carry no path, and are
        // safe to show; yoga codes parse and validation errors, so what is left uncoded is bad variables.
        if (graphqlError && !graphqlError.path && (!cause || cause instanceof GraphQLError)) {
          if (graphqlError.extensions.code) return graphqlError;
          return new GraphQLError(graphqlError.message, {
            nodes: graphqlError.nodes,
            extensions: { ...graphqlError.extensions, code: 'BAD_USER_INPUT' },
          });
        }
        const known = toClientError(cause);
        if (known) {
          return new GraphQLError(known.message, {
            nodes: graphqlError?.nodes,
            path: graphqlError?.path,
            extensions: known.extensions,
          });
        }
        logger.error({ err: cause, path: graphqlError?.path }, 'unexpected error');
        return new GraphQLError(message, {
          nodes: graphqlError?.nodes,
          path: graphqlError?.path,
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        });
      },
    },
    plugins: [
      requestIdPlugin,
      useReadinessCheck({
        endpoint: '/ready',
        check: async () => {
          const status = await checkDependencies(deps);
          return Response.json(status, { status: status.ready ? 200 : 503 });
        },
      }),
    ],
  });
}

export type GraphQLServer = ReturnType<typeof createGraphQLServer>;
