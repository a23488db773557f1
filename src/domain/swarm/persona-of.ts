// What the swarm's stages tell the language model about an agent: its persona and the live trends.

import type { Database } from '../../platform/db/prisma.js';
import type { ContextItem, LlmPersona } from '../../platform/llm/llm.js';
import { beliefsSchema, directivesSchema, readStored, voiceToneSchema } from '../personas/persona.schema.js';
import { trendOrderBy, trendWhere } from '../trends/trends.service.js';

const NEUTRAL_VOICE: LlmPersona['voiceTone'] = {
  descriptors: ['clear'],
  formality: 0.5,
  emojiUsage: 'none',
  signaturePhrases: [],
  wordsToAvoid: [],
};

/** The agent's persona as the LLM layer wants it; an agent without a persona speaks in a neutral voice. */
export async function personaOfAgent(db: Database, agentId: string): Promise<LlmPersona> {
  const agent = await db.agent.findUniqueOrThrow({ where: { id: agentId }, include: { persona: true } });
  const p = agent.persona;
  return {
    name: p?.name ?? agent.name,
    backstory: p?.backstory ?? null,
    voiceTone: readStored(voiceToneSchema, p?.voiceTone) ?? NEUTRAL_VOICE,
    beliefs: readStored(beliefsSchema, p?.beliefs) ?? [],
    directives: readStored(directivesSchema, p?.directives) ?? [],
  };
}

/** The most relevant active trends. */
export const activeTrends = (db: Database, take: number) =>
  db.trend.findMany({ where: trendWhere({ active: true }), orderBy: trendOrderBy(), take });

/** The most relevant active trends, as context. */
export async function trendContext(db: Database, take = 3): Promise<ContextItem[]> {
  return (await activeTrends(db, take)).map((t) => ({ kind: 'trend', text: t.topic }));
}
