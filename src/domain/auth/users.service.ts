// Users and service API keys: creation, roles (a privilege change), ABAC attributes, unlock, revocation.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client.js';
import type { PasswordHasher } from '../../platform/crypto/password.js';
import type { Database } from '../../platform/db/prisma.js';
import { type RequestMeta, recordSecurityEvent } from '../security/security-audit.js';
import { NotFoundError } from '../shared/errors.js';
import { nonBlank, parseInput, withDefault } from '../shared/validation.js';
import { API_KEY_PREFIX, sha256 } from './auth.service.js';
import { accessAttributesSchema, type Principal } from './principal.js';
import { ROLES } from './roles.js';

const roles = z
  .array(z.enum(ROLES))
  .max(ROLES.length)
  .transform((r) => [...new Set(r)]);
const password = z.string().min(12, 'must be at least 12 characters').max(200, 'must be at most 200 characters');

const createUserSchema = z.object({
  email: z
    .email('must be an email address')
    .max(320)
    .transform((e) => e.trim().toLowerCase()),
  displayName: nonBlank(255).nullish(),
  password: password.nullish(),
  roles,
  attributes: withDefault(accessAttributesSchema, {}),
});

const createApiKeySchema = z.object({
  name: nonBlank(255),
  // A key signs in without MFA, so it may never carry the roles MFA guards (super_admin) or transfer approval (cfo).
  roles: withDefault(roles, ['api_user']).refine(
    (r) => !r.includes('super_admin') && !r.includes('cfo'),
    'API keys cannot hold super_admin or cfo: those roles need a person with MFA',
  ),
  attributes: withDefault(accessAttributesSchema, {}),
  expiresAt: z.date().nullish(),
});

/** Attributes arrive as free JSON and are validated here. */
export type CreateUserInput = Omit<z.input<typeof createUserSchema>, 'attributes'> & { attributes?: unknown };
export type CreateApiKeyInput = Omit<z.input<typeof createApiKeySchema>, 'attributes'> & { attributes?: unknown };

type UserQuery = Pick<Prisma.UserFindUniqueArgs, 'include' | 'select'>;

export function createUserService({ db, hasher }: { db: Database; hasher: PasswordHasher }) {
  async function requireUser(id: string) {
    const user = await db.user.findUnique({ where: { id } });
    if (!user) throw new NotFoundError('User', id);
    return user;
  }

  return {
    get: (id: string, query: UserQuery = {}) => db.user.findUnique({ ...query, where: { id } }),
    list: (page: Pick<Prisma.UserFindManyArgs, 'take' | 'skip' | 'cursor' | 'select' | 'include'>) =>
      db.user.findMany({ ...page, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
    count: () => db.user.count(),

    async create(input: CreateUserInput, actor: Principal | null, meta: RequestMeta, query: UserQuery = {}) {
      const data = parseInput(createUserSchema, input);
      const passwordHash = data.password ? await hasher.hash(data.password) : null;
      const user = await db.user.create({
        ...query,
        data: {
          email: data.email,
          displayName: data.displayName ?? null,
          passwordHash,
          roles: data.roles,
          attributes: data.attributes as Prisma.InputJsonObject,
        },
      });
      await recordSecurityEvent(db, {
        action: 'user.created',
        success: true,
        riskScore: data.roles.includes('super_admin') ? 7 : 3,
        userId: actor?.id ?? null,
        resourceType: 'user',
        resourceId: user.id,
        metadata: { roles: data.roles },
        meta,
      });
      return user;
    },

    /** A privilege change: always recorded with the before and after. */
    async setRoles(id: string, newRoles: string[], actor: Principal, meta: RequestMeta, query: UserQuery = {}) {
      const next = parseInput(roles, newRoles, ['roles']);
      const before = await requireUser(id);
      const user = await db.user.update({ ...query, where: { id }, data: { roles: next } });
      await recordSecurityEvent(db, {
        action: 'user.roles_changed',
        success: true,
        riskScore: next.includes('super_admin') || next.includes('cfo') ? 8 : 5,
        userId: actor.id,
        resourceType: 'user',
        resourceId: id,
        metadata: { before: before.roles, after: next },
        meta,
      });
      return user;
    },

    async setAttributes(id: string, attributes: unknown, actor: Principal, meta: RequestMeta, query: UserQuery = {}) {
      const next = parseInput(accessAttributesSchema, attributes, ['attributes']);
      const before = await requireUser(id);
      const user = await db.user.update({
        ...query,
        where: { id },
        data: { attributes: next as Prisma.InputJsonObject },
      });
      await recordSecurityEvent(db, {
        action: 'user.attributes_changed',
        success: true,
        riskScore: 4,
        userId: actor.id,
        resourceType: 'user',
        resourceId: id,
        metadata: { before: before.attributes, after: next },
        meta,
      });
      return user;
    },

    async unlock(id: string, actor: Principal, meta: RequestMeta, query: UserQuery = {}) {
      await requireUser(id);
      const user = await db.user.update({ ...query, where: { id }, data: { lockedUntil: null } });
      await recordSecurityEvent(db, {
        action: 'user.unlocked',
        success: true,
        riskScore: 4,
        userId: actor.id,
        resourceType: 'user',
        resourceId: id,
        meta,
      });
      return user;
    },

    /** Creates an API key; the returned secret is shown once and never stored. */
    async createApiKey(input: CreateApiKeyInput, actor: Principal, meta: RequestMeta) {
      const data = parseInput(createApiKeySchema, input);
      const prefix = randomBytes(6).toString('hex');
      const secret = randomBytes(32).toString('base64url').replaceAll('_', 'x');
      const key = await db.apiKey.create({
        data: {
          name: data.name,
          prefix,
          secretHash: sha256(secret),
          roles: data.roles,
          attributes: data.attributes as Prisma.InputJsonObject,
          createdBy: actor.kind === 'user' ? actor.id : null,
          expiresAt: data.expiresAt ?? null,
        },
      });
      await recordSecurityEvent(db, {
        action: 'api_key.created',
        success: true,
        riskScore: 5,
        userId: actor.id,
        resourceType: 'api_key',
        resourceId: key.id,
        metadata: { roles: data.roles, name: data.name },
        meta,
      });
      return { key, secret: `${API_KEY_PREFIX}${prefix}_${secret}` };
    },

    async revokeApiKey(id: string, actor: Principal, meta: RequestMeta) {
      const existing = await db.apiKey.findUnique({ where: { id } });
      if (!existing) throw new NotFoundError('ApiKey', id);
      const key = existing.revokedAt
        ? existing
        : await db.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
      await recordSecurityEvent(db, {
        action: 'api_key.revoked',
        success: true,
        riskScore: 4,
        userId: actor.id,
        resourceType: 'api_key',
        resourceId: id,
        meta,
      });
      return key;
    },

    listApiKeys: (page: Pick<Prisma.ApiKeyFindManyArgs, 'take' | 'skip' | 'cursor'>) =>
      db.apiKey.findMany({ ...page, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
  };
}

export type UserService = ReturnType<typeof createUserService>;
