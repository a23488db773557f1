// Users and API keys (administration), and signing-key rotation.

import { ROLES } from '../../domain/auth/roles.js';
import { requireUserSession } from '../../domain/auth/step-up.service.js';
import { builder } from '../builder.js';
import { idOf } from '../ids.js';
import { connectionOf, enumFromValues } from './common.js';

export const Role = enumFromValues(
  'Role',
  ROLES,
  'A role (spec "Authorization Model"), plus CFO for transfer approval.',
);

export const User = builder.prismaNode('User', {
  id: { field: 'id' },
  nullable: true,
  description: 'Someone who uses the API. Secrets (password hash, TOTP secret) are never exposed.',
  fields: (t) => ({
    email: t.exposeString('email'),
    displayName: t.exposeString('displayName', { nullable: true }),
    roles: t.field({ type: [Role], resolve: (u) => u.roles as (typeof ROLES)[number][] }),
    attributes: t.expose('attributes', { type: 'JSON' }),
    mfaEnabled: t.boolean({ resolve: (u) => u.mfaEnabledAt !== null }),
    lockedUntil: t.expose('lockedUntil', { type: 'DateTime', nullable: true }),
    disabled: t.boolean({ resolve: (u) => u.disabledAt !== null }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const ApiKey = builder.prismaNode('ApiKey', {
  id: { field: 'id' },
  nullable: true,
  description: 'A service credential. Only its prefix is shown after creation.',
  fields: (t) => ({
    name: t.exposeString('name'),
    prefix: t.exposeString('prefix'),
    roles: t.field({ type: [Role], resolve: (k) => k.roles as (typeof ROLES)[number][] }),
    attributes: t.expose('attributes', { type: 'JSON' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

const UserConnection = connectionOf(User, 'User');
const ApiKeyConnection = connectionOf(ApiKey, 'ApiKey');

const CreateUserInput = builder.inputType('CreateUserInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    displayName: t.string(),
    password: t.string({ description: 'At least 12 characters; leave out for users who sign in through OIDC only.' }),
    roles: t.field({ type: [Role], required: true }),
    attributes: t.field({
      type: 'JSONObject',
      description: 'ABAC: { agentIds, personaIds, clearance, maxTaskPriority, boundAgentId }.',
    }),
  }),
});

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    roles: t.field({ type: [Role], description: 'Default [API_USER].' }),
    attributes: t.field({ type: 'JSONObject', description: 'ABAC, as for users (agentIds, boundAgentId, …).' }),
    expiresAt: t.field({ type: 'DateTime' }),
  }),
});

const CreatedApiKey = builder.objectRef<{ key: { id: string }; secret: string }>('CreatedApiKey').implement({
  fields: (t) => ({
    apiKey: t.prismaField({
      type: 'ApiKey',
      resolve: (query, parent, _a, ctx) => ctx.db.apiKey.findUniqueOrThrow({ ...query, where: { id: parent.key.id } }),
    }),
    secret: t.exposeString('secret', { description: 'Send as `Authorization: Bearer <secret>`. Shown only once.' }),
  }),
});

const KeyRotation = builder.objectRef<{ kid: string; retired: string[] }>('SigningKeyRotation').implement({
  fields: (t) => ({ kid: t.exposeString('kid'), retired: t.exposeStringList('retired') }),
});

builder.queryFields((t) => ({
  users: t.prismaConnection(
    {
      type: 'User',
      cursor: 'id',
      totalCount: (_r, _a, ctx) => ctx.services.users.count(),
      resolve: (query, _r, _a, ctx) => ctx.services.users.list(query),
    },
    UserConnection,
  ),
  apiKeys: t.prismaConnection(
    { type: 'ApiKey', cursor: 'id', resolve: (query, _r, _a, ctx) => ctx.services.users.listApiKeys(query) },
    ApiKeyConnection,
  ),
}));

builder.mutationFields((t) => ({
  createUser: t.prismaField({
    type: 'User',
    args: { input: t.arg({ type: CreateUserInput, required: true }) },
    resolve: (query, _r, { input }, ctx) => ctx.services.users.create(input, ctx.principal, ctx.meta, query),
  }),
  setUserRoles: t.prismaField({
    type: 'User',
    description: 'A privilege change: needs a step-up within the last 5 minutes.',
    args: { id: t.arg.globalID({ required: true }), roles: t.arg({ type: [Role], required: true }) },
    resolve: (query, _r, { id, roles }, ctx) =>
      ctx.services.users.setRoles(idOf(id, 'User'), roles, requirePrincipal(ctx), ctx.meta, query),
  }),
  setUserAttributes: t.prismaField({
    type: 'User',
    args: { id: t.arg.globalID({ required: true }), attributes: t.arg({ type: 'JSONObject', required: true }) },
    resolve: (query, _r, { id, attributes }, ctx) =>
      ctx.services.users.setAttributes(idOf(id, 'User'), attributes, requirePrincipal(ctx), ctx.meta, query),
  }),
  unlockUser: t.prismaField({
    type: 'User',
    args: { id: t.arg.globalID({ required: true }) },
    resolve: (query, _r, { id }, ctx) =>
      ctx.services.users.unlock(idOf(id, 'User'), requirePrincipal(ctx), ctx.meta, query),
  }),
  createApiKey: t.field({
    type: CreatedApiKey,
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.services.users.createApiKey(input, requirePrincipal(ctx), ctx.meta),
  }),
  revokeApiKey: t.prismaField({
    type: 'ApiKey',
    args: { id: t.arg.globalID({ required: true }) },
    resolve: async (query, _r, { id }, ctx) => {
      const key = await ctx.services.users.revokeApiKey(idOf(id, 'ApiKey'), requirePrincipal(ctx), ctx.meta);
      return ctx.db.apiKey.findUniqueOrThrow({ ...query, where: { id: key.id } });
    },
  }),
  rotateSigningKey: t.field({
    type: KeyRotation,
    description: 'Signs new tokens with a fresh key; tokens signed by the old one stay valid until they expire.',
    resolve: async (_r, _a, ctx) => {
      const { userId } = requireUserSession(ctx.principal);
      return ctx.services.signingKeys.rotate({ userId, via: 'api', meta: ctx.meta });
    },
  }),
}));

function requirePrincipal(ctx: { principal: import('../../domain/auth/principal.js').Principal | null }) {
  if (!ctx.principal) throw new Error('The rule tree admits only signed-in callers here.');
  return ctx.principal;
}
