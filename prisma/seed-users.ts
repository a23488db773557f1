// Demo sign-ins, one per role, for a development machine (never in production): known passwords, and TOTP already
// enrolled for the two roles that need it (super_admin always; cfo for approving transfers with a step-up).

import type { Role } from '../src/domain/auth/roles.js';
import type { Prisma } from '../src/generated/prisma/client.js';
import type { PasswordHasher } from '../src/platform/crypto/password.js';
import type { SecretBox } from '../src/platform/crypto/secret-box.js';
import { base32Decode } from '../src/platform/crypto/totp.js';
import type { Database } from '../src/platform/db/prisma.js';

export interface DemoUser {
  email: string;
  password: string;
  roles: Role[];
  /** Base32 TOTP secret (add it to an authenticator app), for users with MFA enrolled. */
  totpSecret?: string;
  attributes?: Record<string, unknown>;
}

export function demoUsers(agentId: string, personaId: string): DemoUser[] {
  return [
    {
      email: 'admin@chimera.local',
      password: 'chimera-admin-demo',
      roles: ['super_admin'],
      totpSecret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
    },
    {
      email: 'operator@chimera.local',
      password: 'chimera-operator-demo',
      roles: ['agent_operator'],
      attributes: { agentIds: [agentId], personaIds: [personaId], maxTaskPriority: 'high' },
    },
    { email: 'reviewer@chimera.local', password: 'chimera-reviewer-demo', roles: ['content_reviewer'] },
    {
      email: 'cfo@chimera.local',
      password: 'chimera-cfo-demo',
      roles: ['cfo'],
      totpSecret: 'KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TF',
    },
    { email: 'analyst@chimera.local', password: 'chimera-analyst-demo', roles: ['analyst'] },
  ];
}

export async function seedDemoUsers(
  db: Database,
  deps: { hasher: PasswordHasher; box: SecretBox },
  users: DemoUser[],
): Promise<void> {
  for (const u of users) {
    const data = {
      passwordHash: await deps.hasher.hash(u.password),
      roles: u.roles,
      attributes: (u.attributes ?? {}) as Prisma.InputJsonObject,
      totpSecretEncrypted: u.totpSecret ? deps.box.encrypt(base32Decode(u.totpSecret)) : null,
      mfaEnabledAt: u.totpSecret ? new Date() : null,
      lockedUntil: null,
      disabledAt: null,
    };
    await db.user.upsert({ where: { email: u.email }, create: { email: u.email, ...data }, update: data });
  }
}
