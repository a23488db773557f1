// The public face of the agents: what anyone may see without signing in — the posts the agents have published (the
// platforms show them to the world anyway) and the trends they follow (drawn from public news). Safe content only:
// nothing sensitive, nothing flagged and waiting for a person, nothing of a deactivated agent. These are the results
// an edge (Varnish, Fastly, Cloudflare) may cache for everyone.
import { z } from 'zod';
import { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { withoutOpenFlag } from '../content/flags.js';
import { parseInput } from '../shared/validation.js';
import { trendOrderBy, trendWhere } from '../trends/trends.service.js';

const pageSchema = z.number().int().min(1, 'must be at least 1').max(50, 'must be at most 50').default(20);

export function createShowcaseService({ db }: { db: Database }) {
  return {
    /** Published, safe posts of active agents, newest first (optionally of one agent, by name). */
    async posts(input: { agentName?: string | null; limit?: number | null }) {
      const take = parseInput(pageSchema, input.limit ?? undefined, ['limit']);
      return db.content.findMany({
        where: {
          status: 'published',
          agent: { active: true, ...(input.agentName ? { name: input.agentName } : {}) },
          AND: [
            withoutOpenFlag,
            {
              OR: [
                { metadata: { equals: Prisma.DbNull } },
                { metadata: { path: ['sensitivity'], equals: Prisma.AnyNull } },
                { metadata: { path: ['sensitivity'], equals: 'safe' } },
              ],
            },
          ],
        },
        orderBy: [{ publishedAt: { sort: 'desc', nulls: 'last' } }, { id: 'desc' }],
        take,
        include: {
          agent: { select: { name: true, personaId: true, persona: { select: { name: true } } } },
          publications: { where: { status: 'posted' }, select: { url: true } },
        },
      });
    },

    /** Active trends, most relevant first. */
    trends(input: { limit?: number | null }) {
      const take = parseInput(pageSchema, input.limit ?? undefined, ['limit']);
      return db.trend.findMany({ where: trendWhere({ active: true }), orderBy: trendOrderBy(), take });
    },
  };
}

export type ShowcaseService = ReturnType<typeof createShowcaseService>;
