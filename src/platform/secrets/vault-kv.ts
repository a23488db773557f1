// HashiCorp Vault's KV v2 secrets engine over HTTP: log in (a token, or Kubernetes service-account auth), then read
// secrets by path. Errors say what failed and where, never a secret value or a token.
import { readFile } from 'node:fs/promises';

export type VaultAuth =
  | { kind: 'token'; token: string }
  | { kind: 'kubernetes'; role: string; jwtFile: string; mount: string };

export interface VaultKvOptions {
  address: string;
  namespace?: string | undefined;
  auth: VaultAuth;
  /** The KV v2 engine's mount (default "secret"). */
  mount?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export type VaultErrorCode = 'UNREACHABLE' | 'LOGIN_FAILED' | 'PERMISSION_DENIED' | 'NOT_FOUND' | 'BAD_RESPONSE';

export class VaultError extends Error {
  override name = 'VaultError';
  constructor(
    readonly code: VaultErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface VaultKv {
  /** The key/value pairs of a secret (KV v2 `data.data`). */
  read(path: string): Promise<Record<string, unknown>>;
}

export function createVaultKv(opts: VaultKvOptions): VaultKv {
  const doFetch = opts.fetch ?? fetch;
  const base = `${opts.address.replace(/\/$/, '')}/v1`;
  const timeoutMs = opts.timeoutMs ?? 5_000;
  let token: Promise<string> | undefined;

  async function call(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: unknown) {
    let res: Response;
    try {
      res = await doFetch(`${base}/${path}`, {
        method,
        headers: {
          ...(opts.namespace ? { 'x-vault-namespace': opts.namespace } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new VaultError('UNREACHABLE', `Vault at ${opts.address} did not answer (${(err as Error).message}).`);
    }
    const json = (await res.json().catch(() => null)) as {
      data?: { data?: Record<string, unknown> };
      auth?: { client_token?: string };
      errors?: string[];
    } | null;
    return { status: res.status, json };
  }

  async function login(): Promise<string> {
    if (opts.auth.kind === 'token') return opts.auth.token;
    const { role, jwtFile, mount } = opts.auth;
    let jwt: string;
    try {
      jwt = (await readFile(jwtFile, 'utf8')).trim();
    } catch (err) {
      throw new VaultError(
        'LOGIN_FAILED',
        `Cannot read the Kubernetes service-account token at ${jwtFile} (${(err as Error).message}).`,
      );
    }
    const { status, json } = await call('POST', `auth/${mount}/login`, {}, { role, jwt });
    const clientToken = json?.auth?.client_token;
    if (status !== 200 || !clientToken) {
      const why = (json?.errors ?? []).join('; ') || `status ${status}`;
      throw new VaultError('LOGIN_FAILED', `Vault refused the Kubernetes login for role "${role}" (${why}).`);
    }
    return clientToken;
  }

  return {
    async read(path) {
      token ??= login();
      const t = await token.catch((err: unknown) => {
        token = undefined;
        throw err;
      });
      const { status, json } = await call('GET', `${opts.mount ?? 'secret'}/data/${path.replace(/^\/+/, '')}`, {
        'x-vault-token': t,
      });
      if (status === 403)
        throw new VaultError('PERMISSION_DENIED', `Vault denied reading "${path}" (permission denied).`);
      if (status === 404) throw new VaultError('NOT_FOUND', `Vault has no secret at "${path}".`);
      const data = json?.data?.data;
      if (status !== 200 || !data || typeof data !== 'object') {
        throw new VaultError('BAD_RESPONSE', `Vault answered ${status} for "${path}" without a KV v2 secret.`);
      }
      return data;
    },
  };
}
