// Sign-in with an external OpenID Connect provider (Google Workspace, Azure AD, …): the client obtains an ID token from
// a configured issuer; we verify it against the issuer's published keys (JWKS discovery), map it to a user (by the
// identity, else by verified email, else a new user with the issuer's default roles) and open a session.
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import type { Database } from '../../platform/db/prisma.js';
import { type RequestMeta, recordSecurityEvent } from '../security/security-audit.js';
import type { TokenPair } from './auth.service.js';
import { AuthError } from './auth-errors.js';
import { ROLES } from './roles.js';

/** An issuer whose ID tokens are accepted (config.auth.oidcIssuers has this shape). */
export interface OidcIssuerSettings {
  issuer: string;
  /** Our client id at the issuer: the ID token's required audience. */
  audience: string;
  /** Roles of a user created on first sign-in through this issuer. */
  defaultRoles: readonly string[];
  /** Only emails of these domains may sign in (empty: any). */
  allowedDomains: readonly string[];
  /** The JWKS location, when not the one the discovery document names. */
  jwksUri?: string;
}

export interface OidcDeps {
  db: Database;
  issuers: readonly OidcIssuerSettings[];
  startSession: (userId: string, how: { method: 'oidc'; amr: string[] }, meta: RequestMeta) => Promise<TokenPair>;
  now?: () => Date;
}

/** Asymmetric algorithms only: never `none`, never HS* (whose "key" would be the public client id or secret). */
const ASYMMETRIC_ALGS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);
const CLOCK_TOLERANCE_SECONDS = 60;
const MAX_ID_TOKEN_AGE_SECONDS = 3600;
const DISCOVERY_TTL_MS = 60 * 60 * 1000;
const FETCH_TIMEOUT_MS = 5000;
const MAX_ID_TOKEN_LENGTH = 16_384;

const discoverySchema = z.object({
  issuer: z.string(),
  jwks_uri: z.url(),
  id_token_signing_alg_values_supported: z.array(z.string()).optional(),
});

type Verifier = { algorithms: string[]; jwks: ReturnType<typeof createRemoteJWKSet>; loadedAt: number };

const stripSlash = (url: string) => url.replace(/\/+$/, '');

/** Keys and metadata must come over TLS; plain http only for a provider on this machine (development, tests). */
function requireSecureUrl(url: string): URL {
  const parsed = new URL(url);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    throw new Error(`${url} is not https`);
  }
  return parsed;
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } };
  return e?.code === 'P2002' || e?.meta?.driverAdapterError?.cause?.originalCode === '23505';
}

/** A short, client-safe reason for a token that failed verification (the audit row keeps the full message). */
function rejectionReason(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `its "${err.claim}" claim is not acceptable`;
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'it is not signed by a key of the issuer';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'its signing algorithm is not accepted';
  return 'it is malformed';
}

class OidcRejection extends Error {
  constructor(
    readonly reason: string,
    readonly clientMessage: string,
    readonly userId: string | null = null,
    readonly code: 'UNAUTHENTICATED' | 'ACCOUNT_LOCKED' = 'UNAUTHENTICATED',
  ) {
    super(reason);
  }
}

export function createOidcService(deps: OidcDeps) {
  const { db, startSession } = deps;
  const now = deps.now ?? (() => new Date());
  for (const i of deps.issuers) {
    const unknown = i.defaultRoles.filter((r) => !(ROLES as readonly string[]).includes(r));
    if (unknown.length) throw new Error(`OIDC issuer ${i.issuer}: unknown default roles ${unknown.join(', ')}`);
  }
  const issuers = new Map(deps.issuers.map((i) => [stripSlash(i.issuer), i]));
  const verifiers = new Map<string, Promise<Verifier>>();

  async function discover(cfg: OidcIssuerSettings): Promise<Verifier> {
    const url = requireSecureUrl(`${stripSlash(cfg.issuer)}/.well-known/openid-configuration`);
    const res = await fetch(url, {
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      headers: { accept: 'application/json' },
    });
    if (!res.ok) throw new Error(`discovery answered ${res.status}`);
    const doc = discoverySchema.parse(await res.json());
    // OpenID Connect Discovery §4.3: the document must name exactly the issuer it was fetched for.
    if (doc.issuer !== cfg.issuer) throw new Error(`discovery names issuer ${doc.issuer}`);
    const advertised = doc.id_token_signing_alg_values_supported ?? ['RS256'];
    const algorithms = advertised.filter((a) => ASYMMETRIC_ALGS.has(a));
    if (!algorithms.length) throw new Error(`no acceptable signing algorithm in ${advertised.join(', ')}`);
    const jwks = createRemoteJWKSet(requireSecureUrl(cfg.jwksUri ?? doc.jwks_uri), {
      timeoutDuration: FETCH_TIMEOUT_MS,
      cooldownDuration: 30_000,
      cacheMaxAge: 10 * 60_000,
    });
    return { algorithms, jwks, loadedAt: Date.now() };
  }

  /** The issuer's verifier, discovered once and refreshed hourly; a failed discovery is retried on the next call. */
  async function verifierFor(cfg: OidcIssuerSettings): Promise<Verifier> {
    const key = stripSlash(cfg.issuer);
    const entry = verifiers.get(key);
    if (entry) {
      const verifier = await entry;
      if (Date.now() - verifier.loadedAt < DISCOVERY_TTL_MS) return verifier;
      if (verifiers.get(key) !== entry) return verifierFor(cfg);
    }
    const loading = discover(cfg);
    verifiers.set(key, loading);
    loading.catch(() => {
      if (verifiers.get(key) === loading) verifiers.delete(key);
    });
    return loading;
  }

  async function verify(cfg: OidcIssuerSettings, idToken: string): Promise<JWTPayload & { sub: string }> {
    let verifier: Verifier;
    try {
      verifier = await verifierFor(cfg);
    } catch (err) {
      throw new OidcRejection(
        `discovery failed: ${(err as Error).message}`,
        'The identity provider could not be reached; try again later.',
      );
    }
    try {
      const { payload } = await jwtVerify(idToken, verifier.jwks, {
        issuer: cfg.issuer,
        audience: cfg.audience,
        algorithms: verifier.algorithms,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        maxTokenAge: MAX_ID_TOKEN_AGE_SECONDS,
        requiredClaims: ['sub', 'exp', 'iat'],
        currentDate: now(),
      });
      // OIDC Core §3.1.3.7: with several audiences, or an azp at all, azp must be our client id.
      const multipleAud = Array.isArray(payload.aud) && payload.aud.length > 1;
      if ((multipleAud || payload.azp !== undefined) && payload.azp !== cfg.audience) {
        throw new joseErrors.JWTClaimValidationFailed('unexpected "azp" claim value', payload, 'azp', 'check_failed');
      }
      if (typeof payload.sub !== 'string' || !payload.sub || payload.sub.length > 255) {
        throw new joseErrors.JWTClaimValidationFailed('invalid "sub" claim', payload, 'sub', 'invalid');
      }
      return payload as JWTPayload & { sub: string };
    } catch (err) {
      throw new OidcRejection(
        `ID token rejected: ${(err as Error).message}`,
        `The ID token was rejected: ${rejectionReason(err)}.`,
      );
    }
  }

  /** The verified, lower-cased email of the token, after the issuer's domain restriction; null when it has none. */
  function emailOf(cfg: OidcIssuerSettings, claims: JWTPayload): string | null {
    const raw = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
    const email = raw && /^[^@\s]+@[^@\s]+$/.test(raw) && raw.length <= 320 ? raw : null;
    if (email && claims.email_verified === false) {
      throw new OidcRejection('email not verified by the issuer', 'The identity provider has not verified your email.');
    }
    if (cfg.allowedDomains.length) {
      const domain = email?.split('@')[1];
      if (!domain || !cfg.allowedDomains.some((d) => d.toLowerCase() === domain)) {
        throw new OidcRejection(
          `email domain ${domain ?? '(none)'} not allowed`,
          'Your email domain may not sign in to Chimera.',
        );
      }
    }
    return email;
  }

  /** Disabled and locked accounts stay closed, whichever way their owner proves who they are. */
  function refuseClosed(user: { id: string; disabledAt: Date | null; lockedUntil: Date | null }) {
    if (user.disabledAt) throw new OidcRejection('account disabled', 'This account is disabled.', user.id);
    if (user.lockedUntil && user.lockedUntil > now()) {
      throw new OidcRejection(
        'account locked',
        `The account is locked until ${user.lockedUntil.toISOString()}.`,
        user.id,
        'ACCOUNT_LOCKED',
      );
    }
  }

  /** The user this identity belongs to: linked before, else linked now by email, else created. */
  async function resolveUser(cfg: OidcIssuerSettings, claims: JWTPayload & { sub: string }, email: string | null) {
    const where = { issuer_subject: { issuer: cfg.issuer, subject: claims.sub } };
    const identity = await db.userIdentity.findUnique({ where, include: { user: true } });
    if (identity) {
      refuseClosed(identity.user);
      await db.userIdentity.update({ where: { id: identity.id }, data: { lastLoginAt: now(), email } });
      return { user: identity.user, outcome: 'existing' as const };
    }
    if (!email) {
      throw new OidcRejection('no email claim for a new identity', 'The identity provider did not share your email.');
    }
    const existing = await db.user.findUnique({
      where: { email },
      include: { identities: { where: { issuer: cfg.issuer } } },
    });
    if (existing) {
      refuseClosed(existing);
      // A different account at the same issuer once held this email: emails get reassigned, so never merge silently.
      if (existing.identities.length) {
        throw new OidcRejection(
          'email already linked to another subject of this issuer',
          'This email is linked to a different account at the identity provider; ask an administrator.',
          existing.id,
        );
      }
      await db.userIdentity.create({
        data: { userId: existing.id, issuer: cfg.issuer, subject: claims.sub, email, lastLoginAt: now() },
      });
      return { user: existing, outcome: 'linked' as const };
    }
    const name = typeof claims.name === 'string' ? claims.name.trim().slice(0, 255) : '';
    const user = await db.user.create({
      data: {
        email,
        displayName: name || null,
        passwordHash: null,
        roles: [...cfg.defaultRoles],
        identities: { create: { issuer: cfg.issuer, subject: claims.sub, email, lastLoginAt: now() } },
      },
    });
    return { user, outcome: 'created' as const };
  }

  async function signIn(cfg: OidcIssuerSettings, idToken: string, meta: RequestMeta): Promise<TokenPair> {
    const claims = await verify(cfg, idToken);
    const email = emailOf(cfg, claims);
    let resolved: Awaited<ReturnType<typeof resolveUser>>;
    try {
      resolved = await resolveUser(cfg, claims, email);
    } catch (err) {
      // A concurrent first sign-in of the same identity or email won the race: use what it created.
      if (!isUniqueViolation(err)) throw err;
      resolved = await resolveUser(cfg, claims, email);
    }
    const { user, outcome } = resolved;
    const metadata = { method: 'oidc', issuer: cfg.issuer, subject: claims.sub, outcome };
    if (outcome === 'created') {
      await recordSecurityEvent(db, {
        action: 'user.created',
        success: true,
        riskScore: cfg.defaultRoles.includes('super_admin') ? 7 : 3,
        resourceType: 'user',
        resourceId: user.id,
        metadata: { roles: cfg.defaultRoles, method: 'oidc', issuer: cfg.issuer },
        meta,
      });
    }
    await recordSecurityEvent(db, {
      action: 'auth.oidc_identity',
      success: true,
      riskScore: outcome === 'linked' ? 5 : 1,
      userId: user.id,
      metadata,
      meta,
    });
    return startSession(user.id, { method: 'oidc', amr: ['fed'] }, meta);
  }

  return {
    /** Verifies an ID token from a configured issuer and opens a session for the user it maps to. */
    async login(issuer: string, idToken: string, meta: RequestMeta): Promise<TokenPair> {
      const cfg = issuers.get(stripSlash(issuer.trim()));
      try {
        if (!cfg) {
          throw new OidcRejection('unknown issuer', `Sign-in through ${issuer.slice(0, 200)} is not configured.`);
        }
        if (idToken.length > MAX_ID_TOKEN_LENGTH) {
          throw new OidcRejection('ID token too long', 'The ID token was rejected: it is malformed.');
        }
        return await signIn(cfg, idToken.trim(), meta);
      } catch (err) {
        if (!(err instanceof OidcRejection)) throw err;
        await recordSecurityEvent(db, {
          action: 'auth.login',
          success: false,
          riskScore: err.reason.startsWith('ID token rejected') ? 6 : 4,
          userId: err.userId,
          errorMessage: err.reason.slice(0, 1000),
          metadata: { method: 'oidc', issuer: (cfg?.issuer ?? issuer).slice(0, 500) },
          meta,
        });
        throw new AuthError(err.code, err.clientMessage);
      }
    },
  };
}

export type OidcService = ReturnType<typeof createOidcService>;
