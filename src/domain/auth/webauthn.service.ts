// WebAuthn (security keys, passkeys): registering a credential for the signed-in user, and verifying an assertion
// from one (a step-up). Challenges live in Redis for 5 minutes and are spent by the first verification that reads
// them, so an assertion can be used once. The library's checks are repeated here first, one by one, so that each
// failure reaches the client as a coded error that says which check failed.
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { decodeAttestationObject, isoBase64URL, parseAuthenticatorData } from '@simplewebauthn/server/helpers';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Database } from '../../platform/db/prisma.js';
import { ConflictError, ValidationError } from '../shared/errors.js';
import { AuthError } from './auth-errors.js';

export interface RelyingParty {
  /** The RP ID: the site's registrable domain (`localhost` in development). */
  id: string;
  /** Shown by the browser and the authenticator. */
  name: string;
  /** The exact origin the browser reports, e.g. `https://app.example.com`. */
  origin: string;
}

export interface WebAuthnDeps {
  db: Database;
  redis: Redis;
  rp: RelyingParty;
  now?: () => Date;
}

export type WebAuthnCeremony = 'registration' | 'authentication';

export const WEBAUTHN_CHALLENGE_TTL_SECONDS = 300;
const TIMEOUT_MS = WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000;
const TRANSPORTS = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'] as const;

export const challengeKey = (userId: string, ceremony: WebAuthnCeremony) => `webauthn:challenge:${userId}:${ceremony}`;

const base64url = z
  .string()
  .max(65_536)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');
const credentialFields = {
  id: base64url.max(1024),
  rawId: base64url.max(1024),
  type: z.literal('public-key'),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
};
const registrationSchema = z.object({
  ...credentialFields,
  response: z.object({
    clientDataJSON: base64url,
    attestationObject: base64url,
    transports: z.array(z.string().max(32)).max(16).optional(),
  }),
});
const authenticationSchema = z.object({
  ...credentialFields,
  response: z.object({
    clientDataJSON: base64url,
    authenticatorData: base64url,
    signature: base64url,
    userHandle: base64url.optional(),
  }),
});

/** A credential as the API shows it: never the public key. */
export interface WebAuthnCredentialView {
  id: string;
  name: string | null;
  transports: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
}

const VIEW = { id: true, name: true, transports: true, createdAt: true, lastUsedAt: true } as const;

const invalid = (reason: string, path: (string | number)[] = ['response']) =>
  new ValidationError(`The WebAuthn response was refused: ${reason}.`, [{ path, message: reason }]);

function parseResponse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    'The WebAuthn response is malformed: pass the credential the browser returned, as JSON.',
    parsed.error.issues.map((i) => ({
      path: ['response', ...i.path.map((p) => (typeof p === 'number' ? p : String(p)))],
      message: i.message,
    })),
  );
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b);

export function createWebAuthnService({ db, redis, rp, now = () => new Date() }: WebAuthnDeps) {
  const rpIdHash = createHash('sha256').update(rp.id).digest();

  async function keepChallenge(userId: string, ceremony: WebAuthnCeremony, challenge: string) {
    await redis.set(challengeKey(userId, ceremony), challenge, 'EX', WEBAUTHN_CHALLENGE_TTL_SECONDS);
  }

  /** Reads and deletes the pending challenge: whatever the verification's outcome, it cannot be answered twice. */
  async function spendChallenge(userId: string, ceremony: WebAuthnCeremony): Promise<string> {
    const challenge = await redis.getdel(challengeKey(userId, ceremony));
    if (!challenge) {
      const begin = ceremony === 'registration' ? 'beginWebAuthnRegistration' : 'beginWebAuthnStepUp';
      throw new ConflictError(
        'User',
        userId,
        `has no pending WebAuthn ${ceremony} challenge (it expired after 5 minutes or was already used); call ${begin} again.`,
      );
    }
    return challenge;
  }

  /** The client data: the ceremony, our challenge, our origin. */
  function checkClientData(clientDataJSON: string, type: 'webauthn.create' | 'webauthn.get', challenge: string) {
    const path = ['response', 'response', 'clientDataJSON'];
    let data: { type?: unknown; challenge?: unknown; origin?: unknown };
    try {
      data = JSON.parse(isoBase64URL.toUTF8String(clientDataJSON)) as typeof data;
    } catch {
      throw invalid('clientDataJSON is not JSON', path);
    }
    if (data?.type !== type) throw invalid(`clientDataJSON.type is not ${type}`, path);
    if (data.challenge !== challenge) throw invalid('the response answers a different challenge', path);
    if (data.origin !== rp.origin) throw invalid(`origin ${String(data.origin)} is not ${rp.origin}`, path);
  }

  /** The authenticator data: our RP ID, the user present. */
  function checkAuthenticatorData(authData: Uint8Array, path: string[]) {
    let parsed: ReturnType<typeof parseAuthenticatorData>;
    try {
      parsed = parseAuthenticatorData(new Uint8Array(authData));
    } catch {
      throw invalid('authenticator data is malformed', path);
    }
    if (!sameBytes(parsed.rpIdHash, rpIdHash)) throw invalid(`the credential is not scoped to ${rp.id}`, path);
    if (!parsed.flags.up) throw invalid('the user was not present', path);
    return parsed;
  }

  return {
    /** PublicKeyCredentialCreationOptionsJSON for the browser's navigator.credentials.create(). */
    async registrationOptions(userId: string) {
      const user = await db.user.findUniqueOrThrow({
        where: { id: userId },
        select: {
          email: true,
          displayName: true,
          webauthnCredentials: { select: { credentialId: true, transports: true } },
        },
      });
      const options = await generateRegistrationOptions({
        rpName: rp.name,
        rpID: rp.id,
        userName: user.email,
        userDisplayName: user.displayName ?? user.email,
        userID: new Uint8Array(Buffer.from(userId.replaceAll('-', ''), 'hex')),
        timeout: TIMEOUT_MS,
        attestationType: 'none',
        excludeCredentials: user.webauthnCredentials.map((c) => ({
          id: c.credentialId,
          transports: c.transports,
        })),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      });
      await keepChallenge(userId, 'registration', options.challenge);
      return options;
    },

    /** Verifies navigator.credentials.create()'s result against the pending challenge and stores the credential. */
    async verifyRegistration(userId: string, response: unknown, name?: string | null): Promise<WebAuthnCredentialView> {
      const body = parseResponse(registrationSchema, response);
      const label = name?.trim() || null;
      if (label && label.length > 255)
        throw new ValidationError('The name is too long.', [{ path: ['name'], message: 'at most 255 characters' }]);
      const challenge = await spendChallenge(userId, 'registration');
      checkClientData(body.response.clientDataJSON, 'webauthn.create', challenge);
      const attestationPath = ['response', 'response', 'attestationObject'];
      let authData: Uint8Array | undefined;
      try {
        authData = decodeAttestationObject(isoBase64URL.toBuffer(body.response.attestationObject)).get('authData');
      } catch {
        throw invalid('attestationObject is not CBOR', attestationPath);
      }
      if (!authData) throw invalid('attestationObject has no authData', attestationPath);
      checkAuthenticatorData(authData, attestationPath);

      let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
      try {
        verified = await verifyRegistrationResponse({
          response: body as RegistrationResponseJSON,
          expectedChallenge: challenge,
          expectedOrigin: rp.origin,
          expectedRPID: rp.id,
          requireUserVerification: false,
        });
      } catch (err) {
        throw invalid(err instanceof Error ? err.message : 'attestation not verified', attestationPath);
      }
      if (!verified.verified) throw invalid('attestation not verified', attestationPath);
      const { credential } = verified.registrationInfo;

      const existing = await db.webauthnCredential.findUnique({ where: { credentialId: credential.id } });
      if (existing) {
        throw new ConflictError('User', userId, 'cannot register this authenticator: it is registered already.');
      }
      const transports = [...new Set(body.response.transports ?? credential.transports ?? [])].filter((t) =>
        (TRANSPORTS as readonly string[]).includes(t),
      );
      return db.webauthnCredential.create({
        data: {
          userId,
          credentialId: credential.id,
          publicKey: credential.publicKey,
          counter: BigInt(credential.counter),
          transports,
          name: label,
        },
        select: VIEW,
      });
    },

    /** PublicKeyCredentialRequestOptionsJSON for navigator.credentials.get(), listing the user's credentials. */
    async authenticationOptions(userId: string) {
      const credentials = await db.webauthnCredential.findMany({
        where: { userId },
        select: { credentialId: true, transports: true },
        orderBy: { createdAt: 'asc' },
      });
      if (credentials.length === 0) {
        throw new ConflictError('User', userId, 'has no WebAuthn credential; register one first.');
      }
      const options = await generateAuthenticationOptions({
        rpID: rp.id,
        timeout: TIMEOUT_MS,
        userVerification: 'preferred',
        allowCredentials: credentials.map((c) => ({
          id: c.credentialId,
          transports: c.transports,
        })),
      });
      await keepChallenge(userId, 'authentication', options.challenge);
      return options;
    },

    /**
     * Verifies navigator.credentials.get()'s result: the pending challenge, our origin and RP ID, one of the user's
     * credentials, its signature, and a signature counter that moved forward (a counter that did not is a cloned
     * authenticator). Records the new counter and the time of use.
     */
    async verifyAuthentication(userId: string, response: unknown): Promise<{ credentialId: string; counter: number }> {
      const body = parseResponse(authenticationSchema, response);
      const challenge = await spendChallenge(userId, 'authentication');
      checkClientData(body.response.clientDataJSON, 'webauthn.get', challenge);
      const authDataPath = ['response', 'response', 'authenticatorData'];
      const authData = checkAuthenticatorData(isoBase64URL.toBuffer(body.response.authenticatorData), authDataPath);

      const stored = await db.webauthnCredential.findFirst({ where: { credentialId: body.id, userId } });
      if (!stored) throw invalid('the credential is not registered to you', ['response', 'id']);
      const storedCounter = Number(stored.counter);
      if ((authData.counter > 0 || storedCounter > 0) && authData.counter <= storedCounter) {
        throw new AuthError(
          'FORBIDDEN',
          'The authenticator signature counter did not increase: the authenticator may have been cloned. Use another credential or re-register this one.',
          { reason: 'counter_not_increased', counter: authData.counter, expectedAbove: storedCounter },
        );
      }

      let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
      try {
        verified = await verifyAuthenticationResponse({
          response: body as AuthenticationResponseJSON,
          expectedChallenge: challenge,
          expectedOrigin: rp.origin,
          expectedRPID: rp.id,
          credential: {
            id: stored.credentialId,
            publicKey: new Uint8Array(stored.publicKey),
            counter: storedCounter,
            transports: stored.transports,
          },
          requireUserVerification: false,
        });
      } catch {
        verified = { verified: false } as typeof verified;
      }
      if (!verified.verified) throw invalid('the signature does not verify', ['response', 'response', 'signature']);

      const counter = verified.authenticationInfo.newCounter;
      // Conditional on the counter read above: of two assertions racing with one counter value, one wins.
      const updated = await db.webauthnCredential.updateMany({
        where: { id: stored.id, counter: stored.counter },
        data: { counter: BigInt(counter), lastUsedAt: now() },
      });
      if (updated.count !== 1) {
        throw new AuthError('FORBIDDEN', 'The credential was used concurrently; try again.', {
          reason: 'counter_race',
        });
      }
      return { credentialId: stored.credentialId, counter };
    },
  };
}

export type WebAuthnService = ReturnType<typeof createWebAuthnService>;
