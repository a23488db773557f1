// Configuration of the social sandbox: command-line flags (--transport, --port, --host) and SOCIAL_* environment
// variables, parsed and checked once at start (a bad value stops the server before it touches any state).

export type Transport = 'http' | 'stdio';

export interface Config {
  transport: Transport;
  host: string;
  port: number;
  stateFile: string;
  /** SOCIAL_PUBLIC_URL without a trailing slash, or null to use the server's own origin. */
  publicUrl: string | null;
  accounts: string[];
  postQuota: number;
  quotaWindowMs: number;
  audience: boolean;
  audienceSpanMs: number;
  webhookUrl: string | null;
  webhookSecret: string;
  delayAfterPostMs: number;
}

export class ConfigError extends Error {}

export const HANDLE_PATTERN = /^[a-z0-9_]{1,30}$/i;

type Env = Record<string, string | undefined>;

function flag(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === `--${name}`) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new ConfigError(`--${name} needs a value`);
      return value;
    }
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

function checkFlags(argv: string[]): void {
  const known = ['transport', 'port', 'host'];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const name = arg.replace(/^--/, '').split('=')[0] ?? '';
    if (!arg.startsWith('--') || !known.includes(name)) throw new ConfigError(`unknown argument: ${arg}`);
    if (!arg.includes('=')) i++;
  }
}

function integer(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new ConfigError(`${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

function url(name: string, raw: string | undefined): string | null {
  if (raw === undefined || raw.trim() === '') return null;
  try {
    const parsed = new URL(raw.trim());
    if (!/^[a-z][a-z0-9+.-]*:$/.test(parsed.protocol)) throw new Error('no scheme');
  } catch {
    throw new ConfigError(`${name} is not a valid URL: "${raw}"`);
  }
  return raw.trim().replace(/\/+$/, '');
}

export function loadConfig(argv: string[], env: Env): Config {
  checkFlags(argv);
  const transport = flag(argv, 'transport') ?? 'http';
  if (transport !== 'http' && transport !== 'stdio') throw new ConfigError(`--transport must be http or stdio`);
  const port = integer('--port', flag(argv, 'port'), 0, 0);
  if (port > 65535) throw new ConfigError('--port must be at most 65535');

  const accounts = (env.SOCIAL_ACCOUNTS ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  for (const handle of accounts) {
    if (!HANDLE_PATTERN.test(handle)) throw new ConfigError(`SOCIAL_ACCOUNTS: "${handle}" is not a valid handle`);
  }

  const audience = (env.SOCIAL_AUDIENCE ?? 'off').trim().toLowerCase();
  if (audience !== 'on' && audience !== 'off') throw new ConfigError('SOCIAL_AUDIENCE must be "on" or "off"');

  const webhookUrl = url('SOCIAL_WEBHOOK_URL', env.SOCIAL_WEBHOOK_URL);
  if (webhookUrl !== null && !/^https?:/.test(webhookUrl)) throw new ConfigError('SOCIAL_WEBHOOK_URL must be http(s)');

  return {
    transport,
    host: flag(argv, 'host') ?? '127.0.0.1',
    port,
    stateFile: env.SOCIAL_STATE_FILE?.trim() || './data/social-sandbox.json',
    publicUrl: url('SOCIAL_PUBLIC_URL', env.SOCIAL_PUBLIC_URL),
    accounts: accounts.map((h) => h.toLowerCase()),
    postQuota: integer('SOCIAL_POST_QUOTA', env.SOCIAL_POST_QUOTA, 10, 1),
    quotaWindowMs: integer('SOCIAL_QUOTA_WINDOW_MS', env.SOCIAL_QUOTA_WINDOW_MS, 3_600_000, 1),
    audience: audience === 'on',
    audienceSpanMs: integer('SOCIAL_AUDIENCE_SPAN_MS', env.SOCIAL_AUDIENCE_SPAN_MS, 45_000, 1),
    webhookUrl,
    webhookSecret: env.SOCIAL_WEBHOOK_SECRET || 'social-sandbox-dev-secret',
    delayAfterPostMs: integer('SOCIAL_DELAY_AFTER_POST_MS', env.SOCIAL_DELAY_AFTER_POST_MS, 0, 0),
  };
}
