// The core's services, wired with their dependencies. Both faces (the API, the swarm) receive this object.
import type { Redis } from 'ioredis';
import type { EvmChain } from '../platform/chain/evm.js';
import type { KeyEncryptionKey } from '../platform/crypto/envelope.js';
import type { PasswordHasher } from '../platform/crypto/password.js';
import type { SecretBox } from '../platform/crypto/secret-box.js';
import type { Database } from '../platform/db/prisma.js';
import type { Embedder } from '../platform/embeddings/embeddings.js';
import type { ExternalModeration } from '../platform/moderation/moderation.js';
import type { VectorStore } from '../platform/vector/vector-store.js';
import { createAgentService } from './agents/agents.service.js';
import { createAuditService } from './audit/audit.service.js';
import { createAuthService } from './auth/auth.service.js';
import { createOidcService, type OidcIssuerSettings } from './auth/oidc.service.js';
import { createSigningKeys } from './auth/signing-keys.js';
import { createStepUpService } from './auth/step-up.service.js';
import { createTokens } from './auth/tokens.js';
import { createTotpService } from './auth/totp.service.js';
import { createUserService } from './auth/users.service.js';
import { createWebAuthnService } from './auth/webauthn.service.js';
import { createContentService } from './content/content.service.js';
import { createInteractionService } from './interactions/interactions.service.js';
import { createMemoryService } from './memory/memory.service.js';
import { moderatorWithKnownContent } from './moderation/moderator.js';
import { integrityChecks, taskThroughput } from './operations/data-validation.js';
import { createPersonaService } from './personas/personas.service.js';
import { type PlatformTarget, type PostingQuota, quotaOf, targetsOf } from './publishing/publishing.service.js';
import { createAlertService } from './security/alerts.service.js';
import { createRateLimiter, type RateLimitSettings } from './security/rate-limit.js';
import { createShowcaseService } from './showcase/showcase.service.js';
import { createSwarmActivity } from './swarm/activity.js';
import { createGoalService } from './swarm/goals.service.js';
import { createReviewService } from './swarm/review.service.js';
import type { SwarmLimits } from './tasks/limits.js';
import { createTaskService } from './tasks/tasks.service.js';
import { createTrendService } from './trends/trends.service.js';
import { createTransferService } from './wallets/transfers.service.js';
import { createWalletService, type WalletSettings } from './wallets/wallets.service.js';

export interface AuthSettings {
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  stepUpWindowSeconds: number;
  lockout: { threshold: number; windowSeconds: number; durationSeconds: number };
  /** The WebAuthn relying party: RP ID, display name, and the origin browsers report. */
  webauthn: Readonly<{ rpId: string; rpName: string; origin: string }>;
  /** External OpenID Connect issuers whose ID tokens sign users in. */
  oidcIssuers?: readonly OidcIssuerSettings[];
}

export interface ServiceDeps {
  db: Database;
  redis: Redis;
  box: SecretBox;
  hasher: PasswordHasher;
  auth: AuthSettings;
  /** Publishes an event to subscribers on every API node. */
  publish: (topic: string, payload: { id: string }) => void;
  /** The spec's rate limits (per identity kind, in flight, global groups). */
  rateLimits: RateLimitSettings;
  /** The spec's resource limits for agents (task and content budgets). */
  swarmLimits?: SwarmLimits;
  /** How often workers refresh running tasks' heartbeats (to tell live agent state from stale). */
  heartbeatMs?: number;
  /** Text embeddings and the vector store behind agent memory and similarity search. */
  embedder: Embedder;
  vectors: VectorStore;
  /** Posting quotas per platform account (the platforms' own rules, tracked from the publish ledger). */
  platformQuotas?: Readonly<Record<string, PostingQuota>>;
  /** An external moderation model merged into the offline checks (OpenAI moderation), when configured. */
  externalModeration?: ExternalModeration | undefined;
  /** The EVM chain wallets live on (null: none configured), the KEK that seals their keys, the spend policy. */
  chain: EvmChain | null;
  kek: KeyEncryptionKey;
  wallets: WalletSettings;
  alertWebhookUrl?: string;
  onWebhookError?: (err: unknown) => void;
}

export function createServices(deps: ServiceDeps) {
  const { db, redis, box, hasher } = deps;
  const signingKeys = createSigningKeys({ db, box, retiredKeyLifetimeSeconds: deps.auth.refreshTokenTtlSeconds });
  const tokens = createTokens(signingKeys, deps.auth);
  const alerts = createAlertService({
    db,
    publish: deps.publish,
    webhookUrl: deps.alertWebhookUrl,
    onWebhookError: deps.onWebhookError,
  });
  const memory = createMemoryService({ embedder: deps.embedder, store: deps.vectors, redis });
  const activity = createSwarmActivity({ db, redis, publish: deps.publish, heartbeatMs: deps.heartbeatMs ?? 5_000 });
  const totp = createTotpService({ db, redis, box, issuerName: 'Chimera' });
  const { rpId, rpName, origin } = deps.auth.webauthn;
  const webauthn = createWebAuthnService({ db, redis, rp: { id: rpId, name: rpName, origin } });
  const walletDeps = { db, chain: deps.chain, kek: deps.kek, settings: deps.wallets, publish: deps.publish };
  const wallets = createWalletService(walletDeps);
  const auth = createAuthService({
    db,
    tokens,
    hasher,
    alerts,
    settings: deps.auth,
    verifySecondFactor: (userId, input) => totp.verifySecondFactor(userId, input),
  });
  return {
    personas: createPersonaService({ db }),
    agents: createAgentService({ db }),
    tasks: createTaskService({ db, publish: deps.publish, limits: deps.swarmLimits }),
    goals: createGoalService({ db, limits: deps.swarmLimits }),
    review: createReviewService({ db, publish: deps.publish, activity, memory }),
    memory,
    /** The moderation pipeline (the API's checks; the swarm builds its own in each worker process). */
    moderator: moderatorWithKnownContent({ embedder: deps.embedder, memory, external: deps.externalModeration }),
    embedder: deps.embedder,
    /** The swarm's live state: agent state and the hourly counters (written by the workers, read by the API). */
    activity,
    content: createContentService({ db, memory, publish: deps.publish }),
    /** Where agents publish, and how much of each account's posting quota is used. */
    publishing: {
      targetsOf,
      quota: (target: PlatformTarget) => quotaOf(db, deps.platformQuotas ?? {}, target),
    },
    trends: createTrendService({ db }),
    /** What anyone may see: published posts and trends. */
    showcase: createShowcaseService({ db }),
    interactions: createInteractionService({ db }),
    wallets,
    transfers: createTransferService({ ...walletDeps, wallets, stepUpWindowSeconds: deps.auth.stepUpWindowSeconds }),
    audit: createAuditService({ db }),
    /** The spec's data validation queries (integrity, tasks per hour). */
    validation: {
      integrity: () => integrityChecks(db),
      throughput: (hours?: number) => taskThroughput(db, hours),
    },
    signingKeys,
    tokens,
    auth,
    totp,
    oidc: createOidcService({
      db,
      issuers: deps.auth.oidcIssuers ?? [],
      startSession: (userId, how, meta) => auth.startSession(userId, how, meta),
    }),
    webauthn,
    stepUp: createStepUpService({ auth, totp, webauthn, db, windowSeconds: deps.auth.stepUpWindowSeconds }),
    alerts,
    users: createUserService({ db, hasher }),
    authSettings: deps.auth,
    rateLimiter: createRateLimiter({ redis, settings: deps.rateLimits }),
  };
}

export type Services = ReturnType<typeof createServices>;
