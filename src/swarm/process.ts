// Runs swarm stages in a process of their own (workers/*.ts) or beside the API (npm run up): the wiring only.
import { writeSync } from 'node:fs';
import { type Config, walletSettingsOf } from '../config.js';
import { createMemoryService } from '../domain/memory/memory.service.js';
import { moderatorWithKnownContent } from '../domain/moderation/moderator.js';
import { createRateLimiter } from '../domain/security/rate-limit.js';
import { createSwarmActivity } from '../domain/swarm/activity.js';
import { createExternalCallBudget } from '../domain/swarm/external-calls.js';
import type { SettlementFault } from '../domain/wallets/settlement.js';
import { createTransferService } from '../domain/wallets/transfers.service.js';
import { createWalletService } from '../domain/wallets/wallets.service.js';
import { chainFrom } from '../platform/chain/evm.js';
import { createKek } from '../platform/crypto/envelope.js';
import { createDatabase } from '../platform/db/prisma.js';
import { createLanguageModel } from '../platform/llm/create-llm.js';
import { createLogger, type Logger } from '../platform/log/logger.js';
import { createMcpHub } from '../platform/mcp/hub.js';
import { createExternalModeration } from '../platform/moderation/create-moderation.js';
import { createRedisPublisher } from '../platform/pubsub/redis-publisher.js';
import { createRedis } from '../platform/redis/redis.js';
import { createSemanticStores } from '../platform/vector/lazy.js';
import { type SwarmStage, startSwarm } from './engine.js';
import { createWorkerObservability, type WorkerObservabilityOptions } from './observability.js';

/** `observability`: beside the API, count into its registry and leave the monitoring to it. */
export function runStages(
  config: Config,
  stages: readonly SwarmStage[],
  observability: Pick<WorkerObservabilityOptions, 'metrics' | 'monitor'> = {},
) {
  const logger = createLogger(config.logLevel, { version: config.version });
  const db = createDatabase({ url: config.databaseUrl, poolSize: config.databasePoolSize });
  const llm = createLanguageModel(config.llm);
  const redis = createRedis(config.redisUrl, config.redisKeyPrefix);
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection error'));
  const publish = createRedisPublisher(redis, config.redisKeyPrefix, (err) => logger.warn({ err }, 'publish failed'));
  const activity = createSwarmActivity({
    db,
    redis,
    publish,
    heartbeatMs: config.swarm.heartbeatMs,
    onError: (err) => logger.warn({ err }, 'agent state update failed'),
  });
  const { embedder, vectors } = createSemanticStores(config.memory);
  const memory = createMemoryService({ embedder, store: vectors, redis });
  const mcp = createMcpHub({
    servers: config.mcp.servers,
    timeoutMs: config.mcp.timeoutMs,
    onServerLog: (server, line) => logger.debug({ server }, line),
  });
  const chain = chainFrom(config.chain);
  const kek = createKek(config.wallets.keys, config.encryptionKey, config.previousEncryptionKeys);
  const walletDeps = { db, chain, kek, settings: walletSettingsOf(config), publish };
  const transfers = chain
    ? createTransferService({
        ...walletDeps,
        wallets: createWalletService(walletDeps),
        stepUpWindowSeconds: config.auth.stepUpWindowSeconds,
      })
    : undefined;
  const watch = createWorkerObservability(config, {
    db,
    logger,
    publish,
    role: stages.length === 1 ? `worker:${stages[0]}` : 'workers',
    ...observability,
  });
  const swarm = startSwarm({
    metrics: watch.metrics,
    tracing: watch.tracing,
    transfers,
    settlement: chain
      ? {
          db,
          chain,
          kek,
          confirmations: config.chain.confirmations,
          pollIntervalMs: config.chain.pollIntervalMs,
          publish,
          fault: faultInjector(config.faults),
        }
      : undefined,
    db,
    llm,
    publish,
    activity,
    memory,
    moderator: moderatorWithKnownContent({
      embedder,
      memory,
      external: createExternalModeration(config.moderation),
    }),
    embedder,
    vectors,
    maintenance: {
      optimizeVectorsEveryMs: config.memory.vectorStore.optimizeEveryMs,
      fetchTrendsEveryMs: config.trends.fetchEveryMs,
      applyRetentionEveryMs: config.retention.everyMs,
    },
    retention: config.retention.periods,
    mcp,
    redis,
    trends: config.trends,
    platformQuotas: config.platforms.quotas,
    externalCalls: createExternalCallBudget({
      limiter: createRateLimiter({ redis, settings: config.rateLimits }),
      limits: config.swarm.externalCalls,
    }),
    limits: config.swarm.limits,
    redisUrl: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    logger,
    stages,
    concurrency: config.swarm.concurrency,
    retry: config.swarm.retry,
    lockMs: config.swarm.jobLockMs,
    reconcileIntervalMs: config.swarm.reconcileIntervalMs,
    heartbeatMs: config.swarm.heartbeatMs,
    shutdownGraceMs: config.shutdownGraceMs,
  });
  logger.info({ stages, llm: { provider: llm.provider, model: llm.model } }, 'swarm stages running');
  const watching = watch
    .start(swarm)
    .catch((err: unknown) => logger.warn({ err }, 'worker observability did not start'));
  return {
    swarm,
    logger,
    observability: watch,
    /** Resolves once /metrics listens (when configured) and the monitor runs. */
    watching,
    async close() {
      await watching;
      await swarm.close();
      await watch.close();
      await Promise.allSettled([db.$disconnect(), redis.quit(), vectors.close(), mcp.close()]);
    },
  };
}

/** Kills this process at an armed fault point (CHIMERA_FAULTS; config refuses it in production): the crash tests. */
function faultInjector(armed: readonly string[]) {
  if (armed.length === 0) return undefined;
  return (point: SettlementFault) => {
    if (!armed.includes(point)) return;
    // Written synchronously: the logger would not flush before the kill.
    writeSync(2, `fault injection: killing this process at ${point}\n`);
    process.kill(process.pid, 'SIGKILL');
  };
}

/** For workers/*.ts: run the stages until SIGINT/SIGTERM. */
export function runStagesUntilSignalled(config: Config | Promise<Config>, stages: readonly SwarmStage[]): void {
  Promise.resolve(config).then(
    (loaded) => {
      const running = runStages(loaded, stages);
      onShutdownSignal(running.logger, () => running.close());
    },
    (err: unknown) => {
      // A configuration error is one clear message (it names the variable, never a secret's value).
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

/**
 * SIGTERM/SIGINT: drain (`stop`), then exit 0. A second signal while draining (a second or more after the first)
 * exits at once (1), as an operator who presses Ctrl-C twice expects.
 */
export function onShutdownSignal(logger: Logger, stop: () => Promise<void>): void {
  let stoppingSince = 0;
  const handle = (signal: NodeJS.Signals) => {
    if (stoppingSince) {
      // The same signal often comes twice at once (the terminal's process group, and npm/tsx relaying it): only a
      // second one a moment later is a person asking to stop now.
      if (Date.now() - stoppingSince < 1_000) return;
      logger.warn({ signal }, 'second signal: exiting without draining');
      process.exit(1);
    }
    stoppingSince = Date.now();
    logger.info({ signal }, 'draining, then shutting down');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}
