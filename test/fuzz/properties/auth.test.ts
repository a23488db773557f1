// Token, credential and TOTP parsing (src/domain/auth/tokens.ts, auth.service.ts authenticate, totp.service.ts and
// src/platform/crypto/totp.ts) and the Redis rate limiter (src/domain/security/rate-limit.ts), against the real
// services: garbage and tampered credentials are refused with the coded error and nothing else; TOTP accepts a code
// of its window only; the sliding windows admit exactly what a model of them admits, all windows or none.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthError } from '../../../src/domain/auth/auth-errors.js';
import { TokenRejected } from '../../../src/domain/auth/tokens.js';
import {
  createRateLimiter,
  identityKindOf,
  SPEC_RATE_LIMITS,
  type WindowSpec,
} from '../../../src/domain/security/rate-limit.js';
import {
  base32Decode,
  base32Encode,
  hotp,
  TOTP_STEP_SECONDS,
  totpAt,
  verifyTotp,
} from '../../../src/platform/crypto/totp.js';
import { type Identity, startTestApp, type TestApp } from '../../helpers/app.js';
import { check, FULL, PROPERTY_TIMEOUT_MS } from '../lib/mode.js';

/** Full mode runs thousands of cases per property: the default 30 s is not enough. */
vi.setConfig({ testTimeout: PROPERTY_TIMEOUT_MS });

const ASYNC_RUNS = FULL ? 1_000 : 60;
let t: TestApp;
let user: Identity;
beforeAll(async () => {
  t = await startTestApp();
  user = await t.signIn(['analyst']);
});
afterAll(() => t?.close());

const base64url = fc
  .array(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), { maxLength: 60 })
  .map((c) => c.join(''));
const garbage = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.tuple(base64url, base64url, base64url).map((p) => p.join('.')),
  fc
    .jsonValue()
    .map(
      (v) =>
        `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url')}.`,
    ),
  fc.string({ maxLength: 40 }).map((s) => `chk_${s}`),
  fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 30 })).map(([a, b]) => `chk_${a}_${b}`),
);

/** The outcome of verifying a token: its claims' subject, or the refusal reason; anything else is thrown. */
async function verdict(token: string): Promise<string> {
  try {
    return `ok:${(await t.app.services.tokens.verify(token, 'access')).sub}`;
  } catch (err) {
    if (err instanceof TokenRejected) return 'rejected';
    throw err;
  }
}

describe('tokens and credentials', () => {
  it(
    'garbage is refused as TokenRejected by the verifier and UNAUTHENTICATED by authenticate, never anything else',
    () =>
      check(
        501,
        fc.asyncProperty(garbage, async (credential) => {
          if (!credential.startsWith('chk_')) expect(await verdict(credential)).toBe('rejected');
          const err = await t.app.services.auth.authenticate(credential, {}).then(
            () => null,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(AuthError);
          expect((err as AuthError).code).toBe('UNAUTHENTICATED');
        }),
        ASYNC_RUNS,
      ),
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'a real access token with any one character changed (or cut short, or extended) is refused',
    () =>
      check(
        502,
        fc.asyncProperty(
          fc.nat(),
          fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'),
          fc.constantFrom('replace', 'cut', 'append' as const),
          async (at, ch, how) => {
            const token = user.accessToken;
            const i = at % token.length;
            const tampered =
              how === 'cut'
                ? token.slice(0, i)
                : how === 'append'
                  ? `${token}${ch}`
                  : `${token.slice(0, i)}${ch}${token.slice(i + 1)}`;
            fc.pre(tampered !== token);
            const out = await verdict(tampered);
            // A base64url tail can absorb a change to its unused low bits and still decode to the same bytes.
            if (out !== 'rejected') {
              expect(Buffer.from(tampered.split('.')[2] ?? '', 'base64url')).toEqual(
                Buffer.from(token.split('.')[2] ?? '', 'base64url'),
              );
            }
          },
        ),
        ASYNC_RUNS,
      ),
    PROPERTY_TIMEOUT_MS,
  );

  it('the untampered token is accepted, and is not a refresh token', async () => {
    expect(await verdict(user.accessToken)).toBe(`ok:user:${user.userId}`);
    await expect(t.app.services.tokens.verify(user.accessToken, 'refresh')).rejects.toBeInstanceOf(TokenRejected);
    await expect(t.app.services.tokens.verify(user.refreshToken, 'access')).rejects.toBeInstanceOf(TokenRejected);
  });
});

describe.concurrent('TOTP', () => {
  const secret = fc.uint8Array({ minLength: 10, maxLength: 32 }).map((b) => Buffer.from(b));
  const time = fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true });

  it('base32 round-trips every secret; decoding is case- and padding-insensitive', () =>
    check(
      503,
      fc.property(secret, fc.nat(6), (s, pad) => {
        const text = base32Encode(s);
        expect(base32Decode(text)).toEqual(s);
        expect(base32Decode(`${text.toLowerCase()}${'='.repeat(pad)}`)).toEqual(s);
      }),
    ));

  it('a code is accepted within one step of its time, at the step it belongs to', () =>
    check(
      504,
      fc.property(secret, time, fc.integer({ min: -1, max: 1 }), (s, at, drift) => {
        const code = totpAt(s, at);
        const step = Math.floor(at.getTime() / 1000 / TOTP_STEP_SECONDS);
        const checkedAt = new Date(at.getTime() + drift * TOTP_STEP_SECONDS * 1000);
        const matched = verifyTotp(s, code, checkedAt);
        expect(matched).not.toBeNull();
        expect(hotp(s, matched as number)).toBe(code);
        expect(Math.abs((matched as number) - step)).toBeLessThanOrEqual(1);
      }),
    ));

  it('anything but six ASCII digits is refused without throwing', () =>
    check(
      505,
      fc.property(secret, fc.string({ unit: 'grapheme', maxLength: 12 }), time, (s, code, at) => {
        fc.pre(!/^\d{6}$/.test(code));
        expect(verifyTotp(s, code, at)).toBeNull();
      }),
    ));

  it('TOTP and recovery-code checks for arbitrary input answer false, never throw', () =>
    check(
      506,
      fc.asyncProperty(
        fc.option(fc.string({ unit: 'grapheme', maxLength: 20 }), { nil: null }),
        fc.option(fc.string({ unit: 'grapheme', maxLength: 20 }), { nil: null }),
        async (totp, recoveryCode) => {
          expect(await t.app.services.totp.verifySecondFactor(user.userId, { totp, recoveryCode })).toBeNull();
        },
      ),
      Math.min(ASYNC_RUNS, 100),
    ));
});

describe('rate limiter', () => {
  const windowSpec = fc.record({ limit: fc.integer({ min: 1, max: 4 }) });

  it(
    'admits a request exactly when every window it falls under has room, and then counts it in all of them',
    () =>
      check(
        507,
        fc.asyncProperty(
          fc.array(windowSpec, { minLength: 1, maxLength: 3 }),
          fc.array(fc.uniqueArray(fc.nat(2), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 12 }),
          fc.uuid(),
          async (specs, requests, run) => {
            const limiter = createRateLimiter({ redis: t.app.redis, settings: SPEC_RATE_LIMITS });
            const windows: WindowSpec[] = specs.map((s, i) => ({
              name: `w${i}`,
              key: `fuzz:${run}:${i}`,
              limit: s.limit,
              windowMs: 60_000,
            }));
            const used = windows.map(() => 0);
            for (const request of requests) {
              const picked = request.filter((i) => i < windows.length);
              fc.pre(picked.length > 0);
              const d = await limiter.check(picked.map((i) => windows[i] as WindowSpec));
              const room = picked.every((i) => (used[i] as number) < (windows[i] as WindowSpec).limit);
              expect(d.allowed).toBe(room);
              if (room) for (const i of picked) used[i] = (used[i] as number) + 1;
              picked.forEach((i, k) => {
                expect(d.windows[k]?.used).toBe(used[i]);
              });
              expect(d.retryAfterSeconds).toBeGreaterThanOrEqual(1);
            }
          },
        ),
        Math.min(ASYNC_RUNS, 100),
      ),
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'hands out at most `concurrent` in-flight slots; a released slot can be taken again',
    () =>
      check(
        508,
        fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 15 }), fc.uuid(), async (ops, subject) => {
          const limiter = createRateLimiter({ redis: t.app.redis, settings: SPEC_RATE_LIMITS });
          const limit = SPEC_RATE_LIMITS.identities.anonymous.concurrent;
          const held: (() => Promise<void>)[] = [];
          for (const take of ops) {
            if (take || held.length === 0) {
              const release = await limiter.acquire(`fuzz:${subject}`, 'anonymous');
              expect(release !== null).toBe(held.length < limit);
              if (release) held.push(release);
            } else {
              await held.pop()?.();
            }
          }
        }),
        Math.min(ASYNC_RUNS, 100),
      ),
    PROPERTY_TIMEOUT_MS,
  );

  it('a request without a principal is rate-limited as anonymous', () => {
    expect(identityKindOf(null)).toBe('anonymous');
  });
});
