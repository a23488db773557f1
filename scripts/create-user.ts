// npm run user:create -- --email you@example.com --role super_admin [--role cfo] [--password …]
// Creates a user (the first super_admin of a fresh install, typically). Without --password one is generated and
// printed once. A super_admin must enrol an authenticator app at first sign-in before it can act.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config.js';
import { createUserService } from '../src/domain/auth/users.service.js';
import { DomainError } from '../src/domain/shared/errors.js';
import { createPasswordHasher } from '../src/platform/crypto/password.js';
import { createDatabase } from '../src/platform/db/prisma.js';

const { values } = parseArgs({
  options: {
    email: { type: 'string' },
    role: { type: 'string', multiple: true, default: [] },
    password: { type: 'string' },
    name: { type: 'string' },
  },
});

async function main(): Promise<number> {
  if (!values.email || values.role.length === 0) {
    process.stderr.write(
      'Usage: npm run user:create -- --email <email> --role <role> [--role <role>] [--password <pw>]\n',
    );
    return 2;
  }
  const config = loadConfig();
  const db = createDatabase({ url: config.databaseUrl, poolSize: 1 });
  try {
    const password = values.password ?? randomBytes(18).toString('base64url');
    const users = createUserService({ db, hasher: createPasswordHasher(config.auth.passwordHashMemoryKib) });
    const user = await users.create(
      { email: values.email, password, roles: values.role as never, displayName: values.name },
      null,
      { userAgent: 'chimera-cli' },
    );
    process.stdout.write(`Created ${user.email} (${user.roles.join(', ')}), id ${user.id}.\n`);
    if (!values.password) process.stdout.write(`Password (shown once): ${password}\n`);
    if (user.roles.includes('super_admin')) {
      process.stdout.write('Sign in, then enrol TOTP (beginTotpEnrolment / confirmTotpEnrolment) before acting.\n');
    }
    return 0;
  } catch (err) {
    if (err instanceof DomainError || err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    if ((err as { code?: string }).code === 'P2002') {
      process.stderr.write(`A user with the email ${values.email} already exists.\n`);
      return 1;
    }
    throw err;
  } finally {
    await db.$disconnect();
  }
}

process.exitCode = await main();
