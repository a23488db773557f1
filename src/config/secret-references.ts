// `${vault:path/key}` references in configuration values (read only by src/config.ts): found, read from Vault's KV v2
// engine (src/platform/secrets/vault-kv.ts) once per path, and substituted, whole value or part of one. Every failure
// names the variable and the reference, never a value or a credential; everything resolved is returned so the
// caller can censor it from logs and errors.
import { createVaultKv, isVaultPath, VaultError, type VaultErrorCode } from '../platform/secrets/vault-kv.js';

export type SecretErrorCode =
  | 'VAULT_BAD_REFERENCE'
  | 'VAULT_NOT_CONFIGURED'
  | 'VAULT_KEY_NOT_FOUND'
  | `VAULT_${VaultErrorCode}`;

export interface SecretProblem {
  variable: string;
  /** The reference as written (`${vault:path/key}`), when the problem is one reference's. */
  reference?: string;
  message: string;
  code: SecretErrorCode;
}

/** Every reference that could not be resolved; the message has one line per problem. */
export class SecretReferenceError extends Error {
  override name = 'SecretReferenceError';
  readonly code: SecretErrorCode;
  constructor(readonly problems: readonly SecretProblem[]) {
    super(problems.map(problemLine).join('\n'));
    this.code = problems[0]?.code ?? 'VAULT_BAD_REFERENCE';
  }
}

const problemLine = (p: SecretProblem) =>
  `${p.variable}: ${p.reference ? `${p.reference}: ` : ''}${p.message} (${p.code})`;

/** The settings Vault is reached with: never references themselves. */
export const VAULT_SETTINGS = [
  'VAULT_ADDR',
  'VAULT_TOKEN',
  'VAULT_NAMESPACE',
  'VAULT_AUTH',
  'VAULT_ROLE',
  'VAULT_KV_MOUNT',
  'VAULT_KUBERNETES_MOUNT',
  'VAULT_KUBERNETES_TOKEN_FILE',
] as const;

const OPEN = '${vault:';
const KEY = /^[A-Za-z0-9_.-]+$/;
const MOUNT = /^[A-Za-z0-9_.-]+$/;
const DEFAULT_JWT_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

interface Reference {
  variable: string;
  /** As written: ${vault:path/key}. */
  text: string;
  path: string;
  key: string;
  start: number;
  end: number;
}

/** Finds the references in one value; malformed ones become problems (shown only if they look like references). */
function referencesIn(variable: string, value: string, problems: SecretProblem[]): Reference[] {
  const found: Reference[] = [];
  for (let at = value.indexOf(OPEN); at !== -1; at = value.indexOf(OPEN, at + 1)) {
    const close = value.indexOf('}', at);
    if (close === -1) {
      problems.push({ variable, message: `an unterminated ${OPEN}… (no closing "}")`, code: 'VAULT_BAD_REFERENCE' });
      break;
    }
    const body = value.slice(at + OPEN.length, close);
    const slash = body.lastIndexOf('/');
    const path = body.slice(0, slash);
    const key = body.slice(slash + 1);
    if (slash === -1 || !isVaultPath(path) || !KEY.test(key)) {
      // What is between the braces might be a pasted secret: shown only when it has a reference's characters.
      const shown = /^[\w./-]{0,200}$/.test(body) ? `${OPEN}${body}}` : `a malformed ${OPEN}…}`;
      problems.push({
        variable,
        message: `${shown} is not a reference of the form ${OPEN}path/key} (path segments and key: letters, digits, _ . -)`,
        code: 'VAULT_BAD_REFERENCE',
      });
    } else {
      found.push({ variable, text: `${OPEN}${body}}`, path, key, start: at, end: close + 1 });
    }
    at = close;
  }
  return found;
}

export interface ResolveOptions {
  /** The variables to look at (the configuration's own); default every variable of env. */
  names?: readonly string[];
  fetch?: typeof fetch;
  timeoutMs?: number;
  attempts?: number;
  retryDelayMs?: number;
}

export interface ResolvedSecrets {
  env: Record<string, string | undefined>;
  /** Everything to censor: each resolved value, URL passwords in resolved values, the Vault credentials used. */
  secrets: string[];
  /** The references each resolved variable held. */
  sources: ReadonlyMap<string, readonly string[]>;
}

/**
 * Replaces every `${vault:path/key}` in the given variables' values (a whole value, or part of one such as a URL's
 * password) with the key `key` of the KV v2 secret at `path`; each path is read once, all paths at once. With
 * VAULT_AUTH=kubernetes the token Vault issued becomes VAULT_TOKEN (unless one is set), for the wallets' transit
 * engine. Throws SecretReferenceError listing every problem.
 */
export async function resolveSecretReferences(
  env: Record<string, string | undefined>,
  opts: ResolveOptions = {},
): Promise<ResolvedSecrets> {
  const problems: SecretProblem[] = [];
  const names = opts.names ?? Object.keys(env);
  const refs: Reference[] = [];
  for (const variable of names) {
    const value = env[variable];
    if (!value?.includes(OPEN)) continue;
    if ((VAULT_SETTINGS as readonly string[]).includes(variable)) {
      problems.push({
        variable,
        message: `cannot be a ${OPEN}…} reference: Vault is reached with it`,
        code: 'VAULT_BAD_REFERENCE',
      });
      continue;
    }
    refs.push(...referencesIn(variable, value, problems));
  }
  const kubernetes = env.VAULT_AUTH === 'kubernetes';
  // A Kubernetes login is also needed, without references, to give the wallets' transit engine a token.
  const transitToken = kubernetes && env.WALLET_KEY_PROVIDER === 'vault' && !env.VAULT_TOKEN;
  if (problems.length) throw new SecretReferenceError(problems);
  if (refs.length === 0 && !transitToken) return { env, secrets: [], sources: new Map() };

  const first = refs[0];
  const need = (variable: string, message: string): never => {
    throw new SecretReferenceError([
      {
        variable,
        message: first ? `${message} (to resolve ${first.text} in ${first.variable})` : message,
        code: 'VAULT_NOT_CONFIGURED',
      },
    ]);
  };
  const address = env.VAULT_ADDR || need('VAULT_ADDR', `required to resolve ${OPEN}…} references`);
  if (!/^https?:\/\/[^/\s]+/.test(address)) need('VAULT_ADDR', 'must be an http(s) URL such as https://vault:8200');
  if (env.VAULT_AUTH && env.VAULT_AUTH !== 'token' && !kubernetes) need('VAULT_AUTH', 'must be token or kubernetes');
  const mountOf = (name: 'VAULT_KV_MOUNT' | 'VAULT_KUBERNETES_MOUNT', fallback: string) => {
    const v = env[name] || fallback;
    return MOUNT.test(v) ? v : need(name, 'must be a mount name (letters, digits, _ . -)');
  };
  const credentials: string[] = [];
  const vault = createVaultKv({
    address,
    namespace: env.VAULT_NAMESPACE || undefined,
    mount: mountOf('VAULT_KV_MOUNT', 'secret'),
    auth: kubernetes
      ? {
          kind: 'kubernetes',
          role: env.VAULT_ROLE || need('VAULT_ROLE', 'required with VAULT_AUTH=kubernetes'),
          jwtFile: env.VAULT_KUBERNETES_TOKEN_FILE || DEFAULT_JWT_FILE,
          mount: mountOf('VAULT_KUBERNETES_MOUNT', 'kubernetes'),
        }
      : { kind: 'token', token: env.VAULT_TOKEN || need('VAULT_TOKEN', 'required with VAULT_AUTH=token') },
    onCredential: (v) => credentials.push(v),
    fetch: opts.fetch,
    timeoutMs: opts.timeoutMs,
    attempts: opts.attempts,
    retryDelayMs: opts.retryDelayMs,
  });

  const asProblem = (err: unknown, variable: string, reference?: string): SecretProblem => {
    if (!(err instanceof VaultError)) throw err;
    return { variable, reference, message: err.message, code: `VAULT_${err.code}` };
  };
  // Log in first: a failed login is one problem, not one per path.
  let token: string;
  try {
    token = await vault.token();
  } catch (err) {
    throw new SecretReferenceError([asProblem(err, first?.variable ?? 'VAULT_AUTH', first?.text)]);
  }

  const paths = [...new Set(refs.map((r) => r.path))];
  const read = await Promise.allSettled(paths.map((p) => vault.read(p)));
  const secretAt = new Map<string, Record<string, unknown>>();
  paths.forEach((path, i) => {
    const r = read[i] as PromiseSettledResult<Record<string, unknown>>;
    if (r.status === 'fulfilled') secretAt.set(path, r.value);
    else for (const u of refs.filter((x) => x.path === path)) problems.push(asProblem(r.reason, u.variable, u.text));
  });
  const values = new Map<Reference, string>();
  for (const r of refs) {
    const secret = secretAt.get(r.path);
    if (!secret) continue;
    const v = secret[r.key];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      values.set(r, String(v));
    } else {
      problems.push({
        variable: r.variable,
        reference: r.text,
        message:
          v === undefined || v === null
            ? `Vault's secret "${r.path}" has no key "${r.key}"`
            : `Vault's secret "${r.path}" holds a ${Array.isArray(v) ? 'list' : 'JSON object'} at "${r.key}", not text`,
        code: 'VAULT_KEY_NOT_FOUND',
      });
    }
  }
  if (problems.length) throw new SecretReferenceError(problems);

  const resolved: Record<string, string | undefined> = { ...env };
  const sources = new Map<string, string[]>();
  for (const variable of new Set(refs.map((r) => r.variable))) {
    const own = refs.filter((r) => r.variable === variable);
    const original = env[variable] as string;
    let out = '';
    let from = 0;
    for (const r of own) {
      out += original.slice(from, r.start) + (values.get(r) as string);
      from = r.end;
    }
    resolved[variable] = out + original.slice(from);
    sources.set(
      variable,
      own.map((r) => r.text),
    );
  }
  if (kubernetes && !env.VAULT_TOKEN) resolved.VAULT_TOKEN = token;
  const secrets = new Set([...values.values(), ...credentials]);
  for (const variable of sources.keys()) for (const p of urlPasswords(resolved[variable] as string)) secrets.add(p);
  return { env: resolved, secrets: [...secrets], sources };
}

/** The password of a URL with credentials (as written and decoded), so it is censored also when logged alone. */
/** The password in a URL, as written and decoded (none when the value is no URL). */
export function urlPasswords(value: string): string[] {
  try {
    const { password } = new URL(value);
    if (!password) return [];
    return [password, decodeURIComponent(password)];
  } catch {
    return [];
  }
}

/**
 * A configuration error's message, safe to print: resolved secrets become [redacted], and so does any quoted
 * fragment that is a piece of one (a JSON parser quotes the start of the text it failed on); lines about a
 * resolved variable say which reference it came from.
 */
export function censorConfigMessage(
  message: string,
  secrets: readonly string[],
  sources: ReadonlyMap<string, readonly string[]>,
): string {
  const longestFirst = [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  return message
    .split('\n')
    .map((line) => {
      let out = line;
      for (const s of longestFirst) if (out.includes(s)) out = out.split(s).join('[redacted]');
      out = out.replace(/"([^"]*)"|'([^']*)'/g, (quoted, dq?: string, sq?: string) => {
        const core = (dq ?? sq ?? '').replace(/(\.\.\.|…)$/, '');
        return core.length >= 4 && longestFirst.some((s) => s.includes(core)) ? '[redacted]' : quoted;
      });
      const named = /^(\s*)([A-Z][A-Z0-9_]*): /.exec(out);
      const refs = named ? sources.get(named[2] as string) : undefined;
      if (named && refs) out = `${named[1]}${named[2]} (from ${refs.join(', ')})${out.slice(named[0].length - 2)}`;
      return out;
    })
    .join('\n');
}
