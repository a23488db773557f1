// ${vault:path/key} references resolved from a server speaking Vault's KV v2 API (test/helpers/fake-vault.ts), with
// token and Kubernetes auth: the API process starts with its database URL, Redis URL and encryption key from Vault,
// each path is read once, every failure is a ConfigError naming the variable and the reference (with a VAULT_* code)
// but never a value, the token or the service-account JWT, and a resolved secret never reaches a log line.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSecretReferences } from '../../src/config/secret-references.js';
import { ConfigError, loadConfig, loadConfigWithSecrets } from '../../src/config.js';
import { createLogger, redactSecretText, redactValues } from '../../src/platform/log/logger.js';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../helpers/db.js';
import { type FakeVault, startFakeVault } from '../helpers/fake-vault.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'hvs.test-token-0123456789';
const K8S_TOKEN = 'hvs.k8s-issued-token-99';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.service-account-jwt.sig';
const DB_PASSWORD = 'pw-from-vault-7f3a9c';
const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
const JWT_SECRET = 'jwt-secret-from-vault-42';
const NOT_AN_ADDRESS = 'secret-recipient-list-value';
const BROKEN_JSON = 'not json at all, but a secret: s3cr3t-0815-xyz';
let vault: FakeVault;
let database: TestDatabase;
let dir: string;
let jwtFile: string;
/** A port nothing listens on (a server's, closed again). */
let closedPort: number;

beforeAll(async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  database = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'chimera-vault-'));
  jwtFile = join(dir, 'sa-token');
  writeFileSync(jwtFile, `${JWT}\n`);
  const dbUrl = new URL(database.url);
  vault = await startFakeVault({
    token: TOKEN,
    namespace: 'chimera',
    secrets: {
      'database/postgresql': {
        url: database.url,
        password: DB_PASSWORD,
        host: dbUrl.host,
        name: dbUrl.pathname.slice(1),
      },
      'database/redis': { url: 'redis://127.0.0.1:6379' },
      'security/keys': { encryption_key: ENCRYPTION_KEY, jwt_secret: JWT_SECRET, port: 4711, nested: { a: 1 } },
      'security/bad': { recipients: NOT_AN_ADDRESS, oidc: BROKEN_JSON },
    },
    denied: ['security/forbidden'],
    deleted: ['security/old'],
    kubernetes: { role: 'chimera-app', jwt: JWT, token: K8S_TOKEN },
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
  CHIMERA_ENV: 'test',
  VAULT_ADDR: vault.url,
  VAULT_TOKEN: TOKEN,
  VAULT_NAMESPACE: 'chimera',
  ...extra,
});

const k8sEnv = (extra: Record<string, string> = {}) => ({
  CHIMERA_ENV: 'test',
  VAULT_ADDR: vault.url,
  VAULT_NAMESPACE: 'chimera',
  VAULT_AUTH: 'kubernetes',
  VAULT_ROLE: 'chimera-app',
  VAULT_KUBERNETES_TOKEN_FILE: jwtFile,
  ...extra,
});

/** The ConfigError loadConfigWithSecrets throws; none of the secrets or credentials may appear in it. */
async function configError(
  env: Record<string, string>,
  opts: { attempts?: number; retryDelayMs?: number } = { attempts: 1 },
): Promise<ConfigError> {
  const err = await loadConfigWithSecrets(env, opts).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  const message = (err as ConfigError).message;
  for (const secret of [TOKEN, K8S_TOKEN, JWT, DB_PASSWORD, ENCRYPTION_KEY, JWT_SECRET, NOT_AN_ADDRESS, database.url]) {
    expect(message).not.toContain(secret);
  }
  return err as ConfigError;
}

function logSink() {
  let written = '';
  const sink = new Writable({
    write(chunk, _e, done) {
      written += chunk.toString();
      done();
    },
  });
  return { logger: createLogger('info', {}, sink), text: () => written };
}

describe('resolving references', () => {
  it('resolves whole and embedded references, reading each path once, with the token and the namespace', async () => {
    vault.requests.length = 0;
    vault.seen.length = 0;
    const config = await loadConfigWithSecrets(
      vaultEnv({
        DATABASE_URL: `postgresql://postgres:${ref('database/postgresql/password')}@${ref('database/postgresql/host')}/${ref('database/postgresql/name')}`,
        REDIS_URL: ref('database/redis/url'),
        ENCRYPTION_KEY: ref('security/keys/encryption_key'),
        PORT: ref('security/keys/port'),
        CHIMERA_LOG_LEVEL: 'warn',
      }),
    );
    const url = new URL(config.databaseUrl);
    expect(url.password).toBe(DB_PASSWORD);
    expect(`${url.host}${url.pathname}`).toBe(`${new URL(database.url).host}${new URL(database.url).pathname}`);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.encryptionKey.toString('base64')).toBe(ENCRYPTION_KEY);
    expect(config.encryptionKeyIsDevelopmentDefault).toBe(false);
    expect(config.port).toBe(4711);
    expect(config.logLevel).toBe('warn');
    expect(vault.requests.sort()).toEqual([
      'GET /v1/secret/data/database/postgresql',
      'GET /v1/secret/data/database/redis',
      'GET /v1/secret/data/security/keys',
    ]);
    expect(vault.seen.every((r) => r.token === TOKEN && r.namespace === 'chimera')).toBe(true);
  });

  it('needs no Vault for plain values, and leaves variables that are not configuration alone', async () => {
    vault.requests.length = 0;
    const plain = await loadConfigWithSecrets({ CHIMERA_ENV: 'test', DATABASE_URL: 'postgresql://x@y/z' });
    expect(plain.databaseUrl).toBe('postgresql://x@y/z');
    const other = await resolveSecretReferences(
      { NOT_CHIMERAS: ref('a/b'), DATABASE_URL: 'postgresql://x@y/z' },
      { names: ['DATABASE_URL'] },
    );
    expect(other.env.NOT_CHIMERAS).toBe(ref('a/b'));
    expect(vault.requests).toEqual([]);
    // The synchronous loader refuses an unresolved reference instead of calling it a bad URL.
    expect(() => loadConfig({ DATABASE_URL: ref('database/postgresql/url') })).toThrow(
      /DATABASE_URL: holds a \$\{vault:…\} reference; load it with loadConfigWithSecrets/,
    );
  });

  it('logs in with Kubernetes auth (in the namespace) and reads with the token Vault issued', async () => {
    vault.seen.length = 0;
    const config = await loadConfigWithSecrets(k8sEnv({ JWT_ISSUER: ref('security/keys/jwt_secret') }));
    expect(config.auth.issuer).toBe(JWT_SECRET);
    expect(vault.seen.map((r) => `${r.method} ${r.path} ${r.token ?? '-'} ${r.namespace}`)).toEqual([
      'POST /v1/auth/kubernetes/login - chimera',
      `GET /v1/secret/data/security/keys ${K8S_TOKEN} chimera`,
    ]);
  });

  it('gives the wallets’ transit engine the token a Kubernetes login issued, also without references', async () => {
    vault.requests.length = 0;
    const config = await loadConfigWithSecrets(k8sEnv({ WALLET_KEY_PROVIDER: 'vault' }));
    expect(config.wallets.keys).toMatchObject({ provider: 'vault', address: vault.url, token: K8S_TOKEN });
    expect(vault.requests).toEqual(['POST /v1/auth/kubernetes/login']);
  });

  it('retries while Vault answers 503 (sealed, restarting), and gives up with VAULT_UNREACHABLE', async () => {
    vault.sealFor(2);
    const config = await loadConfigWithSecrets(vaultEnv({ JWT_ISSUER: ref('security/keys/jwt_secret') }), {
      attempts: 3,
      retryDelayMs: 5,
    });
    expect(config.auth.issuer).toBe(JWT_SECRET);
    vault.sealFor(5);
    const err = await configError(vaultEnv({ JWT_ISSUER: ref('security/keys/jwt_secret') }), {
      attempts: 2,
      retryDelayMs: 5,
    });
    vault.sealFor(0);
    expect(err.code).toBe('VAULT_UNREACHABLE');
    expect(err.message).toMatch(/JWT_ISSUER: \$\{vault:security\/keys\/jwt_secret\}: .*Vault is sealed/);
  });
});

describe('failures', () => {
  const cases: [string, () => Record<string, string>, string, RegExp][] = [
    [
      'a missing path',
      () => vaultEnv({ DATABASE_URL: ref('database/missing/url') }),
      'VAULT_NOT_FOUND',
      /DATABASE_URL: \$\{vault:database\/missing\/url\}: Vault has no secret at "database\/missing"/,
    ],
    [
      'a deleted secret',
      () => vaultEnv({ DATABASE_URL: ref('security/old/url') }),
      'VAULT_NOT_FOUND',
      /DATABASE_URL: .*"security\/old".*\(deleted\)/,
    ],
    [
      'a missing key',
      () => vaultEnv({ DATABASE_URL: ref('database/postgresql/nope') }),
      'VAULT_KEY_NOT_FOUND',
      /DATABASE_URL: \$\{vault:database\/postgresql\/nope\}: Vault's secret "database\/postgresql" has no key "nope"/,
    ],
    [
      'a key holding JSON, not text',
      () => vaultEnv({ JWT_ISSUER: ref('security/keys/nested') }),
      'VAULT_KEY_NOT_FOUND',
      /JWT_ISSUER: .*holds a JSON object at "nested", not text/,
    ],
    [
      'a path the token may not read',
      () => vaultEnv({ OPENAI_API_KEY: ref('security/forbidden/key') }),
      'VAULT_PERMISSION_DENIED',
      /OPENAI_API_KEY: \$\{vault:security\/forbidden\/key\}: Vault denied reading "security\/forbidden".*permission denied/,
    ],
    [
      'a wrong token',
      () => vaultEnv({ VAULT_TOKEN: 'hvs.wrong-token-xyz', DATABASE_URL: ref('database/postgresql/url') }),
      'VAULT_PERMISSION_DENIED',
      /DATABASE_URL: .*permission denied/,
    ],
    [
      'no namespace where Vault wants one',
      () => ({ ...vaultEnv({ DATABASE_URL: ref('database/postgresql/url') }), VAULT_NAMESPACE: '' }),
      'VAULT_PERMISSION_DENIED',
      /DATABASE_URL: .*permission denied/,
    ],
    [
      'a reference without a key',
      () => vaultEnv({ DATABASE_URL: ref('nokey') }),
      'VAULT_BAD_REFERENCE',
      /DATABASE_URL: \$\{vault:nokey\} is not a reference of the form \$\{vault:path\/key\}/,
    ],
    [
      'a path climbing out',
      () => vaultEnv({ DATABASE_URL: ref('../sys/key') }),
      'VAULT_BAD_REFERENCE',
      /DATABASE_URL: \$\{vault:\.\.\/sys\/key\} is not a reference/,
    ],
    [
      'an unterminated reference (what follows is not shown)',
      () => vaultEnv({ DATABASE_URL: `\${vault:database/postgresql/url ${DB_PASSWORD}` }),
      'VAULT_BAD_REFERENCE',
      /DATABASE_URL: an unterminated \$\{vault:… \(no closing "}"\)/,
    ],
    [
      'a Vault setting that is a reference',
      () => vaultEnv({ VAULT_TOKEN: ref('security/keys/token'), DATABASE_URL: ref('database/postgresql/url') }),
      'VAULT_BAD_REFERENCE',
      /VAULT_TOKEN: cannot be a \$\{vault:…\} reference/,
    ],
    [
      'no VAULT_ADDR',
      () => ({ CHIMERA_ENV: 'test', DATABASE_URL: ref('database/postgresql/url') }),
      'VAULT_NOT_CONFIGURED',
      /VAULT_ADDR: required to resolve \$\{vault:…\} references \(to resolve \$\{vault:database\/postgresql\/url\} in DATABASE_URL\)/,
    ],
    [
      'no VAULT_TOKEN',
      () => ({ ...vaultEnv({ DATABASE_URL: ref('database/postgresql/url') }), VAULT_TOKEN: '' }),
      'VAULT_NOT_CONFIGURED',
      /VAULT_TOKEN: required with VAULT_AUTH=token/,
    ],
    [
      'an unreachable Vault',
      () => vaultEnv({ VAULT_ADDR: `http://127.0.0.1:${closedPort}`, DATABASE_URL: ref('database/postgresql/url') }),
      'VAULT_UNREACHABLE',
      /DATABASE_URL: .*Vault at http:\/\/127\.0\.0\.1:\d+ did not answer \(ECONNREFUSED\) after 1 attempt/,
    ],
    [
      'a Kubernetes login with a JWT Vault refuses',
      () => k8sEnv({ VAULT_KUBERNETES_TOKEN_FILE: join(dir, 'stolen'), DATABASE_URL: ref('database/postgresql/url') }),
      'VAULT_LOGIN_FAILED',
      /DATABASE_URL: .*Vault refused the Kubernetes login at auth\/kubernetes for role "chimera-app" \(403: permission denied\)/,
    ],
    [
      'a Kubernetes login for an unknown role',
      () => k8sEnv({ VAULT_ROLE: 'nobody', DATABASE_URL: ref('database/postgresql/url') }),
      'VAULT_LOGIN_FAILED',
      /\(400: invalid role name "nobody"\)/,
    ],
    [
      'a missing service-account token file',
      () => k8sEnv({ VAULT_KUBERNETES_TOKEN_FILE: join(dir, 'absent'), DATABASE_URL: ref('database/postgresql/url') }),
      'VAULT_LOGIN_FAILED',
      /Cannot read the Kubernetes service-account token file .*absent \(ENOENT\)/,
    ],
    [
      'Kubernetes auth without a role',
      () => ({ ...k8sEnv({ DATABASE_URL: ref('database/postgresql/url') }), VAULT_ROLE: '' }),
      'VAULT_NOT_CONFIGURED',
      /VAULT_ROLE: required with VAULT_AUTH=kubernetes/,
    ],
  ];
  it.each(cases)(
    '%s: a ConfigError with its code, naming the variable and the reference',
    async (_n, env, code, re) => {
      writeFileSync(join(dir, 'stolen'), 'eyJ.a-stolen-token.sig');
      const err = await configError(env());
      expect(err.code).toBe(code);
      expect(err.message).toMatch(/^Invalid configuration:\n {2}/);
      expect(err.message).toMatch(re);
    },
  );

  it('reports every failing reference at once', async () => {
    const err = await configError(
      vaultEnv({
        DATABASE_URL: ref('database/missing/url'),
        OPENAI_API_KEY: ref('security/forbidden/key'),
        JWT_ISSUER: ref('security/keys/nope'),
      }),
    );
    const lines = err.message.split('\n').slice(1);
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => l.trim().split(':')[0]).sort()).toEqual(['DATABASE_URL', 'JWT_ISSUER', 'OPENAI_API_KEY']);
  });

  it('censors a resolved value that the configuration then rejects, and names where it came from', async () => {
    const recipients = await configError(vaultEnv({ TRANSFER_RECIPIENTS: ref('security/bad/recipients') }));
    expect(recipients.code).toBe('CONFIG_INVALID');
    expect(recipients.message).toContain(
      `TRANSFER_RECIPIENTS (from ${ref('security/bad/recipients')}): "[redacted]" is not an address`,
    );
    // JSON.parse quotes the start of the text it failed on: that piece is censored too.
    const oidc = await configError(vaultEnv({ OIDC_ISSUERS: ref('security/bad/oidc') }));
    expect(oidc.message).toContain(`OIDC_ISSUERS (from ${ref('security/bad/oidc')}):`);
    expect(oidc.message).toContain('[redacted]');
    expect(oidc.message).not.toMatch(/not json at/);
  });
});

describe('secrets in logs', () => {
  it('censors every resolved value, URL password and Vault credential in any field, message or stack', async () => {
    await loadConfigWithSecrets(
      k8sEnv({
        DATABASE_URL: `postgresql://postgres:${ref('database/postgresql/password')}@db.internal:5432/x`,
        JWT_ISSUER: ref('security/keys/jwt_secret'),
      }),
    );
    const { logger, text } = logSink();
    const err = new Error(`connect failed for postgresql://postgres:${DB_PASSWORD}@db.internal:5432/x`);
    logger.error({ err, nested: { deeper: [JWT_SECRET] }, quoted: `"${JWT_SECRET}"` }, `pw=${DB_PASSWORD}`);
    logger.info({ vault: { issued: K8S_TOKEN, jwt: JWT } }, 'login done');
    logger.info({ headers: { authorization: 'Bearer abc' }, user: { password: 'hunter2', apiKey: 'sk-1' } }, 'paths');
    const lines = text();
    for (const secret of [DB_PASSWORD, JWT_SECRET, K8S_TOKEN, JWT, 'hunter2', 'Bearer abc', 'sk-1']) {
      expect(lines).not.toContain(secret);
    }
    expect(lines.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(9);
    // The line is still JSON, and what is not secret is still there.
    const first = JSON.parse(lines.split('\n')[0] as string) as { msg: string; err: { stack: string } };
    expect(first.msg).toBe('pw=[redacted]');
    expect(first.err.stack).toContain('connect failed for postgresql://postgres:[redacted]@db.internal:5432/x');
  });

  it('censors secrets given as plain values too (no Vault): keys, tokens, webhook secrets, URL passwords', async () => {
    const plain = {
      OPENAI_API_KEY: 'sk-plain-openai-key-1234',
      METRICS_TOKEN: 'plain-metrics-token-5678',
      WEBHOOK_SECRETS: JSON.stringify({ social: 'plain-webhook-secret-9012' }),
      REDIS_URL: 'redis://:plain-redis-pass-3456@127.0.0.1:6379',
    };
    await loadConfigWithSecrets({ ...process.env, ...plain });
    const { logger, text } = logSink();
    logger.error(
      { url: plain.REDIS_URL },
      'sk-plain-openai-key-1234 plain-metrics-token-5678 plain-webhook-secret-9012 in a message',
    );
    const written = text();
    for (const secret of ['sk-plain-openai-key-1234', 'plain-metrics-token-5678', 'plain-webhook-secret-9012']) {
      expect(written).not.toContain(secret);
    }
    expect(written).not.toContain('plain-redis-pass-3456');
    expect(written).toContain('redis://:[redacted]@127.0.0.1:6379');
    expect(redactSecretText('key=sk-plain-openai-key-1234')).toBe('key=[redacted]');
  });

  it('censors a value as JSON escapes it (quotes, backslashes, newlines)', async () => {
    const awkward = 'a"quoted\\secret\nwith-lines';
    redactValues([awkward]);
    const { logger, text } = logSink();
    logger.info({ field: `x${awkward}y` }, awkward);
    expect(text()).not.toContain(JSON.stringify(awkward).slice(1, -1));
    expect(JSON.parse(text())).toMatchObject({ field: 'x[redacted]y', msg: '[redacted]' });
  });
});

/** Runs an entry point as production does (node --import tsx), with this environment only. */
function run(entry: string, env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

describe('the real processes', () => {
  it('the API starts with its database URL, Redis URL and encryption key from Vault', { timeout: 90_000 }, async () => {
    vault.requests.length = 0;
    const dbUrl = new URL(database.url);
    const api = run('src/main.ts', {
      ...vaultEnv(),
      CHIMERA_LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: '0',
      // The password is ignored by trust auth; it still travels in the URL and must never be logged.
      DATABASE_URL: `postgresql://postgres:${ref('database/postgresql/password')}@${dbUrl.host}${dbUrl.pathname}`,
      REDIS_URL: ref('database/redis/url'),
      REDIS_KEY_PREFIX: testRedisPrefix(),
      ENCRYPTION_KEY: ref('security/keys/encryption_key'),
      JWT_ISSUER: ref('security/keys/jwt_secret'),
      EMBEDDED_WORKERS: 'false',
      CHAIN_EMBEDDED: 'false',
      SOCIAL_SANDBOX: 'false',
      VECTOR_STORE_DIR: join(dir, 'vectors'),
    });
    try {
      const deadline = Date.now() + 60_000;
      let url: string | undefined;
      while (!url && Date.now() < deadline && api.child.exitCode === null) {
        url = /"url":"(http:\/\/127\.0\.0\.1:\d+)\/graphql"/.exec(api.output())?.[1];
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(url, api.output()).toBeDefined();
      expect((await fetch(`${url}/ready`)).status).toBe(200);
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ publicTrends(limit: 1) { id } }' }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
      expect(vault.requests.sort()).toEqual([
        'GET /v1/secret/data/database/postgresql',
        'GET /v1/secret/data/database/redis',
        'GET /v1/secret/data/security/keys',
      ]);
    } finally {
      api.child.kill('SIGTERM');
      await api.exited;
    }
    for (const secret of [DB_PASSWORD, ENCRYPTION_KEY, JWT_SECRET, TOKEN]) expect(api.output()).not.toContain(secret);
    // The encryption key came from Vault: no warning about the built-in development key.
    expect(api.output()).not.toContain('ENCRYPTION_KEY is not set');
  });

  it('a worker whose secret is missing exits 1 with one line naming the variable and the reference', async () => {
    const worker = run('workers/planner.ts', {
      ...vaultEnv(),
      DATABASE_URL: ref('database/postgresql/nope'),
      REDIS_URL: ref('database/redis/url'),
    });
    expect(await worker.exited).toBe(1);
    expect(worker.output().trim()).toBe(
      `Invalid configuration:\n  DATABASE_URL: \${vault:database/postgresql/nope}: Vault's secret "database/postgresql" has no key "nope" (VAULT_KEY_NOT_FOUND)`,
    );
  }, 60_000);
});
