// Builds the HTTP face: graphql-yoga with the schema, error masking, request ids, /health and /ready, and the
// routes beside GraphQL (POST /webhooks/{platform}, POST /mcp; src/http). No business logic here.
import { randomUUID } from 'node:crypto';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { createYoga, type GraphiQLOptions, type Plugin, type PubSub, useReadinessCheck } from 'graphql-yoga';
import type { Config } from './config.js';
import type { Principal } from './domain/auth/principal.js';
import type { RequestMeta } from './domain/security/security-audit.js';
import type { Services } from './domain/services.js';
import { createAccess } from './graphql/access.js';
import type { Context, Topics } from './graphql/context.js';
import { toClientError } from './graphql/errors.js';
import { permissionsFor } from './graphql/permissions.js';
import { loadSheddingPlugin, observabilityPlugin } from './graphql/plugins/observability.js';
import { queryLimitsPlugin } from './graphql/plugins/query-limits.js';
import { rateLimitsPlugin } from './graphql/plugins/rate-limits.js';
import { responseCachePlugin } from './graphql/plugins/response-cache.js';
import { loadTrustedDocuments, trustedDocumentsPlugin } from './graphql/plugins/trusted-documents.js';
import { executableSchema, schema as unguardedSchema } from './graphql/schema.js';
import { createMcpHandler, type GraphQLResult } from './http/mcp.js';
import { createWebhookHandler, WEBHOOK_PATH } from './http/webhooks.js';
import type { ResponseStore } from './platform/cache/response-store.js';
import type { Database } from './platform/db/prisma.js';
import type { Logger } from './platform/log/logger.js';
import type { Metrics } from './platform/metrics/registry.js';
import type { Redis } from './platform/redis/redis.js';
import type { Tracing } from './platform/tracing/tracing.js';
import { useSubscriptionDeadline } from './platform/ws/deadline.js';

export interface ServerDeps {
  config: Config;
  db: Database;
  redis: Redis;
  services: Services;
  logger: Logger;
  pubsub: PubSub<Topics>;
  /** The response cache's store, and what a write waits for so that its next read is fresh. */
  cache: { store: ResponseStore; afterWrite: () => Promise<void> };
  /** True once shutdown began: /ready answers 503 so a load balancer stops sending new requests. */
  draining?: () => boolean;
  /** Metrics, traces and the system monitor's hooks (docs/observability.md); absent: none of them. */
  observability?: {
    metrics: Metrics | null;
    metricsToken?: string | undefined;
    tracing: Tracing | null;
    onRequestSample?: (sample: { durationMs: number; error: boolean }) => void;
    /** The system monitor's response now: shed optional load (level 2), leave rotation (level 3). */
    escalation?: () => { level: number; shed: boolean; drain: boolean };
  };
}

/** The node http request behind a yoga request, when there is one (not for in-process yoga.fetch). */
interface ServerContext {
  req?: { socket?: { remoteAddress?: string } };
  /** Set for operations arriving over graphql-ws (src/platform/ws/graphql-ws.ts). */
  transport?: 'graphql-ws';
}

/**
 * Subscriptions are checked when they start, not only per event. graphql-middleware puts the rule tree on a field's
 * `resolve` when it has one, and a subscription field has both `subscribe` and `resolve`: unguarded, anyone could open
 * any stream and learn from each per-event refusal that an event happened. Without `resolve`, graphql-middleware
 * wraps `subscribe` instead: build that variant (applyMiddleware is synchronous and copies the schema), put the
 * resolvers back, and give the served schema's subscription fields the guarded `subscribe`. Events stay checked too.
 */
function guardSubscribe(guarded: GraphQLSchema, unguarded: GraphQLSchema): GraphQLSchema {
  const fields = Object.values(unguarded.getSubscriptionType()?.getFields() ?? {});
  const resolvers = fields.map((field) => [field, field.resolve] as const);
  let subscribeGuarded: ReturnType<NonNullable<ReturnType<GraphQLSchema['getSubscriptionType']>>['getFields']> = {};
  try {
    for (const field of fields) field.resolve = undefined;
    subscribeGuarded = applyMiddleware(unguarded, permissionsFor(unguarded)).getSubscriptionType()?.getFields() ?? {};
  } finally {
    for (const [field, resolve] of resolvers) field.resolve = resolve;
  }
  for (const [name, field] of Object.entries(guarded.getSubscriptionType()?.getFields() ?? {})) {
    const subscribe = subscribeGuarded[name]?.subscribe;
    if (!subscribe) throw new Error(`Subscription.${name} has no guarded subscribe`);
    field.subscribe = subscribe;
  }
  return guarded;
}
const servedSchema = guardSubscribe(executableSchema, unguardedSchema);

/** The bearer credential of a request: `Authorization: Bearer <token>`, or `X-API-Key: <key>`. */
export function credentialOf(headers: Headers): string | null {
  const authorization = headers.get('authorization');
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    return match?.[1] ?? '';
  }
  return headers.get('x-api-key');
}

/** Resolves the caller of a request; an invalid credential is a 401, never a silent downgrade to anonymous. */
export async function authenticateRequest(
  services: Services,
  credential: string | null,
  meta: RequestMeta,
): Promise<Principal | null> {
  if (credential === null) return null;
  try {
    return await services.auth.authenticate(credential, meta);
  } catch (err) {
    const known = toClientError(err);
    if (!known) throw err;
    // A dependency being down is not the caller's fault: keep its 503.
    if (known.extensions.code === 'SERVICE_UNAVAILABLE') throw known;
    throw new GraphQLError(known.message, { extensions: { ...known.extensions, http: { status: 401 } } });
  }
}

export function actorOf(principal: Principal | null, meta: RequestMeta): Context['actor'] {
  if (!principal) return { kind: 'anonymous', requestId: meta.requestId, ip: meta.ip ?? undefined };
  return {
    kind: principal.kind === 'user' ? 'user' : 'service',
    id: principal.id,
    requestId: meta.requestId,
    ip: meta.ip ?? undefined,
  };
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

/**
 * A subscription over HTTP (SSE, multipart) ends when the access token that opened it expires, after an
 * UNAUTHENTICATED result. Over graphql-ws the connection itself is closed 4401 at that moment instead.
 */
const subscriptionExpiryPlugin = useSubscriptionDeadline<Context & ServerContext>({
  deadlineOf: (ctx) => (ctx.transport === 'graphql-ws' ? null : ctx.principal?.session?.expiresAt),
  expired: () => ({
    errors: [
      new GraphQLError('The access token expired: refresh it, then subscribe again.', {
        extensions: { code: 'UNAUTHENTICATED' },
      }),
    ],
  }),
});

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
  const { services } = deps;
  /** Public keys for verifying Chimera's tokens (RFC 7517), for API gateways and other services. */
  const jwksPlugin: Plugin = {
    async onRequest({ url, endResponse }) {
      if (url.pathname === '/.well-known/jwks.json') {
        endResponse(
          Response.json(await services.signingKeys.jwks(), { headers: { 'cache-control': 'public, max-age=300' } }),
        );
      }
    },
  };
  const webhooks = createWebhookHandler({ db: deps.db, settings: config.webhooks, logger });
  const mcp = createMcpHandler({
    version: config.version,
    authenticated: async (headers) => {
      const credential = credentialOf(headers);
      if (!credential) return false;
      return services.auth.authenticate(credential, { requestId: randomUUID(), ip: null, userAgent: null }).then(
        () => true,
        () => false,
      );
    },
    // An MCP tool is a GraphQL operation of the caller's, through this same server.
    execute: async (query, variables, headers) => {
      const forwarded = new Headers({ 'content-type': 'application/json', accept: 'application/json' });
      for (const name of ['authorization', 'x-api-key', 'x-request-id', 'user-agent']) {
        const value = headers.get(name);
        if (value) forwarded.set(name, value);
      }
      const res = await yoga.fetch('http://chimera.internal/graphql', {
        method: 'POST',
        headers: forwarded,
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as GraphQLResult;
    },
  });
  const routesPlugin: Plugin = {
    async onRequest({ request, url, endResponse }) {
      const webhook = WEBHOOK_PATH.exec(url.pathname);
      if (webhook?.[1]) endResponse(await webhooks(request, webhook[1]));
      else if (url.pathname === '/mcp') endResponse(await mcp(request));
    },
  };
  const yoga = createYoga<ServerContext, Context>({
    schema: servedSchema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // Several operations in one request (a JSON array), up to the configured number.
    batching: { limit: config.queryLimits.batchLimit },
    graphiql: config.graphiql ? { title: 'Chimera', defaultQuery: EXAMPLE_QUERY } : false,
    renderGraphiQL: renderOfflineGraphiQL,
    logging: {
      debug: (...args) => logger.debug({ args }, 'yoga'),
      info: (...args) => logger.info({ args }, 'yoga'),
      warn: (...args) => logger.warn({ args }, 'yoga'),
      error: (...args) => logger.error({ args }, 'yoga'),
    },
    context: async ({ request, req }): Promise<Context> => {
      const requestId = requestIdOf(request);
      const meta: RequestMeta = {
        requestId,
        ip: req?.socket?.remoteAddress ?? null,
        userAgent: request.headers.get('user-agent'),
      };
      const principal = await authenticateRequest(services, credentialOf(request.headers), meta);
      return {
        db: deps.db,
        services,
        pubsub: deps.pubsub,
        principal,
        meta,
        requestId,
        logger: logger.child({ requestId }),
        actor: actorOf(principal, meta),
        access: createAccess(principal, deps.db),
        denials: new Set(),
        cacheTags: new Set(),
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
      observabilityPlugin({
        metrics: deps.observability?.metrics ?? null,
        metricsToken: deps.observability?.metricsToken,
        tracing: deps.observability?.tracing ?? null,
        requestIdOf,
        onRequestSample: deps.observability?.onRequestSample,
        onError: (err) => logger.warn({ err }, 'metrics collection failed'),
      }),
      requestIdPlugin,
      jwksPlugin,
      routesPlugin,
      trustedDocumentsPlugin({
        documents: loadTrustedDocuments(config.persisted.documentsFile),
        mode: config.persisted.mode,
      }),
      rateLimitsPlugin,
      queryLimitsPlugin(config.queryLimits),
      responseCachePlugin({
        store: deps.cache.store,
        enabled: config.cache.enabled,
        afterWrite: deps.cache.afterWrite,
        onError: (err) => logger.warn({ err }, 'response cache unavailable'),
        onLookup: (result) => deps.observability?.metrics?.cacheLookup(result),
      }),
      loadSheddingPlugin({
        shedding: () => deps.observability?.escalation?.().shed ?? false,
        metrics: deps.observability?.metrics ?? null,
      }),
      subscriptionExpiryPlugin,
      useReadinessCheck({
        endpoint: '/ready',
        check: async () => {
          if (deps.draining?.()) return Response.json({ ready: false, draining: true }, { status: 503 });
          const escalation = deps.observability?.escalation?.();
          if (escalation?.drain) {
            // Level 3: out of rotation until the alert resolves (the process keeps running).
            return Response.json({ ready: false, escalationLevel: escalation.level }, { status: 503 });
          }
          const status = await checkDependencies(deps);
          return Response.json(status, { status: status.ready ? 200 : 503 });
        },
      }),
    ],
  });
  return yoga;
}

export type GraphQLServer = ReturnType<typeof createGraphQLServer>;
