// chimera create-user --email you@example.com --role super_admin [--role cfo] [--password …] [--name …]
// Creates a user (the first super_admin of a fresh install, typically). Without --password one is generated and
// printed once. A super_admin must enrol an authenticator app at first sign-in before it can act.
import { randomBytes } from 'node:crypto';
import { ROLES, type Role } from '../../domain/auth/roles.js';
import { createUserService } from '../../domain/auth/users.service.js';
import { createPasswordHasher } from '../../platform/crypto/password.js';
import { createDatabase } from '../../platform/db/prisma.js';
import { type CliCommand, stringValue, UsageError } from '../command.js';

const USAGE = `Usage: chimera create-user --email <email> --role <role> [--role <role>] [--password <pw>] [--name <name>]
       (also: npm run user:create -- …)

Roles: ${ROLES.join(', ')}. Without --password a strong one is generated and printed once.`;

export const createUserCommand: CliCommand = {
  name: 'create-user',
  summary: 'create a user (the first super_admin of a fresh install)',
  usage: USAGE,
  options: {
    email: { type: 'string' },
    role: { type: 'string', multiple: true, default: [] },
    password: { type: 'string' },
    name: { type: 'string' },
  },
  async run({ values, config, io }) {
    const email = stringValue(values, 'email');
    const roles = (values.role as string[] | undefined) ?? [];
    if (!email || roles.length === 0) throw new UsageError('--email and at least one --role are required.');
    const c = await config();
    const db = createDatabase({ url: c.databaseUrl, poolSize: 1 });
    try {
      const given = stringValue(values, 'password');
      const password = given ?? randomBytes(18).toString('base64url');
      const users = createUserService({ db, hasher: createPasswordHasher(c.auth.passwordHashMemoryKib) });
      const user = await users
        .create(
          {
            email,
            password, // The user service validates the roles (an unknown one is a BAD_USER_INPUT naming them).
            roles: roles as Role[],
            displayName: stringValue(values, 'name'),
          },
          null,
          {
            userAgent: 'chimera-cli',
          },
        )
        .catch((err: unknown) => {
          if ((err as { code?: string }).code === 'P2002') {
            throw new Error(`A user with the email ${email} already exists.`);
          }
          throw err;
        });
      io.out(`Created ${user.email} (${user.roles.join(', ')}), id ${user.id}.`);
      if (!given) io.out(`Password (shown once): ${password}`);
      if (user.roles.includes('super_admin')) {
        io.out('Sign in, then enrol TOTP (beginTotpEnrolment / confirmTotpEnrolment) before acting.');
      }
      return 0;
    } finally {
      await db.$disconnect();
    }
  },
};
