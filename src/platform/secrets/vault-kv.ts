// HashiCorp Vault's KV v2 secrets engine over HTTP: log in (a token, or Kubernetes service-account auth), then read
// secrets by path (GET /v1/<mount>/data/<path> → data.data). Errors say what failed and where, never a secret value
// or a token; Vault's own error texts (which never hold either) are passed on.
import { readFile } from 'node:fs/promises';

export type VaultAuth =
  | { kind: 'token'; token: string }
  | { kind: 'kubernetes'; role: string; jwtFile: string; mount: string };

export interface VaultKvOptions {
  address: string;
  /** Vault Enterprise namespace, sent as X-Vault-Namespace on every request (the login too). */
  namespace?: string | undefined;
  auth: VaultAuth;
  /** The KV v2 engine's mount (default "secret"). */
  mount?: string;
  /** Per request (default 5 s). */
  timeoutMs?: number;
  /** Attempts for a request Vault did not answer or answered 5xx (sealed, standby, restarting): default 3. */
  attempts?: number;
  /** The pause before the second attempt, doubled for each further one (default 250 ms). */
  retryDelayMs?: number;
  /** Told every credential this client holds (the token, the service-account JWT), so callers can censor them. */
  onCredential?: (value: string) => void;
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
  /** The key/value pairs of a secret's current version (KV v2 `data.data`). */
  read(path: string): Promise<Record<string, unknown>>;
  /** The token reads are made with (after a Kubernetes login: the one Vault issued). */
  token(): Promise<string>;
}

/** A KV path: segments of letters, digits, `_`, `.`, `-` (no empty, `.` or `..` segment). */
const PATH = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;
export const isVaultPath = (path: string): boolean => PATH.test(path);

interface VaultBody {
  data?: { data?: Record<string, unknown> | null; metadata?: { deletion_time?: string; destroyed?: boolean } };
  auth?: { client_token?: string };
  errors?: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const reasons = (body: VaultBody | null) =>
  (body?.errors ?? [])
    .map((e) =>
      String(e)
        .replace(/\s+/g, ' ')
        .replace(/^1 error occurred: \* /, ''),
    )
    .join('; ')
    .trim();

export function createVaultKv(opts: VaultKvOptions): VaultKv {
  const doFetch = opts.fetch ?? fetch;
  const base = `${opts.address.replace(/\/+$/, '')}/v1`;
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const attempts = Math.max(1, opts.attempts ?? 3);
  const retryDelayMs = opts.retryDelayMs ?? 250;
  const mount = opts.mount ?? 'secret';
  let token: Promise<string> | undefined;

  async function once(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: unknown) {
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
        redirect: 'error',
      });
    } catch (err) {
      // fetch's own error says only "fetch failed"; the cause says why (ECONNREFUSED, ENOTFOUND, a timeout…).
      const { cause } = err as Error & { cause?: { code?: string; message?: string } };
      const why = (err as Error).name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : undefined;
      const reason = why ?? cause?.code ?? cause?.message ?? (err as Error).message;
      return { status: 0, json: null, failure: `did not answer (${reason})` };
    }
    const json = (await res.json().catch(() => null)) as VaultBody | null;
    return { status: res.status, json, failure: undefined };
  }

  /** One request, repeated while Vault is unreachable or answers 5xx. */
  async function call(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: unknown) {
    for (let attempt = 1; ; attempt++) {
      const r = await once(method, path, headers, body);
      const retryable = r.status === 0 || r.status >= 500;
      if (!retryable || attempt >= attempts) {
        if (r.status === 0) {
          throw new VaultError('UNREACHABLE', `Vault at ${opts.address} ${r.failure} after ${attempt} attempt(s).`);
        }
        if (r.status >= 500) {
          const why = reasons(r.json) || `status ${r.status}`;
          throw new VaultError('UNREACHABLE', `Vault at ${opts.address} is not serving (${why}).`);
        }
        return r;
      }
      await sleep(retryDelayMs * 2 ** (attempt - 1));
    }
  }

  async function login(): Promise<string> {
    if (opts.auth.kind === 'token') {
      opts.onCredential?.(opts.auth.token);
      return opts.auth.token;
    }
    const { role, jwtFile, mount: authMount } = opts.auth;
    let jwt: string;
    try {
      jwt = (await readFile(jwtFile, 'utf8')).trim();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new VaultError(
        'LOGIN_FAILED',
        `Cannot read the Kubernetes service-account token file ${jwtFile} (${code}).`,
      );
    }
    if (!jwt) throw new VaultError('LOGIN_FAILED', `The Kubernetes service-account token file ${jwtFile} is empty.`);
    opts.onCredential?.(jwt);
    const { status, json } = await call('POST', `auth/${authMount}/login`, {}, { role, jwt });
    const clientToken = json?.auth?.client_token;
    if (status !== 200 || typeof clientToken !== 'string' || !clientToken) {
      const why = reasons(json) || `status ${status}`;
      throw new VaultError(
        'LOGIN_FAILED',
        `Vault refused the Kubernetes login at auth/${authMount} for role "${role}" (${status}: ${why}).`,
      );
    }
    opts.onCredential?.(clientToken);
    return clientToken;
  }

  const currentToken = async (): Promise<string> => {
    token ??= login();
    return token.catch((err: unknown) => {
      token = undefined;
      throw err;
    });
  };

  return {
    token: currentToken,
    async read(path) {
      if (!isVaultPath(path)) throw new VaultError('BAD_RESPONSE', `"${path}" is not a KV path.`);
      const t = await currentToken();
      const { status, json } = await call('GET', `${mount}/data/${path}`, { 'x-vault-token': t });
      if (status === 403) {
        const why = reasons(json) || 'permission denied';
        throw new VaultError('PERMISSION_DENIED', `Vault denied reading "${path}" from mount "${mount}" (${why}).`);
      }
      if (status === 404) {
        // KV v2 answers 404 also for a deleted or destroyed current version, with its metadata.
        const meta = json?.data?.metadata;
        const gone = meta?.destroyed ? ' (its current version is destroyed)' : meta?.deletion_time ? ' (deleted)' : '';
        throw new VaultError('NOT_FOUND', `Vault has no secret at "${path}" in mount "${mount}"${gone}.`);
      }
      const data = json?.data?.data;
      if (status !== 200 || !data || typeof data !== 'object' || Array.isArray(data)) {
        const why = reasons(json);
        throw new VaultError(
          'BAD_RESPONSE',
          `Vault answered ${status} for "${path}" without a KV v2 secret${why ? ` (${why})` : ''}; is "${mount}" a KV version 2 mount?`,
        );
      }
      return data;
    },
  };
}
