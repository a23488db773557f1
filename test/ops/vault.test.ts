// ${vault:path/key} references resolved from a server speaking Vault's KV v2 API, with token and Kubernetes auth:
// the API starts with its database URL from Vault, each path is read once, every failure names the variable and the
// reference but never a value or the token, and a resolved secret never reaches a log line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfigWithSecrets, resolveSecretReferences } from '../../src/config.js';
import { createLogger } from '../../src/platform/log/logger.js';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../helpers/db.js';
import { type FakeVault, startFakeVault } from '../helpers/fake-vault.js';

const TOKEN = 'hvs.test-token-0123456789';
const DB_PASSWORD = 'pw-from-vault-7f3a9c';
let vault: FakeVault;
let database: TestDatabase;
let dir: string;

beforeAll(async () => {
  database = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'chimera-vault-'));
  vault = await startFakeVault({
    token: TOKEN,
    namespace: 'chimera',
    secrets: {
      'database/postgresql': { url: database.url, password: DB_PASSWORD },
      'security/keys': {
        encryption_key: Buffer.alloc(32, 7).toString('base64'),
        jwt_secret: 'jwt-secret-from-vault-42',
      },
    },
    denied: ['security/forbidden'],
    kubernetes: { role: 'chimera-app', jwt: 'service-account-jwt', token: 'hvs.k8s-issued-token-99' },
  });
});
afterAll(async () => {
  await vault?.close();
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** A reference as an operator writes it: ${vault:path/key}. */
const ref = (body: string) => `\${vault:${body}}`;

const vaultEnv = (extra: Record<string, string> = {}) => ({
  VAULT_ADDR: vault.url,
  VAULT_TOKEN: TOKEN,
  VAULT_NAMESPACE: 'chimera',
  ...extra,
});

async function configError(env: Record<string, string>): Promise<string> {
  const err = await resolveSecretReferences(env).then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(err?.name).toBe('ConfigError');
  return err?.message ?? '';
}

describe('vault references in the configuration', () => {
  it('resolves whole and embedded references, reading each path once; plain values need no Vault', async () => {
    vault.requests.length = 0;
    const { env, secrets } = await resolveSecretReferences(
      vaultEnv({
        DATABASE_URL: ref('database/postgresql/url'),
        REDIS_URL: `redis://:${ref('database/postgresql/password')}@127.0.0.1:6379`,
        ENCRYPTION_KEY: ref('security/keys/encryption_key'),
        CHIMERA_LOG_LEVEL: 'warn',
      }),
    );
    expect(env.DATABASE_URL).toBe(database.url);
    expect(env.REDIS_URL).toBe(`redis://:${DB_PASSWORD}@127.0.0.1:6379`);
    expect(env.CHIMERA_LOG_LEVEL).toBe('warn');
    expect(secrets).toContain(DB_PASSWORD);
    expect(vault.requests.sort()).toEqual([
      'GET /v1/secret/data/database/postgresql',
      'GET /v1/secret/data/security/keys',
    ]);
    const plain = await resolveSecretReferences({ DATABASE_URL: 'postgresql://x@y/z' });
    expect(plain.env.DATABASE_URL).toBe('postgresql://x@y/z');
  });

  it('logs in with Kubernetes auth and reads with the token Vault issued', async () => {
    const jwtFile = join(dir, 'sa-token');
    writeFileSync(jwtFile, 'service-account-jwt\n');
    vault.requests.length = 0;
    const { env } = await resolveSecretReferences({
      VAULT_ADDR: vault.url,
      VAULT_NAMESPACE: 'chimera',
      VAULT_AUTH: 'kubernetes',
      VAULT_ROLE: 'chimera-app',
      VAULT_KUBERNETES_TOKEN_FILE: jwtFile,
      JWT_SECRET: ref('security/keys/jwt_secret'),
    });
    expect(env.JWT_SECRET).toBe('jwt-secret-from-vault-42');
    expect(vault.requests).toEqual(['POST /v1/auth/kubernetes/login', 'GET /v1/secret/data/security/keys']);
    writeFileSync(jwtFile, 'a-stolen-token');
    const refused = await configError({
      ...vaultEnv(),
      VAULT_AUTH: 'kubernetes',
      VAULT_ROLE: 'chimera-app',
      VAULT_KUBERNETES_TOKEN_FILE: jwtFile,
      X: ref('security/keys/jwt_secret'),
    });
    expect(refused).toContain('LOGIN_FAILED');
    expect(await configError({ ...vaultEnv(), VAULT_AUTH: 'kubernetes', X: ref('a/b') })).toContain('VAULT_ROLE');
  });

  it('names the variable and the reference of every failure, never a value or the token', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { ...vaultEnv(), DATABASE_URL: ref('database/missing/url') },
        /DATABASE_URL: .*database\/missing.*no secret.*NOT_FOUND/,
      ],
      [
        { ...vaultEnv(), DATABASE_URL: ref('database/postgresql/nope') },
        /DATABASE_URL: .*"database\/postgresql" has no key "nope"/,
      ],
      [
        { ...vaultEnv(), OPENAI_API_KEY: ref('security/forbidden/key') },
        /OPENAI_API_KEY: .*permission denied.*PERMISSION_DENIED/,
      ],
      [
        { ...vaultEnv({ VAULT_TOKEN: 'hvs.wrong' }), DATABASE_URL: ref('database/postgresql/url') },
        /PERMISSION_DENIED/,
      ],
      [{ ...vaultEnv(), DATABASE_URL: ref('nokey') }, /DATABASE_URL: \$\{vault:nokey\} is not a reference of the form/],
      [{ DATABASE_URL: ref('database/postgresql/url') }, /VAULT_ADDR: required/],
      [
        { ...vaultEnv({ VAULT_ADDR: 'http://127.0.0.1:1' }), DATABASE_URL: ref('database/postgresql/url') },
        /UNREACHABLE/,
      ],
    ];
    for (const [env, expected] of cases) {
      const message = await configError(env);
      expect(message).toMatch(expected);
      expect(message).not.toContain(TOKEN);
      expect(message).not.toContain(DB_PASSWORD);
      expect(message).not.toContain(database.url);
    }
  });

  it('starts the API on a database whose URL comes from Vault, and never logs a resolved secret', async () => {
    const config = await loadConfigWithSecrets({
      ...vaultEnv(),
      CHIMERA_ENV: 'test',
      DATABASE_URL: ref('database/postgresql/url'),
      // Resolved (and so redacted) though unused while EDGE_PURGE is none.
      FASTLY_API_TOKEN: ref('database/postgresql/password'),
      REDIS_KEY_PREFIX: testRedisPrefix(),
      VECTOR_STORE_DIR: join(dir, 'vectors'),
      CHAIN_EMBEDDED: 'false',
      SOCIAL_SANDBOX: 'false',
    });
    expect(config.databaseUrl).toBe(database.url);
    const app = createApp(config);
    try {
      const res = await app.yoga.fetch('http://chimera/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ publicTrends(limit: 1) { id } }' }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
    } finally {
      await app.close(0);
    }
    // Any logger, any field, even inside an error message: the value is censored.
    let written = '';
    const sink = new Writable({
      write(chunk, _e, done) {
        written += chunk.toString();
        done();
      },
    });
    const logger = createLogger('info', {}, sink);
    logger.error(
      { err: new Error(`connect failed for ${database.url}`), nested: { pw: DB_PASSWORD } },
      `pw=${DB_PASSWORD}`,
    );
    await new Promise((r) => setImmediate(r));
    expect(written).toContain('[redacted]');
    expect(written).not.toContain(DB_PASSWORD);
    expect(written).not.toContain(database.url);
  });
});
