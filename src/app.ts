// The composition root: builds the adapters, the core services and the API from one Config.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPubSub } from 'graphql-yoga';
import { type Config, walletSettingsOf } from './config.js';
import { createCacheInvalidator } from './domain/cache/invalidation.js';
import { createServices } from './domain/services.js';
import type { Topics } from './graphql/context.js';
import { createApiObservability, type ObservabilityOverrides } from './observability.js';
import { createResponseStore } from './platform/cache/response-store.js';
import { chainFrom } from './platform/chain/evm.js';
import { createKek } from './platform/crypto/envelope.js';
import { createPasswordHasher } from './platform/crypto/password.js';
import { createSecretBox } from './platform/crypto/secret-box.js';
import { startChangeFeed } from './platform/db/change-feed.js';
import { createDatabase } from './platform/db/prisma.js';
import { createEdgePurger } from './platform/edge/purge.js';
import { createLogger, type Logger } from './platform/log/logger.js';
import { createExternalModeration } from './platform/moderation/create-moderation.js';
import { createRedisEventTarget } from './platform/pubsub/redis-event-target.js';
import { createRedis } from './platform/redis/redis.js';
import { createSemanticStores } from './platform/vector/lazy.js';
import { attachGraphQLWs, type GraphQLWsServer } from './platform/ws/graphql-ws.js';
import { authenticateRequest, createGraphQLServer, credentialOf } from './server.js';

export interface AppOptions {
  logger?: Logger;
  /** Observe every SQL statement (tests count them). */
  onQuery?: (sql: string) => void;
  /** The system monitor's samplers and clock, replaced (tests). */
  observability?: ObservabilityOverrides;
}

export function createApp(config: Config, options: AppOptions = {}) {
  const logger = options.logger ?? createLogger(config.logLevel, { version: config.version });
  const db = createDatabase({ url: config.databaseUrl, poolSize: config.databasePoolSize, onQuery: options.onQuery });
  const redis = createRedis(config.redisUrl, config.redisKeyPrefix);
  let lastRedisError = '';
  redis.on('error', (err: Error) => {
    // ioredis reconnects by itself; log each distinct failure once instead of once per retry.
    if (err.message !== lastRedisError) logger.warn({ err: err.message }, 'redis connection error');
    lastRedisError = err.message;
  });
  redis.on('ready', () => {
    lastRedisError = '';
  });
  // Pub/sub needs a connection of its own: a subscribed ioredis connection can do nothing else.
  const subscriber = createRedis(config.redisUrl, config.redisKeyPrefix);
  subscriber.on('error', () => undefined);
  const pubsub = createPubSub<Topics>({
    eventTarget: createRedisEventTarget({
      publisher: redis,
      subscriber,
      channelPrefix: config.redisKeyPrefix,
      onError: (err, command) => logger.warn({ err, command }, 'redis pub/sub command failed'),
    }),
  });
  if (config.encryptionKeyIsDevelopmentDefault) {
    logger.warn('ENCRYPTION_KEY is not set: using the built-in development key (never do this in production)');
  }
  // Semantic memory: the embedder loads its model on first use, the vector store opens on first use.
  const { embedder, vectors } = createSemanticStores(config.memory);
  // The chain agents' wallets live on (null when none is configured) and the key that seals their keys.
  const chain = chainFrom(config.chain);
  const kek = createKek(config.wallets.keys, config.encryptionKey, config.previousEncryptionKeys);
  const services = createServices({
    embedder,
    vectors,
    externalModeration: createExternalModeration(config.moderation),
    platformQuotas: config.platforms.quotas,
    db,
    redis,
    box: createSecretBox(config.encryptionKey, config.previousEncryptionKeys),
    hasher: createPasswordHasher(config.auth.passwordHashMemoryKib),
    auth: config.auth,
    rateLimits: config.rateLimits,
    swarmLimits: config.swarm.limits,
    heartbeatMs: config.swarm.heartbeatMs,
    publish: (topic, payload) => pubsub.publish(topic, payload),
    chain,
    kek,
    wallets: walletSettingsOf(config),
    alertWebhookUrl: config.alertWebhookUrl,
    onWebhookError: (err) => logger.warn({ err }, 'on-call webhook failed'),
  });
  // Metrics, traces and the system monitor (src/observability.ts).
  const observability = createApiObservability(config, { db, alerts: services.alerts, logger }, options.observability);
  observability.start();
  // Caching: the response cache in Redis and the edge, both emptied of what writes change (any writer: the change
  // feed hears every committed write to a served table).
  const responseStore = createResponseStore(redis);
  const purger = createEdgePurger({ ...config.cache.edge, repurgeMs: config.cache.repurgeMs }, (err) =>
    logger.warn({ err }, 'edge purge failed'),
  );
  const invalidator = createCacheInvalidator({
    store: responseStore,
    purger,
    onError: (err, what) => logger.warn({ err }, `could not ${what}`),
  });
  const changeFeed =
    config.cache.enabled || purger
      ? startChangeFeed({
          databaseUrl: config.databaseUrl,
          onChanges: async (changes) => {
            await invalidator.apply(changes);
          },
          onReconnect: () => invalidator.reset(),
          onError: (err) => logger.warn({ err }, 'change feed error'),
        })
      : null;
  const yoga = createGraphQLServer({
    config,
    db,
    redis,
    services,
    logger,
    pubsub,
    cache: { store: responseStore, afterWrite: () => changeFeed?.barrier() ?? Promise.resolve() },
    draining: () => draining,
    observability: observability.server,
  });
  let server: Server | undefined;
  let subscriptions: GraphQLWsServer | undefined;
  let draining = false;
  const inFlight = new Set<ServerResponse>();
  const whenIdle: (() => void)[] = [];

  return {
    config,
    logger,
    db,
    redis,
    services,
    /** The vector store behind semantic memory (opened on first use). */
    vectors,
    chain,
    kek,
    pubsub,
    yoga,
    /** The change feed behind cache invalidation (null when neither the cache nor an edge is configured). */
    changeFeed,
    responseStore,
    /** Metrics, traces and the system monitor. */
    observability,
    /**
     * Starts listening on config.host:config.port (port 0 picks a free one) and returns the base URL. GraphQL is
     * served at /graphql over HTTP (subscriptions as SSE) and over WebSocket (graphql-ws).
     */
    async listen(): Promise<string> {
      server = createServer(yoga);
      // In-flight requests, for a drain on shutdown. Streams (SSE subscriptions) are not waited for: they never end
      // by themselves, and their clients reconnect to another instance.
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        // While draining, every response ends its connection, so keep-alive clients move to another instance.
        if (draining) res.shouldKeepAlive = false;
        if (String(req.headers.accept ?? '').includes('text/event-stream')) return;
        inFlight.add(res);
        res.once('close', () => {
          inFlight.delete(res);
          if (inFlight.size === 0) for (const idle of whenIdle.splice(0)) idle();
        });
      });
      subscriptions = attachGraphQLWs(server, {
        path: yoga.graphqlEndpoint,
        getEnveloped: yoga.getEnveloped,
        // The HTTP rules: an invalid credential is refused (and audited), none at all is anonymous.
        authenticate: async (headers, meta) => {
          const principal = await authenticateRequest(services, credentialOf(headers), meta);
          return { expiresAt: principal?.session?.expiresAt ?? null };
        },
        logger,
      });
      await new Promise<void>((resolve, reject) => {
        server?.once('error', reject);
        server?.listen(config.port, config.host, resolve);
      });
      const { port } = server.address() as AddressInfo;
      return `http://${config.host}:${port}`;
    },
    /** True once close() began (/ready answers 503). */
    get draining() {
      return draining;
    },
    /**
     * Graceful shutdown: /ready turns 503, no new connections are accepted, requests in flight finish (up to
     * SHUTDOWN_GRACE_MS; `graceMs` overrides it), then subscriptions end and the connections close.
     */
    async close(graceMs = config.shutdownGraceMs): Promise<void> {
      draining = true;
      if (server) {
        const s = server;
        const closed = new Promise<void>((resolve) => s.close(() => resolve()));
        s.closeIdleConnections();
        // Connections that finish their last request during the drain are closed as they go idle.
        const sweep = setInterval(() => s.closeIdleConnections(), 100);
        let grace: NodeJS.Timeout | undefined;
        const idle = inFlight.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => whenIdle.push(resolve));
        await Promise.race([idle, new Promise((resolve) => (grace = setTimeout(resolve, graceMs)))]);
        clearTimeout(grace);
        clearInterval(sweep);
        if (inFlight.size > 0) logger.warn({ inFlight: inFlight.size }, 'shutdown grace over: cutting requests off');
        await subscriptions?.close();
        s.closeAllConnections();
        await closed;
      }
      // quit() waits for a connection that may never come; disconnect() when Redis is unreachable.
      const closeRedis = (r: typeof redis) => (r.status === 'ready' ? r.quit() : r.disconnect());
      await changeFeed?.stop();
      await observability.close();
      await Promise.allSettled([db.$disconnect(), closeRedis(redis), closeRedis(subscriber), vectors.close()]);
    },
  };
}

export type App = ReturnType<typeof createApp>;
