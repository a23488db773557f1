// Tells a new user, in one line each, whether PostgreSQL and Redis are reachable at the configured URLs.
import { Redis } from 'ioredis';
import pg from 'pg';
import { type Config, ConfigError, loadConfigWithSecrets } from '../src/config.js';

let config: Config;
try {
  config = await loadConfigWithSecrets();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
const problems: string[] = [];

const maintenanceUrl = new URL(config.databaseUrl);
maintenanceUrl.pathname = '/postgres';
const client = new pg.Client({ connectionString: maintenanceUrl.toString(), connectionTimeoutMillis: 3000 });
try {
  await client.connect();
  await client.query('SELECT 1');
} catch (err) {
  problems.push(`PostgreSQL at ${maintenanceUrl.host} is not reachable (${(err as Error).message}).`);
} finally {
  await client.end().catch(() => undefined);
}

const redis = new Redis(config.redisUrl, {
  lazyConnect: true,
  maxRetriesPerRequest: 0,
  connectTimeout: 3000,
  retryStrategy: () => null,
});
redis.on('error', () => undefined);
try {
  await redis.connect();
  await redis.ping();
} catch (err) {
  problems.push(`Redis at ${config.redisUrl} is not reachable (${(err as Error).message}).`);
} finally {
  redis.disconnect();
}

if (problems.length) {
  process.stderr.write(
    `${problems.join('\n')}\nStart them (or \`docker compose up -d postgres redis\`) and set DATABASE_URL / REDIS_URL if they are elsewhere.\n`,
  );
  process.exit(1);
}
