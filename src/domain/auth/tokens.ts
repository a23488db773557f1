// Access and refresh tokens: RS256 JWTs with issuer, audience, a key id, and the session they belong to.
// Verification accepts RS256 only (no `none`, no HMAC with a public key), checks iss/aud/exp/nbf and the token type.
import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';
import type { SigningKeys } from './signing-keys.js';

export type TokenType = 'access' | 'refresh';
const HEADER_TYP: Record<TokenType, string> = { access: 'at+jwt', refresh: 'rt+jwt' };

export interface TokenClaims {
  sub: string;
  sid: string;
  jti: string;
  exp: number;
  iat: number;
}

/** Why a token was refused; logged (never shown in detail to the caller). */
export class TokenRejected extends Error {
  override name = 'TokenRejected';
  constructor(readonly reason: string) {
    super(`Token rejected: ${reason}`);
  }
}

export interface TokenSettings {
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Leeway for clocks that disagree slightly. */
  clockToleranceSeconds?: number;
}

export function createTokens(keys: SigningKeys, settings: TokenSettings) {
  const tolerance = settings.clockToleranceSeconds ?? 5;

  async function sign(type: TokenType, sub: string, sid: string, ttlSeconds: number) {
    const { kid, key } = await keys.signingKey();
    const jti = randomUUID();
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + ttlSeconds;
    const token = await new SignJWT({ sid, typ: type })
      .setProtectedHeader({ alg: 'RS256', kid, typ: HEADER_TYP[type] })
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setSubject(sub)
      .setJti(jti)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .sign(key);
    return { token, jti, expiresAt: new Date(exp * 1000) };
  }

  return {
    issueAccess: (sub: string, sid: string) => sign('access', sub, sid, settings.accessTokenTtlSeconds),
    issueRefresh: (sub: string, sid: string) => sign('refresh', sub, sid, settings.refreshTokenTtlSeconds),

    async verify(token: string, type: TokenType): Promise<TokenClaims> {
      let kid: string | undefined;
      try {
        const header = decodeProtectedHeader(token);
        if (header.alg !== 'RS256') throw new TokenRejected(`algorithm ${String(header.alg)} is not accepted`);
        if (header.typ !== HEADER_TYP[type]) throw new TokenRejected(`not an ${type} token`);
        kid = header.kid;
      } catch (err) {
        if (err instanceof TokenRejected) throw err;
        throw new TokenRejected('malformed token');
      }
      if (!kid) throw new TokenRejected('no key id');
      const key = await keys.verificationKey(kid);
      if (!key) throw new TokenRejected(`unknown key id ${kid}`);
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['RS256'],
          issuer: settings.issuer,
          audience: settings.audience,
          typ: HEADER_TYP[type],
          clockTolerance: tolerance,
          requiredClaims: ['sub', 'sid', 'jti', 'exp', 'iat', 'nbf'],
        });
        if (payload.typ !== type) throw new TokenRejected(`not an ${type} token`);
        return payload as unknown as TokenClaims;
      } catch (err) {
        if (err instanceof TokenRejected) throw err;
        if (err instanceof errors.JWTExpired) throw new TokenRejected('expired');
        if (err instanceof errors.JWTClaimValidationFailed) throw new TokenRejected(`claim ${err.claim} is invalid`);
        if (err instanceof errors.JWSSignatureVerificationFailed) throw new TokenRejected('bad signature');
        throw new TokenRejected(err instanceof Error ? err.message : 'invalid token');
      }
    },
  };
}

export type Tokens = ReturnType<typeof createTokens>;
