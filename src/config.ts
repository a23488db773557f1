// The one place that reads the environment. Everything else receives a Config.
import { z } from 'zod';

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
});

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
}>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses configuration from an environment (process.env by default). Throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
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
  });
}
