// Signing in and out, tokens, TOTP enrolment and step-up, and `me`.
import type { Principal } from '../../domain/auth/principal.js';
import { requireUserSession } from '../../domain/auth/step-up.service.js';
import { base32Encode } from '../../platform/crypto/totp.js';
import { builder } from '../builder.js';

export const AuthPayload = builder
  .objectRef<{ accessToken: string; accessTokenExpiresAt: Date; refreshToken: string; refreshTokenExpiresAt: Date }>(
    'AuthPayload',
  )
  .implement({
    description: 'Send accessToken as `Authorization: Bearer …`; exchange refreshToken (once) for a new pair.',
    fields: (t) => ({
      accessToken: t.exposeString('accessToken'),
      accessTokenExpiresAt: t.expose('accessTokenExpiresAt', { type: 'DateTime' }),
      refreshToken: t.exposeString('refreshToken'),
      refreshTokenExpiresAt: t.expose('refreshTokenExpiresAt', { type: 'DateTime' }),
      tokenType: t.string({ resolve: () => 'Bearer' }),
    }),
  });

const SessionInfo = builder
  .objectRef<{ id: string; amr: readonly string[]; stepUpAt: Date | null; expiresAt: Date }>('SessionInfo')
  .implement({
    fields: (t) => ({
      id: t.exposeString('id'),
      amr: t.stringList({
        description: 'How this session was authenticated (RFC 8176): pwd, otp, hwk, rec, fed.',
        resolve: (s) => [...s.amr],
      }),
      stepUpAt: t.expose('stepUpAt', { type: 'DateTime', nullable: true }),
      accessTokenExpiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    }),
  });

const Viewer = builder.objectRef<Principal>('Viewer').implement({
  description: 'The caller: a signed-in user or an API key.',
  fields: (t) => ({
    kind: t.string({ resolve: (p) => (p.kind === 'user' ? 'USER' : 'API_KEY') }),
    id: t.exposeString('id', { description: 'The user or API key UUID.' }),
    email: t.exposeString('email', { nullable: true }),
    roles: t.stringList({ resolve: (p) => [...p.roles] }),
    permissions: t.stringList({ resolve: (p) => [...p.permissions].sort() }),
    assignedAgentIds: t.stringList({
      nullable: true,
      description: 'null: every agent. Otherwise the agent UUIDs this caller may reach.',
      resolve: (p) => (p.agentScope ? [...p.agentScope] : null),
    }),
    clearance: t.string({ resolve: (p) => p.clearance }),
    maxTaskPriority: t.string({ nullable: true, resolve: (p) => p.maxTaskPriority }),
    mfaEnrolled: t.exposeBoolean('mfaEnrolled'),
    session: t.field({ type: SessionInfo, nullable: true, resolve: (p) => p.session }),
  }),
});

const LoginInput = builder.inputType('LoginInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    password: t.string({ required: true }),
    totp: t.string({ description: 'The 6-digit code, when the account has an authenticator app.' }),
    recoveryCode: t.string({ description: 'A single-use recovery code, instead of a TOTP code.' }),
  }),
});

const TotpEnrolment = builder.objectRef<{ secret: string; otpauthUri: string }>('TotpEnrolment').implement({
  description: 'Add to an authenticator app (scan otpauthUri as a QR code), then confirm with a first code.',
  fields: (t) => ({ secret: t.exposeString('secret'), otpauthUri: t.exposeString('otpauthUri') }),
});

export const StepUp = builder.objectRef<{ stepUpAt: Date; validUntil: Date }>('StepUp').implement({
  fields: (t) => ({
    stepUpAt: t.expose('stepUpAt', { type: 'DateTime' }),
    validUntil: t.expose('validUntil', { type: 'DateTime', description: 'Sensitive operations are open until then.' }),
  }),
});

builder.queryFields((t) => ({
  me: t.field({ type: Viewer, nullable: true, resolve: (_r, _a, ctx) => ctx.principal }),
}));

builder.mutationFields((t) => ({
  login: t.field({
    type: AuthPayload,
    description: 'Password sign-in (plus TOTP or a recovery code when enrolled). Locked after repeated failures.',
    args: { input: t.arg({ type: LoginInput, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.services.auth.login(input, ctx.meta),
  }),
  refreshToken: t.field({
    type: AuthPayload,
    description: 'Rotates: the refresh token given is spent; using it again revokes the whole session.',
    args: { refreshToken: t.arg.string({ required: true }) },
    resolve: (_r, { refreshToken }, ctx) => ctx.services.auth.refresh(refreshToken, ctx.meta),
  }),
  logout: t.boolean({
    description: 'Revokes the session: its access and refresh tokens stop working at once.',
    resolve: async (_r, _a, ctx) => {
      if (ctx.principal) await ctx.services.auth.logout(ctx.principal, ctx.meta);
      return true;
    },
  }),
  beginTotpEnrolment: t.field({
    type: TotpEnrolment,
    resolve: async (_r, _a, ctx) => {
      const { secret, otpauthUri } = await ctx.services.totp.beginEnrolment(requireUserSession(ctx.principal).userId);
      return { secret: base32Encode(secret), otpauthUri };
    },
  }),
  confirmTotpEnrolment: t.stringList({
    description: 'Turns TOTP on with a first code; returns 10 single-use recovery codes, shown only now.',
    args: { code: t.arg.string({ required: true }) },
    resolve: async (_r, { code }, ctx) => {
      const { userId, sessionId } = requireUserSession(ctx.principal);
      const codes = await ctx.services.totp.confirmEnrolment(userId, code);
      // The first code proves possession: the session counts as MFA-authenticated from now on.
      await ctx.services.stepUp.opened(sessionId, 'otp');
      return codes;
    },
  }),
  stepUpWithTotp: t.field({
    type: StepUp,
    description: 'Proves presence with a TOTP code; sensitive operations are then open for 5 minutes.',
    args: { code: t.arg.string({ required: true }) },
    resolve: (_r, { code }, ctx) => ctx.services.stepUp.withTotp(ctx.principal, code, ctx.meta),
  }),
}));
