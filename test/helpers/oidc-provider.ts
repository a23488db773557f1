// A real OpenID Connect provider (panva/oidc-provider) on 127.0.0.1, with fresh signing keys of its own, and a
// user agent that walks its authorization-code flow (dev login and consent forms, PKCE) to obtain genuine ID tokens.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OidcAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface TestOidcProvider {
  /** The `iss` of the tokens it issues. */
  issuer: string;
  /** Where it listens (differs from `issuer` for an impostor). */
  url: string;
  clientId: string;
  /** Signs `login` in through the authorization-code flow and returns the ID token the token endpoint issued. */
  idToken(login: string): Promise<string>;
  close(): Promise<void>;
}

interface ProviderInstance {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

// oidc-provider ships no type declarations; a non-literal specifier keeps tsc from looking for them.
const OIDC_PROVIDER_MODULE = 'oidc-provider';
const REDIRECT_URI = 'http://127.0.0.1/cb';

const b64url = (buf: Buffer) => buf.toString('base64url');

/**
 * Starts a provider. `issuer` defaults to its own address; pass another provider's issuer to get an impostor that
 * mints tokens claiming to be that issuer, signed with keys the real one never published.
 */
export async function startOidcProvider(opts: {
  accounts: Record<string, OidcAccount>;
  clientId?: string;
  issuer?: string;
}): Promise<TestOidcProvider> {
  const { default: Provider } = (await import(OIDC_PROVIDER_MODULE)) as { default: ProviderClass };
  const clientId = opts.clientId ?? 'chimera-web';
  const clientSecret = b64url(randomBytes(24));
  // Fresh keys: without `jwks`, oidc-provider signs with a development key every instance shares.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256' };

  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => handler?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = opts.issuer ?? url;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [REDIRECT_URI],
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [b64url(randomBytes(32))] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // Put the scope's claims in the ID token itself, as Google and Azure AD do.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
    async findAccount(_ctx: unknown, id: string) {
      const account = opts.accounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account }) };
    },
  });
  handler = provider.callback();

  return {
    issuer,
    url,
    clientId,
    idToken: (login) => authorizationCodeFlow({ url, clientId, clientSecret, login }),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

/** Cookies by name, as a browser would keep them for one host (paths are ignored: every flow is sequential). */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => {
        const [k = '', v = ''] = a.trim().split('=');
        if (k.toLowerCase() === 'max-age') return Number(v) <= 0;
        if (k.toLowerCase() === 'expires') return new Date(v).getTime() <= Date.now();
        return false;
      });
      if (expired || !value) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

async function authorizationCodeFlow(o: {
  url: string;
  clientId: string;
  clientSecret: string;
  login: string;
}): Promise<string> {
  const jar = new CookieJar();
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(12));
  const authorize = new URL('/auth', o.url);
  authorize.search = new URLSearchParams({
    client_id: o.clientId,
    response_type: 'code',
    scope: 'openid email profile',
    redirect_uri: REDIRECT_URI,
    state,
    nonce: b64url(randomBytes(12)),
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  }).toString();

  const send = async (target: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(target, o.url), {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: jar.header() },
    });
    jar.store(res);
    return res;
  };

  let res = await send(authorize.href);
  for (let step = 0; step < 12; step++) {
    if (res.status >= 300 && res.status < 400) {
      const location = new URL(res.headers.get('location') ?? '', o.url);
      if (location.href.startsWith(REDIRECT_URI)) return exchangeCode(o, location, state, verifier);
      await res.arrayBuffer();
      res = await send(location.href);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`OIDC provider answered ${res.status}: ${html.slice(0, 500)}`);
    // The dev interaction page: a login form (prompt=login) or a consent form (prompt=consent).
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`no interaction form in: ${html.slice(0, 500)}`);
    const form = new URLSearchParams({ prompt });
    if (prompt === 'login') {
      form.set('login', o.login);
      form.set('password', 'any');
    }
    res = await send(action.replaceAll('&amp;', '&'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
  }
  throw new Error('the authorization flow did not reach the redirect URI');
}

async function exchangeCode(
  o: { url: string; clientId: string; clientSecret: string },
  callback: URL,
  state: string,
  verifier: string,
): Promise<string> {
  const error = callback.searchParams.get('error');
  if (error) throw new Error(`authorization failed: ${error} ${callback.searchParams.get('error_description') ?? ''}`);
  if (callback.searchParams.get('state') !== state) throw new Error('state mismatch');
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in ${callback.href}`);
  const res = await fetch(new URL('/token', o.url), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${o.clientId}:${o.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }).toString(),
  });
  const body = (await res.json()) as { id_token?: string; error?: string; error_description?: string };
  if (!res.ok || !body.id_token) throw new Error(`token endpoint: ${res.status} ${JSON.stringify(body)}`);
  return body.id_token;
}
