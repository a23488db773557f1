// The swarm's stages in-process beside a test app: the same database, Redis prefix, pub/sub, agent state and
// limits, the offline language model unless a test brings its own, and a fast relay.
import type { CompletionRequest, LanguageModel } from '../../src/platform/llm/llm.js';
import { createOfflineLanguageModel } from '../../src/platform/llm/offline-composer.js';
import { type SwarmOptions, startSwarm } from '../../src/swarm/engine.js';
import type { TestApp } from './app.js';

export function startTestSwarm(t: TestApp, opts: Partial<SwarmOptions> = {}) {
  return startSwarm({
    db: t.app.db,
    llm: createOfflineLanguageModel(),
    publish: (topic, payload) => t.app.pubsub.publish(topic, payload),
    redisUrl: t.app.config.redisUrl,
    keyPrefix: t.app.config.redisKeyPrefix,
    logger: t.app.logger,
    activity: t.app.services.activity,
    memory: t.app.services.memory,
    moderator: t.app.services.moderator,
    embedder: t.app.services.embedder,
    limits: t.app.config.swarm.limits,
    relayIntervalMs: 50,
    // Tests run the reconciler by hand (swarm.reconcile()): fixture rows must not turn into jobs behind their back.
    reconcileIntervalMs: 0,
    heartbeatMs: t.app.config.swarm.heartbeatMs,
    redis: t.app.redis,
    trends: t.app.config.trends,
    platformQuotas: t.app.config.platforms.quotas,
    transfers: t.app.chain ? t.app.services.transfers : undefined,
    settlement: t.app.chain
      ? {
          db: t.app.db,
          chain: t.app.chain,
          kek: t.app.kek,
          confirmations: t.app.config.chain.confirmations,
          pollIntervalMs: t.app.config.chain.pollIntervalMs,
          publish: (topic, payload) => t.app.pubsub.publish(topic, payload),
        }
      : undefined,
    ...opts,
  });
}

/**
 * The offline model, except that writing (complete) waits while the gate is closed: tests hold tasks IN_PROGRESS
 * for as long as they need. Starts open; `close()` shuts it, `open()` lets every waiting and later call through.
 */
export function gatedLanguageModel() {
  const offline = createOfflineLanguageModel();
  let gate: Promise<void> = Promise.resolve();
  let release: () => void = () => undefined;
  const llm: LanguageModel = {
    ...offline,
    plan: (r) => offline.plan(r),
    critique: (r) => offline.critique(r),
    complete: async (r) => {
      await gate;
      return offline.complete(r);
    },
  };
  return {
    llm,
    close() {
      gate = new Promise((r) => (release = r));
    },
    open: () => release(),
  };
}

/** The offline model, recording every completion request (what the Worker asked, with what context). */
export function recordingLanguageModel() {
  const offline = createOfflineLanguageModel();
  const requests: CompletionRequest[] = [];
  const llm: LanguageModel = {
    ...offline,
    plan: (r) => offline.plan(r),
    critique: (r) => offline.critique(r),
    complete: (r) => {
      requests.push(r);
      return offline.complete(r);
    },
  };
  return { llm, requests };
}
