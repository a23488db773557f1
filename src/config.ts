// The one place that reads the environment. Everything else receives a Config.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { type OperationsConfig, operationsConfig, operationsEnv } from './config/operations.js';
import {
  censorConfigMessage,
  type ResolveOptions,
  resolveSecretReferences,
  SecretReferenceError,
  urlPasswords,
} from './config/secret-references.js';
import { type RateLimitSettings, SPEC_RATE_LIMITS } from './domain/security/rate-limit.js';
import type { SwarmLimits } from './domain/tasks/limits.js';
import type { WalletSettings } from './domain/wallets/wallets.service.js';
import type { EdgeSettings } from './platform/edge/purge.js';
import { redactSecretText, redactValues } from './platform/log/logger.js';
import type { McpServerConfig } from './platform/mcp/hub.js';

/** The repository's root (the bundled MCP servers live under it). */
const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A positive decimal amount as text: up to 12 integer and 8 fraction digits (the transactions.amount column). */
const DECIMAL_TEXT = /^\d{1,12}(\.\d{1,8})?$/;

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const envSchema = z.object({
  CHIMERA_ENV: z.enum(['development', 'test', 'production']).default('development'),
  CHIMERA_VERSION: z.string().default('0.1.0'),
  CHIMERA_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  DATABASE_URL: z.url().default('postgresql://postgres@127.0.0.1:5432/chimera'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default('chimera:'),
  GRAPHIQL: bool.optional(),
  READY_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).default(2_000),
  // Identity and access (spec "Security Architecture").
  JWT_ISSUER: z.string().min(1).default('https://auth.chimera.ai'),
  JWT_AUDIENCE: z.string().min(1).default('chimera-api'),
  // Minimum 2 s so tests can watch a token expire; deployments keep minutes.
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(2).max(86_400).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(90 * 86_400)
    .default(7 * 86_400),
  ENCRYPTION_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)')
    .optional(),
  PASSWORD_HASH_MEMORY_KIB: z.coerce.number().int().min(1024).max(1_048_576).default(19_456),
  STEP_UP_WINDOW_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
  LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).max(100).default(5),
  LOCKOUT_WINDOW_SECONDS: z.coerce.number().int().min(10).max(86_400).default(300),
  LOCKOUT_DURATION_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .max(7 * 86_400)
    .default(900),
  OIDC_ISSUERS: z.string().default('[]'),
  WEBAUTHN_RP_ID: z.string().default('localhost'),
  WEBAUTHN_RP_NAME: z.string().default('Chimera'),
  WEBAUTHN_ORIGIN: z.string().default('http://localhost:4000'),
  ALERT_WEBHOOK_URL: z.url().optional(),
  // The spec's rate limits (src/domain/security/rate-limit.ts): per identity kind, in flight, and global groups.
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(100),
  RATE_LIMIT_API_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(1_000),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(10),
  CONCURRENT_REQUESTS_PER_USER: z.coerce.number().int().min(1).max(100_000).default(10),
  CONCURRENT_REQUESTS_PER_API_USER: z.coerce.number().int().min(1).max(100_000).default(50),
  CONCURRENT_REQUESTS_ANONYMOUS: z.coerce.number().int().min(1).max(100_000).default(2),
  RATE_LIMIT_GROUPS: z.string().optional(),
  // Query protection (src/graphql/protection.ts).
  QUERY_MAX_DEPTH: z.coerce.number().int().min(2).max(100).default(12),
  QUERY_MAX_ALIASES: z.coerce.number().int().min(0).max(1000).default(30),
  QUERY_MAX_COST: z.coerce.number().int().min(1).max(10_000_000).default(20_000),
  QUERY_BATCH_LIMIT: z.coerce.number().int().min(1).max(100).default(10),
  REQUEST_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(100 * 1_048_576)
    .default(10 * 1_048_576),
  RESPONSE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  INTROSPECTION: bool.optional(),
  // Caching (src/graphql/plugins/response-cache.ts, src/platform/edge/purge.ts; docs/caching.md).
  RESPONSE_CACHE: bool.default(true),
  PERSISTED_OPERATIONS: z.enum(['only', 'allow']).optional(),
  TRUSTED_DOCUMENTS_FILE: z.string().min(1).default(join(PROJECT_ROOT, 'trusted-documents.json')),
  EDGE_PURGE: z.enum(['none', 'varnish', 'fastly', 'cloudflare']).default('none'),
  VARNISH_PURGE_URL: z.url().optional(),
  FASTLY_SERVICE_ID: z.string().optional(),
  FASTLY_API_TOKEN: z.string().optional(),
  FASTLY_API_URL: z.url().optional(),
  CLOUDFLARE_ZONE_ID: z.string().optional(),
  CLOUDFLARE_API_TOKEN: z.string().optional(),
  CLOUDFLARE_API_URL: z.url().optional(),
  EDGE_REPURGE_MS: z.coerce.number().int().min(0).max(60_000).default(1_500),
  EMBEDDED_WORKERS: bool.optional(),
  // Language model (src/platform/llm). Empty strings count as unset, as docker-compose passes them.
  LLM_PROVIDER: z.enum(['offline', 'openai']).optional(),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.url().or(z.literal('')).optional(),
  LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
  LLM_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  // The swarm engine (src/swarm): worker concurrency per stage, BullMQ's job lock, the reconciler and heartbeats.
  SWARM_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  SWARM_JOB_LOCK_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
  SWARM_JOB_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(5),
  SWARM_JOB_BACKOFF_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
  SWARM_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
  SWARM_HEARTBEAT_MS: z.coerce.number().int().min(100).max(300_000).default(5_000),
  // The spec's resource limits (Security & Compliance → Resource Limits, and its hourly task/content rates).
  SWARM_MAX_CONCURRENT_TASKS_PER_AGENT: z.coerce.number().int().min(1).max(100_000).default(10),
  SWARM_TASKS_PER_AGENT_PER_HOUR: z.coerce.number().int().min(1).max(10_000_000).default(50),
  SWARM_TASKS_PER_HOUR: z.coerce.number().int().min(1).max(10_000_000).default(1_000),
  SWARM_CONTENT_PER_AGENT_PER_HOUR: z.coerce.number().int().min(1).max(10_000_000).default(25),
  SWARM_CONTENT_PER_HOUR: z.coerce.number().int().min(1).max(10_000_000).default(500),
  SWARM_EXTERNAL_CALLS_PER_AGENT_PER_HOUR: z.coerce.number().int().min(1).max(10_000_000).default(100),
  SWARM_EXTERNAL_CALLS_PER_HOUR: z.coerce.number().int().min(1).max(100_000_000).default(10_000),
  // Semantic memory (src/platform/embeddings, src/platform/vector; docs/memory.md). Empty strings count as unset.
  // Embeddings use the OPENAI_* connection and LLM_TIMEOUT_MS / LLM_MAX_RETRIES above.
  EMBEDDINGS_PROVIDER: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['offline', 'openai']).optional()),
  EMBEDDINGS_MODEL: z.string().min(1).default('text-embedding-3-small'),
  EMBEDDINGS_DIMENSION: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(1).max(65_536).optional(),
  ),
  VECTOR_STORE: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['lancedb', 'weaviate']).optional()),
  VECTOR_STORE_DIR: z.string().min(1).default('./data/vectors'),
  // How often the maintenance stage builds LanceDB's indexes and compacts its files; 0 turns it off.
  VECTOR_OPTIMIZE_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400_000)
    .default(3_600_000),
  WEAVIATE_URL: z.url().or(z.literal('')).optional(),
  WEAVIATE_API_KEY: z.string().optional(),
  // Where large fixed batches of embeddings (the moderation examples) are cached between processes; '' turns it off.
  EMBEDDINGS_CACHE_DIR: z.string().default(join(tmpdir(), 'chimera-embedding-cache')),
  // Moderation (src/domain/moderation; docs/moderation.md): the offline checks always run; an external model adds to
  // them. It uses the OPENAI_* connection and LLM_TIMEOUT_MS / LLM_MAX_RETRIES.
  MODERATION_PROVIDER: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['offline', 'openai']).optional()),
  MODERATION_MODEL: z.string().min(1).default('omni-moderation-latest'),
  // MCP (src/platform/mcp; docs/mcp.md): the servers Chimera reaches, as a file or inline JSON in the
  // {"mcpServers": {"name": {"command", "args", "env", "cwd"} | {"url", "headers"}}} shape MCP hosts use.
  MCP_CONFIG_FILE: z.string().optional(),
  MCP_SERVERS: z.string().optional(),
  MCP_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  // The bundled social-platform sandbox (mcp-servers/social), started beside the API (on in development).
  SOCIAL_SANDBOX: bool.optional(),
  SOCIAL_SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(4100),
  SOCIAL_SANDBOX_STATE_FILE: z.string().min(1).default('./data/social-sandbox.json'),
  SOCIAL_SANDBOX_AUDIENCE: bool.default(true),
  // Trend ingestion: which MCP resources, how often, how long a trend lives.
  TREND_SOURCES: z.string().default('mcp://news/latest'),
  TRENDS_FETCH_INTERVAL_MS: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
  TREND_TTL_HOURS: z.coerce
    .number()
    .min(0.01)
    .max(24 * 365)
    .default(24),
  // Platform webhooks (POST /webhooks/{platform}): a shared secret per platform, and the accepted clock skew.
  WEBHOOK_SECRETS: z.string().optional(),
  WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
  // Posting quotas per platform account, as the platforms enforce them: {"social": {"posts": 10, "windowMs": 3600000}}.
  PLATFORM_QUOTAS: z.string().optional(),
  // The chain (src/platform/chain; docs/wallets.md): any EVM JSON-RPC. Unset outside production, the run command and the
  // tests start a local anvil node instead (CHAIN_EMBEDDED).
  BLOCKCHAIN_RPC_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url().optional()),
  CHAIN_EMBEDDED: bool.optional(),
  CHAIN_EMBEDDED_PORT: z.coerce.number().int().min(0).max(65535).default(8545),
  CHAIN_STATE_FILE: z.string().min(1).default('./data/anvil-state.json'),
  CHAIN_NATIVE_CURRENCY: z
    .string()
    .regex(/^[A-Z][A-Z0-9]{1,9}$/, 'an upper-case symbol such as ETH')
    .default('ETH'),
  CHAIN_CONFIRMATIONS: z.coerce.number().int().min(1).max(1000).default(1),
  CHAIN_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(1_000),
  CHAIN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  // Wallet keys: envelope encryption, the data keys wrapped by ENCRYPTION_KEY ('local') or a Vault transit key.
  WALLET_KEY_PROVIDER: z.enum(['local', 'vault']).default('local'),
  VAULT_ADDR: z.preprocess((v) => (v === '' ? undefined : v), z.url().optional()),
  VAULT_TOKEN: z.string().optional(),
  VAULT_NAMESPACE: z.string().optional(),
  VAULT_TRANSIT_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('chimera-wallets'),
  // The default spend policy (a CFO sets a wallet's own with setSpendPolicy): amounts in the chain's currency.
  TRANSFER_MAX_PER_TRANSACTION: z.string().regex(DECIMAL_TEXT, 'a decimal amount such as 0.5').default('0.5'),
  TRANSFER_DAILY_LIMIT_PER_AGENT: z.string().regex(DECIMAL_TEXT, 'a decimal amount such as 1').default('1'),
  TRANSFER_CURRENCIES: z.string().default('ETH'),
  TRANSFER_RECIPIENTS: z.string().default(''),
  TRANSFER_APPROVAL_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .max(30 * 86_400)
    .default(86_400),
  // Fault injection for the crash tests (never honoured in production): stage:point names, comma-separated.
  CHIMERA_FAULTS: z.string().default(''),
  // Retention, backups, secrets, metrics, traces, the system monitor, shutdown (src/config/operations.ts).
  ...operationsEnv,
});

/** An external OpenID Connect issuer whose ID tokens Chimera accepts (Google Workspace, Azure AD, …). */
export interface OidcIssuerConfig {
  issuer: string;
  /** The client id Chimera is registered with at the issuer: the ID token's audience. */
  audience: string;
  /** Roles given to a user created on first sign-in through this issuer (default: none). */
  defaultRoles: string[];
  /** Only emails of these domains may sign in (empty: any verified email). */
  allowedDomains: string[];
  /** Where to find the JWKS, when not through the issuer's discovery document. */
  jwksUri?: string;
}

const oidcIssuersSchema = z.array(
  z.object({
    issuer: z.url(),
    audience: z.string().min(1),
    defaultRoles: z.array(z.string()).default([]),
    allowedDomains: z.array(z.string()).default([]),
    jwksUri: z.url().optional(),
  }),
);

/**
 * Development and test run without configuring a key: a fixed, publicly known key is used and reported as such.
 * Production refuses to start without ENCRYPTION_KEY.
 */
const DEVELOPMENT_ENCRYPTION_KEY = Buffer.from('chimera-development-key-not-secret!!').subarray(0, 32);

export type Config = Readonly<{
  env: 'development' | 'test' | 'production';
  version: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  host: string;
  port: number;
  databaseUrl: string;
  databasePoolSize: number;
  redisUrl: string;
  redisKeyPrefix: string;
  graphiql: boolean;
  readyTimeoutMs: number;
  auth: Readonly<{
    issuer: string;
    audience: string;
    accessTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
    stepUpWindowSeconds: number;
    lockout: Readonly<{ threshold: number; windowSeconds: number; durationSeconds: number }>;
    passwordHashMemoryKib: number;
    oidcIssuers: readonly OidcIssuerConfig[];
    webauthn: Readonly<{ rpId: string; rpName: string; origin: string }>;
  }>;
  /** AES-256 key for secrets at rest (private signing keys, TOTP secrets). */
  encryptionKey: Buffer;
  /** True when encryptionKey is the built-in development key. */
  encryptionKeyIsDevelopmentDefault: boolean;
  alertWebhookUrl: string | undefined;
  /** The spec's rate limits: per identity kind, in flight, and global operation groups. */
  rateLimits: Readonly<RateLimitSettings>;
  /** Limits on what one request may ask (depth, aliases, cost, batch, size, time) and whether introspection is on. */
  queryLimits: Readonly<{
    maxDepth: number;
    maxAliases: number;
    maxCost: number;
    batchLimit: number;
    maxRequestBytes: number;
    responseTimeoutMs: number;
    introspection: boolean;
  }>;
  /** Run the swarm's stages inside the API process (local use); production runs workers/*.ts instead. */
  embeddedWorkers: boolean;
  /** The language model: 'openai' (any OpenAI-compatible server) or the 'offline' deterministic composer. */
  llm: Readonly<{
    provider: 'offline' | 'openai';
    apiKey: string | undefined;
    baseUrl: string | undefined;
    model: string;
    timeoutMs: number;
    maxRetries: number;
  }>;
  swarm: Readonly<{
    concurrency: number;
    /** BullMQ's job lock: a job whose worker died is picked up again after about this long. */
    jobLockMs: number;
    retry: Readonly<{ attempts: number; backoffMs: number }>;
    /** How often the reconciler re-enqueues work that Redis lost. */
    reconcileIntervalMs: number;
    /** How often workers refresh agent:{id}:state while they work. */
    heartbeatMs: number;
    limits: Readonly<SwarmLimits>;
    /** The spec's external_api_calls budget: LLM and MCP calls per agent and in all, per hour. */
    externalCalls: Readonly<{ perAgentPerHour: number; perHour: number }>;
  }>;
  /** Semantic memory: which model embeds text, and where the vectors live (docs/memory.md). */
  memory: Readonly<{
    embeddings: Readonly<{
      /** Where large fixed batches of embeddings are cached between processes (undefined: not at all). */
      cacheDir: string | undefined;
      /** 'offline' (Universal Sentence Encoder, 512 dimensions, no network) or 'openai' (any compatible server). */
      provider: 'offline' | 'openai';
      /** The OpenAI embedding model (unused offline). */
      model: string;
      /** The vector length asked of the OpenAI model; undefined: the model's own. */
      dimension: number | undefined;
      apiKey: string | undefined;
      baseUrl: string | undefined;
      timeoutMs: number;
      maxRetries: number;
    }>;
    vectorStore: Readonly<{
      /** 'lancedb' (embedded, files under dir) or 'weaviate' (the server at weaviateUrl). */
      kind: 'lancedb' | 'weaviate';
      dir: string;
      /** How often the maintenance stage optimizes the embedded store (0: never). */
      optimizeEveryMs: number;
      weaviateUrl: string | undefined;
      weaviateApiKey: string | undefined;
    }>;
  }>;
  /** The response cache (Redis) and the edge whose objects writes purge. */
  cache: Readonly<{ enabled: boolean; edge: EdgeSettings; repurgeMs: number }>;
  /** Persisted operations: `only` trusted documents (production), or also any document (`allow`). */
  persisted: Readonly<{ mode: 'only' | 'allow'; documentsFile: string }>;
  /** The MCP servers Chimera reaches (sources and platforms), each by stdio command or Streamable HTTP URL. */
  mcp: Readonly<{ servers: readonly McpServerConfig[]; timeoutMs: number }>;
  /** The bundled social sandbox (mcp-servers/social), run beside the API when enabled. */
  socialSandbox: Readonly<{ enabled: boolean; port: number; stateFile: string; audience: boolean }>;
  trends: Readonly<{ sources: readonly string[]; fetchEveryMs: number; ttlHours: number }>;
  webhooks: Readonly<{ secrets: Readonly<Record<string, string>>; toleranceSeconds: number }>;
  platforms: Readonly<{ quotas: Readonly<Record<string, PlatformQuota>> }>;
  /** The EVM chain agents' wallets live on, and how transfers are settled there (docs/wallets.md). */
  chain: Readonly<ChainConfig>;
  /** Wallet keys and the default spend policy. */
  wallets: Readonly<WalletConfig>;
  /** Fault points to crash at (tests only; always empty in production). */
  faults: readonly string[];
  /** The external moderation model merged into the offline checks: 'openai' (any compatible server) or none. */
  moderation: Readonly<{
    provider: 'offline' | 'openai';
    model: string;
    apiKey: string | undefined;
    baseUrl: string | undefined;
    timeoutMs: number;
    maxRetries: number;
  }>;
}> &
  Readonly<OperationsConfig>;

export interface ChainConfig {
  /** The JSON-RPC endpoint; undefined with an embedded node (its URL is known once it runs) or no chain at all. */
  rpcUrl: string | undefined;
  /** Start a local anvil node (the run command and tests do; production never does). */
  embedded: Readonly<{ enabled: boolean; port: number; stateFile: string }>;
  nativeCurrency: string;
  /** Blocks on top of a transaction's before it counts as confirmed. */
  confirmations: number;
  /** How often a submitted transaction's receipt is looked for. */
  pollIntervalMs: number;
  timeoutMs: number;
}

export interface WalletConfig {
  keys: Readonly<
    | { provider: 'local' }
    | { provider: 'vault'; address: string; token: string; namespace: string | undefined; transitKey: string }
  >;
  /** The spend policy of wallets that have none of their own. */
  defaultPolicy: WalletSettings['defaultPolicy'];
  /** How long a transfer waits for a CFO before it expires. */
  approvalTtlSeconds: number;
}

/** A platform's posting quota for one account: at most `posts` in any sliding window of `windowMs`. */
export interface PlatformQuota {
  posts: number;
  windowMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  /** CONFIG_INVALID, or VAULT_* when a ${vault:…} reference could not be resolved (src/config/secret-references.ts). */
  readonly code: string;
  constructor(message: string, code = 'CONFIG_INVALID') {
    super(message);
    this.code = code;
  }
}

/** Parses configuration from an environment (process.env by default). Throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const unresolved = Object.keys(envSchema.shape).filter((name) => env[name]?.includes('${vault:'));
  if (unresolved.length) {
    throw new ConfigError(
      `Invalid configuration:\n${unresolved.map((n) => `  ${n}: holds a \${vault:…} reference; load it with loadConfigWithSecrets`).join('\n')}`,
    );
  }
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (!e.ENCRYPTION_KEY && e.CHIMERA_ENV === 'production') {
    throw new ConfigError('Invalid configuration:\n  ENCRYPTION_KEY: required in production (openssl rand -base64 32)');
  }
  let oidcIssuers: OidcIssuerConfig[];
  try {
    const issuers = oidcIssuersSchema.safeParse(JSON.parse(e.OIDC_ISSUERS));
    if (!issuers.success)
      throw new Error(issuers.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    oidcIssuers = issuers.data;
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  OIDC_ISSUERS: ${(err as Error).message}`);
  }
  return Object.freeze({
    env: e.CHIMERA_ENV,
    version: e.CHIMERA_VERSION,
    logLevel: e.CHIMERA_LOG_LEVEL,
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    graphiql: e.GRAPHIQL ?? e.CHIMERA_ENV !== 'production',
    readyTimeoutMs: e.READY_TIMEOUT_MS,
    auth: Object.freeze({
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
      stepUpWindowSeconds: e.STEP_UP_WINDOW_SECONDS,
      lockout: Object.freeze({
        threshold: e.LOCKOUT_THRESHOLD,
        windowSeconds: e.LOCKOUT_WINDOW_SECONDS,
        durationSeconds: e.LOCKOUT_DURATION_SECONDS,
      }),
      passwordHashMemoryKib: e.PASSWORD_HASH_MEMORY_KIB,
      oidcIssuers,
      webauthn: Object.freeze({ rpId: e.WEBAUTHN_RP_ID, rpName: e.WEBAUTHN_RP_NAME, origin: e.WEBAUTHN_ORIGIN }),
    }),
    encryptionKey: e.ENCRYPTION_KEY ? Buffer.from(e.ENCRYPTION_KEY, 'base64') : DEVELOPMENT_ENCRYPTION_KEY,
    encryptionKeyIsDevelopmentDefault: !e.ENCRYPTION_KEY,
    alertWebhookUrl: e.ALERT_WEBHOOK_URL,
    rateLimits: Object.freeze({
      identities: Object.freeze({
        authenticated: { perMinute: e.RATE_LIMIT_PER_MINUTE, concurrent: e.CONCURRENT_REQUESTS_PER_USER },
        api: { perMinute: e.RATE_LIMIT_API_PER_MINUTE, concurrent: e.CONCURRENT_REQUESTS_PER_API_USER },
        anonymous: { perMinute: e.RATE_LIMIT_ANONYMOUS_PER_MINUTE, concurrent: e.CONCURRENT_REQUESTS_ANONYMOUS },
      }),
      groups: Object.freeze(
        e.RATE_LIMIT_GROUPS
          ? jsonVariable('RATE_LIMIT_GROUPS', e.RATE_LIMIT_GROUPS, groupsSchema)
          : SPEC_RATE_LIMITS.groups,
      ),
      staleRequestMs: Math.max(e.RESPONSE_TIMEOUT_MS, 1_000),
    }),
    queryLimits: Object.freeze({
      maxDepth: e.QUERY_MAX_DEPTH,
      maxAliases: e.QUERY_MAX_ALIASES,
      maxCost: e.QUERY_MAX_COST,
      batchLimit: e.QUERY_BATCH_LIMIT,
      maxRequestBytes: e.REQUEST_MAX_BYTES,
      responseTimeoutMs: e.RESPONSE_TIMEOUT_MS,
      introspection: e.INTROSPECTION ?? e.CHIMERA_ENV !== 'production',
    }),
    embeddedWorkers: e.EMBEDDED_WORKERS ?? e.CHIMERA_ENV === 'development',
    llm: Object.freeze({
      provider: e.LLM_PROVIDER ?? (e.OPENAI_API_KEY || e.OPENAI_BASE_URL ? 'openai' : 'offline'),
      apiKey: e.OPENAI_API_KEY || undefined,
      baseUrl: e.OPENAI_BASE_URL || undefined,
      model: e.LLM_MODEL,
      timeoutMs: e.LLM_TIMEOUT_MS,
      maxRetries: e.LLM_MAX_RETRIES,
    }),
    swarm: Object.freeze({
      concurrency: e.SWARM_CONCURRENCY,
      jobLockMs: e.SWARM_JOB_LOCK_MS,
      retry: Object.freeze({ attempts: e.SWARM_JOB_ATTEMPTS, backoffMs: e.SWARM_JOB_BACKOFF_MS }),
      reconcileIntervalMs: e.SWARM_RECONCILE_INTERVAL_MS,
      heartbeatMs: e.SWARM_HEARTBEAT_MS,
      limits: Object.freeze({
        concurrentTasksPerAgent: e.SWARM_MAX_CONCURRENT_TASKS_PER_AGENT,
        tasksPerAgentPerHour: e.SWARM_TASKS_PER_AGENT_PER_HOUR,
        tasksPerHour: e.SWARM_TASKS_PER_HOUR,
        contentPerAgentPerHour: e.SWARM_CONTENT_PER_AGENT_PER_HOUR,
        contentPerHour: e.SWARM_CONTENT_PER_HOUR,
      }),
      externalCalls: Object.freeze({
        perAgentPerHour: e.SWARM_EXTERNAL_CALLS_PER_AGENT_PER_HOUR,
        perHour: e.SWARM_EXTERNAL_CALLS_PER_HOUR,
      }),
    }),
    memory: memoryConfig(e),
    moderation: moderationConfig(e),
    ...walletConfig(e),
    cache: Object.freeze({ enabled: e.RESPONSE_CACHE, edge: edgeConfig(e), repurgeMs: e.EDGE_REPURGE_MS }),
    persisted: Object.freeze({
      mode: e.PERSISTED_OPERATIONS ?? (e.CHIMERA_ENV === 'production' ? 'only' : 'allow'),
      documentsFile: e.TRUSTED_DOCUMENTS_FILE,
    }),
    ...integrationConfig(e),
    ...operationsConfig(e, (name, message) => {
      throw new ConfigError(`Invalid configuration:\n  ${name}: ${message}`);
    }),
  });
}

function edgeConfig(e: z.infer<typeof envSchema>): EdgeSettings {
  const need = (name: string, value: string | undefined): string => {
    if (!value) throw new ConfigError(`Invalid configuration:\n  ${name}: required when EDGE_PURGE=${e.EDGE_PURGE}`);
    return value;
  };
  switch (e.EDGE_PURGE) {
    case 'varnish':
      return { kind: 'varnish', url: need('VARNISH_PURGE_URL', e.VARNISH_PURGE_URL) };
    case 'fastly':
      return {
        kind: 'fastly',
        serviceId: need('FASTLY_SERVICE_ID', e.FASTLY_SERVICE_ID),
        apiToken: need('FASTLY_API_TOKEN', e.FASTLY_API_TOKEN),
        apiUrl: e.FASTLY_API_URL,
      };
    case 'cloudflare':
      return {
        kind: 'cloudflare',
        zoneId: need('CLOUDFLARE_ZONE_ID', e.CLOUDFLARE_ZONE_ID),
        apiToken: need('CLOUDFLARE_API_TOKEN', e.CLOUDFLARE_API_TOKEN),
        apiUrl: e.CLOUDFLARE_API_URL,
      };
    default:
      return { kind: 'none' };
  }
}

/** The development defaults of the bundled servers: news over stdio, the social sandbox over HTTP. */
function bundledMcpServers(socialPort: number): McpServerConfig[] {
  return [
    {
      name: 'news',
      transport: 'stdio',
      command: process.execPath,
      args: ['--import', 'tsx', join(PROJECT_ROOT, 'mcp-servers/news/server.ts')],
      cwd: PROJECT_ROOT,
    },
    { name: 'social', transport: 'http', url: `http://127.0.0.1:${socialPort}/mcp` },
  ];
}

const mcpEntrySchema = z.union([
  z.object({
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().optional(),
  }),
  z.object({ url: z.url(), headers: z.record(z.string(), z.string()).default({}) }),
]);
const mcpFileSchema = z.object({
  mcpServers: z.record(
    z.string().regex(/^[a-z][a-z0-9_-]*$/i, 'server names are letters, digits, - and _'),
    mcpEntrySchema,
  ),
});
const groupsSchema = z.record(
  z.string(),
  z.object({ perMinute: z.number().int().min(1), burst: z.number().int().min(1) }),
);
const secretsSchema = z.record(z.string(), z.string().min(16, 'must be at least 16 characters'));
const quotasSchema = z.record(
  z.string(),
  z.object({ posts: z.number().int().min(1), windowMs: z.number().int().min(1_000) }),
);

/** Parses a JSON variable with a schema, or a ConfigError naming the variable. */
function jsonVariable<S extends z.ZodType>(name: string, text: string, schema: S): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  ${name}: not JSON (${(err as Error).message})`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration:\n  ${name}: ${issues}`);
  }
  return parsed.data;
}

function mcpServersOf(e: z.infer<typeof envSchema>): McpServerConfig[] {
  let text = e.MCP_SERVERS;
  let name = 'MCP_SERVERS';
  if (!text && e.MCP_CONFIG_FILE) {
    name = 'MCP_CONFIG_FILE';
    try {
      text = readFileSync(e.MCP_CONFIG_FILE, 'utf8');
    } catch (err) {
      throw new ConfigError(`Invalid configuration:\n  MCP_CONFIG_FILE: cannot read it (${(err as Error).message})`);
    }
  }
  if (!text) return bundledMcpServers(e.SOCIAL_SANDBOX_PORT);
  const { mcpServers } = jsonVariable(name, text, mcpFileSchema);
  return Object.entries(mcpServers).map(
    ([server, entry]): McpServerConfig =>
      'url' in entry
        ? { name: server, transport: 'http', url: entry.url, headers: entry.headers }
        : {
            name: server,
            transport: 'stdio',
            command: entry.command,
            args: entry.args,
            env: entry.env,
            cwd: entry.cwd,
          },
  );
}

function integrationConfig(e: z.infer<typeof envSchema>) {
  const production = e.CHIMERA_ENV === 'production';
  const secrets = e.WEBHOOK_SECRETS
    ? jsonVariable('WEBHOOK_SECRETS', e.WEBHOOK_SECRETS, secretsSchema)
    : production
      ? {}
      : { social: 'social-sandbox-dev-secret' };
  const quotas = e.PLATFORM_QUOTAS
    ? jsonVariable('PLATFORM_QUOTAS', e.PLATFORM_QUOTAS, quotasSchema)
    : { social: { posts: 10, windowMs: 3_600_000 } };
  const sources = e.TREND_SOURCES.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const source of sources) {
    if (!/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(source)) {
      throw new ConfigError(`Invalid configuration:\n  TREND_SOURCES: "${source}" is not a resource URI`);
    }
  }
  return {
    mcp: Object.freeze({ servers: Object.freeze(mcpServersOf(e)), timeoutMs: e.MCP_TIMEOUT_MS }),
    socialSandbox: Object.freeze({
      enabled: e.SOCIAL_SANDBOX ?? e.CHIMERA_ENV === 'development',
      port: e.SOCIAL_SANDBOX_PORT,
      stateFile: e.SOCIAL_SANDBOX_STATE_FILE,
      audience: e.SOCIAL_SANDBOX_AUDIENCE,
    }),
    trends: Object.freeze({ sources, fetchEveryMs: e.TRENDS_FETCH_INTERVAL_MS, ttlHours: e.TREND_TTL_HOURS }),
    webhooks: Object.freeze({ secrets: Object.freeze(secrets), toleranceSeconds: e.WEBHOOK_TOLERANCE_SECONDS }),
    platforms: Object.freeze({ quotas: Object.freeze(quotas) }),
  };
}

function walletConfig(e: z.infer<typeof envSchema>): Pick<Config, 'chain' | 'wallets' | 'faults'> {
  const production = e.CHIMERA_ENV === 'production';
  const embedded = e.CHAIN_EMBEDDED ?? (!production && !e.BLOCKCHAIN_RPC_URL);
  if (embedded && production) {
    throw new ConfigError(
      'Invalid configuration:\n  CHAIN_EMBEDDED: a local development chain is never run in production',
    );
  }
  let keys: WalletConfig['keys'] = { provider: 'local' };
  if (e.WALLET_KEY_PROVIDER === 'vault') {
    if (!e.VAULT_ADDR || !e.VAULT_TOKEN) {
      throw new ConfigError(
        'Invalid configuration:\n  VAULT_ADDR, VAULT_TOKEN: required when WALLET_KEY_PROVIDER=vault',
      );
    }
    keys = {
      provider: 'vault',
      address: e.VAULT_ADDR,
      token: e.VAULT_TOKEN,
      namespace: e.VAULT_NAMESPACE || undefined,
      transitKey: e.VAULT_TRANSIT_KEY,
    };
  }
  const list = (v: string) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const recipients = list(e.TRANSFER_RECIPIENTS);
  for (const r of recipients) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(r)) {
      throw new ConfigError(
        `Invalid configuration:\n  TRANSFER_RECIPIENTS: "${r}" is not an address (0x and 40 hex digits)`,
      );
    }
  }
  const faults = list(e.CHIMERA_FAULTS);
  if (faults.length && production) {
    throw new ConfigError('Invalid configuration:\n  CHIMERA_FAULTS: fault injection is refused in production');
  }
  return {
    chain: Object.freeze({
      rpcUrl: e.BLOCKCHAIN_RPC_URL,
      embedded: Object.freeze({ enabled: embedded, port: e.CHAIN_EMBEDDED_PORT, stateFile: e.CHAIN_STATE_FILE }),
      nativeCurrency: e.CHAIN_NATIVE_CURRENCY,
      confirmations: e.CHAIN_CONFIRMATIONS,
      pollIntervalMs: e.CHAIN_POLL_INTERVAL_MS,
      timeoutMs: e.CHAIN_TIMEOUT_MS,
    }),
    wallets: Object.freeze({
      keys: Object.freeze(keys),
      defaultPolicy: Object.freeze({
        maxPerTransaction: e.TRANSFER_MAX_PER_TRANSACTION,
        dailyLimit: e.TRANSFER_DAILY_LIMIT_PER_AGENT,
        currencies: Object.freeze(list(e.TRANSFER_CURRENCIES).map((c) => c.toUpperCase())),
        recipients: Object.freeze(recipients),
      }),
      approvalTtlSeconds: e.TRANSFER_APPROVAL_TTL_SECONDS,
    }),
    faults: Object.freeze(faults),
  };
}

function moderationConfig(e: z.infer<typeof envSchema>): Config['moderation'] {
  const provider = e.MODERATION_PROVIDER ?? (e.OPENAI_API_KEY || e.OPENAI_BASE_URL ? 'openai' : 'offline');
  if (provider === 'openai' && !e.OPENAI_API_KEY && !e.OPENAI_BASE_URL) {
    throw new ConfigError(
      'Invalid configuration:\n  MODERATION_PROVIDER: openai needs OPENAI_API_KEY (for api.openai.com) or OPENAI_BASE_URL',
    );
  }
  return Object.freeze({
    provider,
    model: e.MODERATION_MODEL,
    apiKey: e.OPENAI_API_KEY || undefined,
    baseUrl: e.OPENAI_BASE_URL || undefined,
    timeoutMs: e.LLM_TIMEOUT_MS,
    maxRetries: e.LLM_MAX_RETRIES,
  });
}

function memoryConfig(e: z.infer<typeof envSchema>): Config['memory'] {
  const weaviateUrl = e.WEAVIATE_URL || undefined;
  const kind = e.VECTOR_STORE ?? (weaviateUrl ? 'weaviate' : 'lancedb');
  if (kind === 'weaviate' && !weaviateUrl) {
    throw new ConfigError('Invalid configuration:\n  WEAVIATE_URL: required when VECTOR_STORE=weaviate');
  }
  return Object.freeze({
    embeddings: Object.freeze({
      cacheDir: e.EMBEDDINGS_CACHE_DIR || undefined,
      provider: e.EMBEDDINGS_PROVIDER ?? (e.OPENAI_API_KEY || e.OPENAI_BASE_URL ? 'openai' : 'offline'),
      model: e.EMBEDDINGS_MODEL,
      dimension: e.EMBEDDINGS_DIMENSION,
      apiKey: e.OPENAI_API_KEY || undefined,
      baseUrl: e.OPENAI_BASE_URL || undefined,
      timeoutMs: e.LLM_TIMEOUT_MS,
      maxRetries: e.LLM_MAX_RETRIES,
    }),
    vectorStore: Object.freeze({
      kind,
      dir: e.VECTOR_STORE_DIR,
      optimizeEveryMs: e.VECTOR_OPTIMIZE_INTERVAL_MS,
      weaviateUrl,
      weaviateApiKey: e.WEAVIATE_API_KEY || undefined,
    }),
  });
}

/** What the wallet and transfer services need of the configuration. */
export function walletSettingsOf(config: Pick<Config, 'chain' | 'wallets'>): WalletSettings {
  return {
    nativeCurrency: config.chain.nativeCurrency,
    defaultPolicy: config.wallets.defaultPolicy,
    approvalTtlSeconds: config.wallets.approvalTtlSeconds,
    confirmations: config.chain.confirmations,
  };
}

/** Variables whose values are secrets however they are given (a Vault reference or a plain value). */
export const SECRET_VARIABLES = [
  'ENCRYPTION_KEY',
  'ENCRYPTION_KEY_PREVIOUS',
  'FASTLY_API_TOKEN',
  'CLOUDFLARE_API_TOKEN',
  'OPENAI_API_KEY',
  'WEAVIATE_API_KEY',
  'VAULT_TOKEN',
  'BACKUP_S3_SECRET_ACCESS_KEY',
  'BACKUP_ENCRYPTION_KEY',
  'METRICS_TOKEN',
] as const;

/**
 * The secret values among plain variables, to censor from logs and startup errors: the SECRET_VARIABLES (a
 * comma-separated list counts item by item), each WEBHOOK_SECRETS value and the passwords in URL-valued variables.
 */
export function plainSecretsOf(env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const name of SECRET_VARIABLES) {
    const value = env[name];
    if (value) out.push(value, ...value.split(',').map((v) => v.trim()));
  }
  try {
    const parsed: unknown = env.WEBHOOK_SECRETS ? JSON.parse(env.WEBHOOK_SECRETS) : {};
    if (parsed && typeof parsed === 'object') {
      for (const v of Object.values(parsed)) if (typeof v === 'string') out.push(v);
    }
  } catch {
    // Not JSON: loadConfig reports it (without the value).
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.endsWith('_URL') || !value) continue;
    out.push(...urlPasswords(value));
  }
  return out;
}

/**
 * loadConfig after resolving `${vault:path/key}` references (src/config/secret-references.ts; docs/secrets.md) in the
 * configuration's variables. What was resolved, and the Vault credentials, are censored from every log line from now
 * on and from the ConfigError this throws; a reference that cannot be resolved is a ConfigError with a VAULT_* code.
 */
export async function loadConfigWithSecrets(
  env: Record<string, string | undefined> = process.env,
  opts: Omit<ResolveOptions, 'names'> = {},
): Promise<Config> {
  let resolved: Awaited<ReturnType<typeof resolveSecretReferences>>;
  try {
    resolved = await resolveSecretReferences(env, { ...opts, names: Object.keys(envSchema.shape) });
  } catch (err) {
    if (!(err instanceof SecretReferenceError)) throw err;
    const lines = err.message.split('\n').map((l) => `  ${redactSecretText(l)}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`, err.code);
  }
  redactValues([...resolved.secrets, ...plainSecretsOf(resolved.env)]);
  try {
    return loadConfig(resolved.env);
  } catch (err) {
    if (!(err instanceof ConfigError) || resolved.sources.size === 0) throw err;
    throw new ConfigError(censorConfigMessage(err.message, resolved.secrets, resolved.sources), err.code);
  }
}
