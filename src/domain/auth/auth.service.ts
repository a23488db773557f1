// Sign-in, sessions and token lifecycle: password login with lockout, rotating refresh tokens with reuse detection,
// logout, and turning a bearer credential (access token or API key) into a Principal.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { PasswordHasher } from '../../platform/crypto/password.js';
import type { Database } from '../../platform/db/prisma.js';
import type { AlertService } from '../security/alerts.service.js';
import { type RequestMeta, recordSecurityEvent } from '../security/security-audit.js';
import { AuthError } from './auth-errors.js';
import { buildPrincipal, type Principal } from './principal.js';
import { TokenRejected, type Tokens } from './tokens.js';

export interface TokenPair {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  sessionId: string;
}

export type SecondFactor = 'otp' | 'rec';

export interface AuthDeps {
  db: Database;
  tokens: Tokens;
  hasher: PasswordHasher;
  alerts: AlertService;
  settings: {
    refreshTokenTtlSeconds: number;
    lockout: { threshold: number; windowSeconds: number; durationSeconds: number };
  };
  /** Checks a TOTP or recovery code for a user with TOTP enabled; returns the method used, or null. */
  verifySecondFactor: (
    userId: string,
    input: { totp?: string | null; recoveryCode?: string | null },
  ) => Promise<SecondFactor | null>;
  now?: () => Date;
}

export const API_KEY_PREFIX = 'chk_';
const GENERIC_FAILURE = 'Email or password is incorrect.';
const SESSION_TOUCH_MS = 60_000;

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
export const userSubject = (userId: string) => `user:${userId}`;

export function createAuthService(deps: AuthDeps) {
  const { db, tokens, hasher, alerts, settings } = deps;
  const now = deps.now ?? (() => new Date());
  let dummyHash: Promise<string> | undefined;

  async function failedLoginsInWindow(userId: string): Promise<number> {
    return db.securityAuditLog.count({
      where: {
        userId,
        action: 'auth.login',
        success: false,
        timestamp: { gte: new Date(now().getTime() - settings.lockout.windowSeconds * 1000) },
      },
    });
  }

  async function failLogin(userId: string | null, reason: string, meta: RequestMeta, email: string): Promise<never> {
    await recordSecurityEvent(db, {
      action: 'auth.login',
      success: false,
      riskScore: 4,
      userId,
      errorMessage: reason,
      metadata: { emailHash: sha256(email).slice(0, 16) },
      meta,
    });
    if (userId && (await failedLoginsInWindow(userId)) > settings.lockout.threshold) {
      const lockedUntil = new Date(now().getTime() + settings.lockout.durationSeconds * 1000);
      await db.user.update({ where: { id: userId }, data: { lockedUntil } });
      await recordSecurityEvent(db, { action: 'auth.account_locked', success: true, riskScore: 8, userId, meta });
      await alerts.raise({
        kind: 'account_locked',
        severity: 'high',
        userId,
        message: `Account locked after more than ${settings.lockout.threshold} failed sign-ins in ${settings.lockout.windowSeconds / 60} minutes.`,
        details: { lockedUntil: lockedUntil.toISOString(), ip: meta.ip ?? null },
      });
      throw new AuthError(
        'ACCOUNT_LOCKED',
        `Too many failed sign-ins: the account is locked until ${lockedUntil.toISOString()}.`,
        {
          lockedUntil: lockedUntil.toISOString(),
        },
      );
    }
    throw new AuthError('UNAUTHENTICATED', GENERIC_FAILURE);
  }

  async function issuePair(userId: string, sessionId: string, replaces?: string): Promise<TokenPair> {
    const sub = userSubject(userId);
    const [access, refresh] = await Promise.all([
      tokens.issueAccess(sub, sessionId),
      tokens.issueRefresh(sub, sessionId),
    ]);
    await db.refreshToken.create({ data: { jti: refresh.jti, sessionId, expiresAt: refresh.expiresAt } });
    if (replaces) await db.refreshToken.update({ where: { jti: replaces }, data: { replacedBy: refresh.jti } });
    return {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken: refresh.token,
      refreshTokenExpiresAt: refresh.expiresAt,
      sessionId,
    };
  }

  async function rejectToken(reason: string, meta: RequestMeta, extra: Record<string, unknown> = {}): Promise<never> {
    await recordSecurityEvent(db, {
      action: 'auth.token_rejected',
      success: false,
      riskScore: 5,
      errorMessage: reason,
      metadata: extra,
      meta,
    });
    throw new AuthError('UNAUTHENTICATED', 'The access token is invalid or expired; sign in again or refresh it.');
  }

  async function authenticateApiKey(credential: string, meta: RequestMeta): Promise<Principal> {
    const [, prefix, secret] = credential.split('_');
    const key = prefix && secret ? await db.apiKey.findUnique({ where: { prefix } }) : null;
    const expected = key ? Buffer.from(key.secretHash, 'hex') : Buffer.alloc(32);
    const given = Buffer.from(sha256(secret ?? ''), 'hex');
    const matches = timingSafeEqual(expected, given) && key !== null;
    if (!key || !matches) return rejectToken('unknown API key', meta, { prefix: prefix ?? null });
    if (key.revokedAt) return rejectToken('revoked API key', meta, { apiKeyId: key.id });
    if (key.expiresAt && key.expiresAt <= now()) return rejectToken('expired API key', meta, { apiKeyId: key.id });
    if (!key.lastUsedAt || now().getTime() - key.lastUsedAt.getTime() > SESSION_TOUCH_MS) {
      await db.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: now() } });
    }
    return buildPrincipal({
      kind: 'api_key',
      id: key.id,
      email: null,
      roles: key.roles,
      attributes: key.attributes,
      session: null,
      mfaEnrolled: false,
    });
  }

  return {
    async login(
      input: { email: string; password: string; totp?: string | null; recoveryCode?: string | null },
      meta: RequestMeta,
    ): Promise<TokenPair> {
      const email = input.email.trim().toLowerCase();
      const user = await db.user.findUnique({ where: { email } });
      if (!user?.passwordHash || user.disabledAt) {
        // Same work as a real check, so timing does not tell which emails exist.
        dummyHash ??= hasher.hash('timing-equaliser');
        await hasher.verify(await dummyHash, input.password);
        return failLogin(
          user?.id ?? null,
          user ? 'account disabled or without password' : 'unknown email',
          meta,
          email,
        );
      }
      if (user.lockedUntil && user.lockedUntil > now()) {
        await recordSecurityEvent(db, {
          action: 'auth.login',
          success: false,
          riskScore: 6,
          userId: user.id,
          errorMessage: 'account locked',
          meta,
        });
        throw new AuthError('ACCOUNT_LOCKED', `The account is locked until ${user.lockedUntil.toISOString()}.`, {
          lockedUntil: user.lockedUntil.toISOString(),
        });
      }
      if (!(await hasher.verify(user.passwordHash, input.password))) {
        return failLogin(user.id, 'wrong password', meta, email);
      }
      const amr = ['pwd'];
      if (user.mfaEnabledAt) {
        if (!input.totp && !input.recoveryCode) {
          throw new AuthError('MFA_REQUIRED', 'Enter the code from your authenticator app (or a recovery code).');
        }
        const factor = await deps.verifySecondFactor(user.id, input);
        if (!factor) return failLogin(user.id, 'wrong second factor', meta, email);
        amr.push(factor);
      }
      if (user.lockedUntil) await db.user.update({ where: { id: user.id }, data: { lockedUntil: null } });
      return this.startSession(user.id, { method: 'password', amr }, meta);
    },

    /** Opens a session for a user who has proven who they are (password above, or an external identity provider). */
    async startSession(
      userId: string,
      how: { method: 'password' | 'oidc'; amr: string[] },
      meta: RequestMeta,
    ): Promise<TokenPair> {
      const session = await db.session.create({
        data: {
          userId,
          authMethod: how.method,
          amr: how.amr,
          ipAddress: meta.ip ?? null,
          userAgent: meta.userAgent?.slice(0, 1000) ?? null,
          expiresAt: new Date(now().getTime() + settings.refreshTokenTtlSeconds * 1000),
        },
      });
      const pair = await issuePair(userId, session.id);
      await recordSecurityEvent(db, {
        action: 'auth.login',
        success: true,
        riskScore: 1,
        userId,
        metadata: { method: how.method, amr: how.amr, sessionId: session.id },
        meta,
      });
      return pair;
    },

    async refresh(refreshToken: string, meta: RequestMeta): Promise<TokenPair> {
      let claims: Awaited<ReturnType<Tokens['verify']>>;
      try {
        claims = await tokens.verify(refreshToken, 'refresh');
      } catch (err) {
        await recordSecurityEvent(db, {
          action: 'auth.refresh',
          success: false,
          riskScore: 5,
          errorMessage: err instanceof TokenRejected ? err.reason : 'invalid',
          meta,
        });
        throw new AuthError('UNAUTHENTICATED', 'The refresh token is invalid or expired; sign in again.');
      }
      const userId = claims.sub.replace(/^user:/, '');
      const rotated = await db.$transaction(async (tx) => {
        const used = await tx.refreshToken.updateMany({
          where: { jti: claims.jti, sessionId: claims.sid, usedAt: null },
          data: { usedAt: now() },
        });
        const session = await tx.session.findUnique({ where: { id: claims.sid }, include: { user: true } });
        return { fresh: used.count === 1, session };
      });
      const { session } = rotated;
      if (!rotated.fresh) {
        // A used (or unknown) refresh token: someone replayed it. Revoke the whole family.
        if (session && !session.revokedAt) {
          await db.session.update({
            where: { id: session.id },
            data: { revokedAt: now(), revokedReason: 'refresh_token_reuse' },
          });
        }
        await recordSecurityEvent(db, {
          action: 'auth.refresh',
          success: false,
          riskScore: 9,
          userId,
          errorMessage: 'refresh token reused; session revoked',
          metadata: { sessionId: claims.sid },
          meta,
        });
        await alerts.raise({
          kind: 'refresh_token_reuse',
          severity: 'high',
          userId,
          message: 'A refresh token was used twice; the session was revoked (possible token theft).',
          details: { sessionId: claims.sid, ip: meta.ip ?? null },
        });
        throw new AuthError(
          'UNAUTHENTICATED',
          'This refresh token was already used; the session has been revoked. Sign in again.',
        );
      }
      if (!session || session.revokedAt || session.expiresAt <= now() || session.user.disabledAt) {
        await recordSecurityEvent(db, {
          action: 'auth.refresh',
          success: false,
          riskScore: 5,
          userId,
          errorMessage: 'session ended',
          meta,
        });
        throw new AuthError('UNAUTHENTICATED', 'The session has ended; sign in again.');
      }
      const pair = await issuePair(session.userId, session.id, claims.jti);
      await recordSecurityEvent(db, {
        action: 'auth.refresh',
        success: true,
        riskScore: 1,
        userId,
        metadata: { sessionId: session.id },
        meta,
      });
      return pair;
    },

    async logout(principal: Principal, meta: RequestMeta): Promise<void> {
      if (!principal.session) return;
      await db.session.update({
        where: { id: principal.session.id },
        data: { revokedAt: now(), revokedReason: 'logout' },
      });
      await recordSecurityEvent(db, {
        action: 'auth.logout',
        success: true,
        riskScore: 1,
        userId: principal.id,
        metadata: { sessionId: principal.session.id },
        meta,
      });
    },

    /** A bearer credential → the Principal behind it. Every refusal is logged and answered UNAUTHENTICATED. */
    async authenticate(credential: string, meta: RequestMeta): Promise<Principal> {
      if (credential.startsWith(API_KEY_PREFIX)) return authenticateApiKey(credential, meta);
      let claims: Awaited<ReturnType<Tokens['verify']>>;
      try {
        claims = await tokens.verify(credential, 'access');
      } catch (err) {
        return rejectToken(err instanceof TokenRejected ? err.reason : 'invalid token', meta);
      }
      const session = await db.session.findUnique({
        where: { id: claims.sid },
        include: { user: { include: { _count: { select: { webauthnCredentials: true } } } } },
      });
      if (!session || `user:${session.userId}` !== claims.sub) return rejectToken('unknown session', meta);
      if (session.revokedAt)
        return rejectToken(`session revoked (${session.revokedReason ?? 'revoked'})`, meta, { sessionId: session.id });
      if (session.expiresAt <= now()) return rejectToken('session expired', meta, { sessionId: session.id });
      const { user } = session;
      if (user.disabledAt || (user.lockedUntil && user.lockedUntil > now())) {
        return rejectToken('account disabled or locked', meta, { userId: user.id });
      }
      if (now().getTime() - session.lastSeenAt.getTime() > SESSION_TOUCH_MS) {
        await db.session.update({ where: { id: session.id }, data: { lastSeenAt: now() } });
      }
      return buildPrincipal({
        kind: 'user',
        id: user.id,
        email: user.email,
        roles: user.roles,
        attributes: user.attributes,
        session: {
          id: session.id,
          amr: session.amr,
          stepUpAt: session.stepUpAt,
          expiresAt: new Date(claims.exp * 1000),
        },
        mfaEnrolled: user.mfaEnabledAt !== null || user._count.webauthnCredentials > 0,
      });
    },

    /** Records a step-up (TOTP or WebAuthn) on the session: sensitive operations are open for the step-up window. */
    async markStepUp(sessionId: string, method: 'otp' | 'hwk' | 'rec'): Promise<void> {
      await db.$executeRaw`
        UPDATE sessions SET step_up_at = NOW(),
          amr = ARRAY(SELECT DISTINCT unnest(amr || ARRAY[${method}]::varchar[]))
        WHERE id = ${sessionId}::uuid`;
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
