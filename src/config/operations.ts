// The operations part of the configuration (read only by src/config.ts): retention, backups, secrets from Vault,
// metrics and traces, the system monitor's escalation thresholds. The spec's "Data Lifecycle Management", "Secrets
// Management" and "Escalation Triggers" sections give the defaults.
import { z } from 'zod';
import type { RetentionPeriods } from '../domain/operations/retention.service.js';

/** A PostgreSQL interval as the spec writes periods: "2 years", "6 months", "30 days", "12 weeks", "1 hour". */
export const PERIOD = /^\d{1,5} (minute|hour|day|week|month|year)s?$/;
const period = (fallback: string) =>
  z.string().trim().regex(PERIOD, 'a period such as "6 months" or "30 days"').default(fallback);

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
const key32 = z
  .string()
  .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)');

export const operationsEnv = {
  // Retention (the spec's retention_policies): how long rows and vectors are kept; the maintenance stage removes the
  // rest once per RETENTION_INTERVAL_MS (0: never; `chimera retention` runs it by hand, with --dry-run).
  RETENTION_AUDIT_LOGS: period('2 years'),
  RETENTION_TASKS: period('6 months'),
  RETENTION_INTERACTIONS: period('1 year'),
  RETENTION_TRANSACTIONS: period('7 years'),
  RETENTION_TREND_ANALYSIS: period('1 year'),
  RETENTION_CONTENT_EMBEDDINGS: period('2 years'),
  // Sessions (the spec's 7 days): a session that expired or was revoked this long ago is removed.
  RETENTION_SESSIONS: period('7 days'),
  RETENTION_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(30 * 86_400_000)
    .default(86_400_000),
  // Backups (the spec's backup_strategy): where they go, how long each kind is kept, and an optional key.
  BACKUP_TARGET: z.enum(['local', 's3']).default('local'),
  BACKUP_DIR: z.string().min(1).default('./data/backups'),
  BACKUP_S3_ENDPOINT: optional(z.url()),
  BACKUP_S3_REGION: z.string().min(1).default('us-east-1'),
  BACKUP_S3_BUCKET: optional(z.string().min(3)),
  BACKUP_S3_PREFIX: z.string().default('chimera/'),
  BACKUP_S3_ACCESS_KEY_ID: optional(z.string().min(1)),
  BACKUP_S3_SECRET_ACCESS_KEY: optional(z.string().min(1)),
  BACKUP_S3_FORCE_PATH_STYLE: bool.default(true),
  BACKUP_ENCRYPTION_KEY: optional(key32),
  BACKUP_KEEP_POSTGRES: period('30 days'),
  BACKUP_KEEP_REDIS: period('7 days'),
  BACKUP_KEEP_VECTORS: period('12 weeks'),
  // Where pg_dump/pg_restore are (unset: PATH); they must be of the server's major version or newer.
  BACKUP_PG_BIN_DIR: optional(z.string().min(1)),
  // Weaviate's backup module (VECTOR_STORE=weaviate): s3, gcs, azure or filesystem, as enabled on the server.
  WEAVIATE_BACKUP_BACKEND: z.enum(['s3', 'gcs', 'azure', 'filesystem']).default('filesystem'),
  // The previous ENCRYPTION_KEY while `chimera rotate-keys --encryption-key` re-encrypts what it sealed.
  ENCRYPTION_KEY_PREVIOUS: optional(key32),
  // Secrets: values written ${vault:path/key} are read from Vault's KV v2 engine at start (token or Kubernetes auth).
  VAULT_AUTH: z.enum(['token', 'kubernetes']).default('token'),
  VAULT_ROLE: optional(z.string().min(1)),
  VAULT_KV_MOUNT: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('secret'),
  VAULT_KUBERNETES_MOUNT: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('kubernetes'),
  VAULT_KUBERNETES_TOKEN_FILE: z.string().min(1).default('/var/run/secrets/kubernetes.io/serviceaccount/token'),
  // Observability: Prometheus /metrics on the API (and on WORKER_METRICS_PORT in worker processes; 0 picks a free
  // port, unset serves none), OpenTelemetry traces when an OTLP/HTTP endpoint is set.
  METRICS: bool.default(true),
  METRICS_TOKEN: optional(z.string().min(16, 'must be at least 16 characters')),
  WORKER_METRICS_PORT: optional(z.coerce.number().int().min(0).max(65535)),
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(z.url()),
  OTEL_SERVICE_NAME: z.string().min(1).default('chimera'),
  // The system escalation triggers (spec): evaluated every MONITOR_INTERVAL_MS (0: off).
  MONITOR_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(15_000),
  MONITOR_ERROR_RATE: z.coerce.number().min(0).max(1).default(0.05),
  MONITOR_ERROR_RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
  MONITOR_RESPONSE_TIME_MS: z.coerce.number().int().min(1).max(600_000).default(5_000),
  MONITOR_RESPONSE_TIME_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  MONITOR_MEMORY_RATIO: z.coerce.number().min(0.01).max(1).default(0.9),
  MONITOR_MEMORY_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  // The memory the ratio is taken of; unset: the cgroup limit, else the machine's memory.
  MONITOR_MEMORY_LIMIT_BYTES: optional(z.coerce.number().int().min(1)),
  // Graceful shutdown: how long in-flight requests and jobs may take to finish after SIGTERM.
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(25_000),
};

type OperationsEnv = z.output<z.ZodObject<typeof operationsEnv>>;

export type BackupTarget =
  | { kind: 'local'; dir: string }
  | {
      kind: 's3';
      endpoint: string | undefined;
      region: string;
      bucket: string;
      prefix: string;
      accessKeyId: string;
      secretAccessKey: string;
      forcePathStyle: boolean;
    };

export interface OperationsConfig {
  retention: Readonly<{
    /** PostgreSQL intervals, as the spec writes them. */
    periods: Readonly<RetentionPeriods>;
    everyMs: number;
  }>;
  backup: Readonly<{
    target: Readonly<BackupTarget>;
    /** Where backups are staged (and kept, for the local target). */
    dir: string;
    encryptionKey: Buffer | undefined;
    keep: Readonly<{ postgres: string; redis: string; vectors: string }>;
    /** Directory of pg_dump and pg_restore (undefined: PATH). */
    pgBinDir: string | undefined;
    /** Weaviate's backup module, when the vector store is Weaviate. */
    weaviateBackend: 's3' | 'gcs' | 'azure' | 'filesystem';
  }>;
  /** Earlier encryption keys, readable while rotate-keys re-encrypts what they sealed. */
  previousEncryptionKeys: readonly Buffer[];
  observability: Readonly<{
    metrics: boolean;
    /** When set, /metrics wants `Authorization: Bearer <token>`. */
    metricsToken: string | undefined;
    workerMetricsPort: number | undefined;
    otel: Readonly<{ endpoint: string | undefined; serviceName: string }>;
  }>;
  monitor: Readonly<{
    everyMs: number;
    errorRate: Readonly<{ threshold: number; windowSeconds: number }>;
    responseTime: Readonly<{ thresholdMs: number; windowSeconds: number }>;
    memory: Readonly<{ ratio: number; windowSeconds: number; limitBytes: number | undefined }>;
  }>;
  shutdownGraceMs: number;
}

/** Builds the operations part; `fail(name, message)` throws the caller's ConfigError. */
export function operationsConfig(e: OperationsEnv, fail: (name: string, message: string) => never): OperationsConfig {
  let target: BackupTarget = { kind: 'local', dir: e.BACKUP_DIR };
  if (e.BACKUP_TARGET === 's3') {
    const need = (name: string, v: string | undefined) => v ?? fail(name, 'required when BACKUP_TARGET=s3');
    target = {
      kind: 's3',
      endpoint: e.BACKUP_S3_ENDPOINT,
      region: e.BACKUP_S3_REGION,
      bucket: need('BACKUP_S3_BUCKET', e.BACKUP_S3_BUCKET),
      prefix: e.BACKUP_S3_PREFIX,
      accessKeyId: need('BACKUP_S3_ACCESS_KEY_ID', e.BACKUP_S3_ACCESS_KEY_ID),
      secretAccessKey: need('BACKUP_S3_SECRET_ACCESS_KEY', e.BACKUP_S3_SECRET_ACCESS_KEY),
      forcePathStyle: e.BACKUP_S3_FORCE_PATH_STYLE,
    };
  }
  return Object.freeze({
    retention: Object.freeze({
      periods: Object.freeze({
        auditLogs: e.RETENTION_AUDIT_LOGS,
        tasks: e.RETENTION_TASKS,
        interactions: e.RETENTION_INTERACTIONS,
        transactions: e.RETENTION_TRANSACTIONS,
        trendAnalysis: e.RETENTION_TREND_ANALYSIS,
        contentEmbeddings: e.RETENTION_CONTENT_EMBEDDINGS,
        sessions: e.RETENTION_SESSIONS,
      }),
      everyMs: e.RETENTION_INTERVAL_MS,
    }),
    backup: Object.freeze({
      target: Object.freeze(target),
      dir: e.BACKUP_DIR,
      encryptionKey: e.BACKUP_ENCRYPTION_KEY ? Buffer.from(e.BACKUP_ENCRYPTION_KEY, 'base64') : undefined,
      keep: Object.freeze({
        postgres: e.BACKUP_KEEP_POSTGRES,
        redis: e.BACKUP_KEEP_REDIS,
        vectors: e.BACKUP_KEEP_VECTORS,
      }),
      pgBinDir: e.BACKUP_PG_BIN_DIR,
      weaviateBackend: e.WEAVIATE_BACKUP_BACKEND,
    }),
    previousEncryptionKeys: Object.freeze(
      e.ENCRYPTION_KEY_PREVIOUS ? [Buffer.from(e.ENCRYPTION_KEY_PREVIOUS, 'base64')] : [],
    ),
    observability: Object.freeze({
      metrics: e.METRICS,
      metricsToken: e.METRICS_TOKEN,
      workerMetricsPort: e.WORKER_METRICS_PORT,
      otel: Object.freeze({ endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME }),
    }),
    monitor: Object.freeze({
      everyMs: e.MONITOR_INTERVAL_MS,
      errorRate: Object.freeze({ threshold: e.MONITOR_ERROR_RATE, windowSeconds: e.MONITOR_ERROR_RATE_WINDOW_SECONDS }),
      responseTime: Object.freeze({
        thresholdMs: e.MONITOR_RESPONSE_TIME_MS,
        windowSeconds: e.MONITOR_RESPONSE_TIME_WINDOW_SECONDS,
      }),
      memory: Object.freeze({
        ratio: e.MONITOR_MEMORY_RATIO,
        windowSeconds: e.MONITOR_MEMORY_WINDOW_SECONDS,
        limitBytes: e.MONITOR_MEMORY_LIMIT_BYTES,
      }),
    }),
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  });
}
