// chimera seed: the demo persona, agent and trends (idempotent), and outside production the demo users.
import { seedAll } from '../../../prisma/seed.js';
import { createDatabase } from '../../platform/db/prisma.js';
import type { CliCommand } from '../command.js';

export const seedCommand: CliCommand = {
  name: 'seed',
  summary: 'seed the demo persona, agent, trends and (outside production) demo users',
  usage: `Usage: chimera seed   (also: npm run db:seed)

Idempotent: fixed ids, so running it again refreshes the demo instead of duplicating it. In production only the demo
persona, agent and trends are seeded, never users.`,
  options: {},
  async run({ config, io }) {
    const c = await config();
    const db = createDatabase({ url: c.databaseUrl, poolSize: 2 });
    try {
      await seedAll(db, c, (line) => io.out(line));
      return 0;
    } finally {
      await db.$disconnect();
    }
  },
};
