// The demo world: one persona with a recognisable voice, one agent acting as it, and a few trends.
// Idempotent: fixed ids, so running it again refreshes the demo instead of duplicating it.
import type { Config } from '../src/config.js';
import type { Belief, Directive, VoiceTone } from '../src/domain/personas/persona.schema.js';
import type { Prisma } from '../src/generated/prisma/client.js';
import { createPasswordHasher } from '../src/platform/crypto/password.js';
import { createSecretBox } from '../src/platform/crypto/secret-box.js';
import type { Database } from '../src/platform/db/prisma.js';
import { demoUsers, seedDemoUsers } from './seed-users.js';

export const DEMO_PERSONA_ID = '00000000-0000-4000-8000-00000000a001';
export const DEMO_AGENT_ID = '00000000-0000-4000-8000-00000000b001';

const voiceTone: VoiceTone = {
  descriptors: ['warm', 'wry', 'precise', 'curious'],
  formality: 0.35,
  emojiUsage: 'sparing',
  signaturePhrases: ['Here is the part nobody tells you:', 'Small tools, big leverage.', 'Build it, then brag.'],
  wordsToAvoid: ['synergy', 'disrupt', 'to the moon', 'guaranteed returns'],
};

const beliefs: Belief[] = [
  { statement: 'Open tools beat walled gardens in the long run.', topic: 'technology', conviction: 0.9 },
  { statement: 'Explaining how something works is the best marketing.', topic: 'communication', conviction: 0.85 },
  { statement: 'Hype fades; working software compounds.', topic: 'technology', conviction: 0.8 },
  { statement: 'Energy transitions are engineering problems first.', topic: 'climate', conviction: 0.7 },
];

const directives: Directive[] = [
  { kind: 'must', text: 'Cite where a claim comes from when it is not common knowledge.' },
  { kind: 'must', text: 'Disclose that posts are written by an AI agent when asked.' },
  { kind: 'must_not', text: 'Give financial, medical or legal advice.' },
  { kind: 'must_not', text: 'Impersonate real people or invent quotes.' },
  { kind: 'prefer', text: 'End with a question that invites replies.' },
  { kind: 'prefer', text: 'Keep posts under 280 characters unless a thread is asked for.' },
];

const TRENDS: { id: string; topic: string; relevance: number; hours: number; keywords: string[] }[] = [
  {
    id: '00000000-0000-4000-8000-00000000c001',
    topic: 'Open-weight language models',
    relevance: 0.92,
    hours: 48,
    keywords: ['llm', 'open source', 'weights'],
  },
  {
    id: '00000000-0000-4000-8000-00000000c002',
    topic: 'Home battery storage',
    relevance: 0.81,
    hours: 72,
    keywords: ['batteries', 'solar', 'grid'],
  },
  {
    id: '00000000-0000-4000-8000-00000000c003',
    topic: 'Right to repair',
    relevance: 0.74,
    hours: 72,
    keywords: ['repair', 'hardware', 'policy'],
  },
  {
    id: '00000000-0000-4000-8000-00000000c004',
    topic: 'Local-first software',
    relevance: 0.66,
    hours: 24,
    keywords: ['crdt', 'offline', 'sync'],
  },
];

export async function seedDemo(db: Database, now = new Date()) {
  return db.$transaction(async (tx) => {
    const persona = {
      name: 'Juno Vale',
      backstory:
        'Juno is a former embedded-systems engineer turned explainer. She writes about technology that ordinary ' +
        'people can own, fix and understand — with a dry sense of humour and zero tolerance for hype.',
      voiceTone: voiceTone as Prisma.InputJsonObject,
      beliefs: beliefs as unknown as Prisma.InputJsonArray,
      directives: directives as unknown as Prisma.InputJsonArray,
    };
    await tx.persona.upsert({
      where: { id: DEMO_PERSONA_ID },
      create: { id: DEMO_PERSONA_ID, ...persona },
      update: persona,
    });
    const agent = {
      name: 'juno-main',
      personaId: DEMO_PERSONA_ID,
      active: true,
      // Where approved posts go: the social sandbox (mcp-servers/social), as @junovale.
      metadata: { handle: '@junovale', platforms: [{ platform: 'social', account: 'junovale' }], demo: true },
    };
    await tx.agent.upsert({ where: { id: DEMO_AGENT_ID }, create: { id: DEMO_AGENT_ID, ...agent }, update: agent });
    for (const t of TRENDS) {
      const trend = {
        topic: t.topic,
        relevanceScore: t.relevance,
        active: true,
        detectedAt: now,
        expiresAt: new Date(now.getTime() + t.hours * 3_600_000),
        metadata: { keywords: t.keywords, source: 'seed' },
      };
      await tx.trend.upsert({ where: { id: t.id }, create: { id: t.id, ...trend }, update: trend });
    }
    await tx.auditLog.create({
      data: {
        agentId: DEMO_AGENT_ID,
        action: 'seed.applied',
        details: { actor: { kind: 'system', id: 'seed' }, personaId: DEMO_PERSONA_ID, trends: TRENDS.length },
      },
    });
    return { personaId: DEMO_PERSONA_ID, agentId: DEMO_AGENT_ID, trendIds: TRENDS.map((t) => t.id) };
  });
}

/** The demo world and, outside production, the demo users; `log` reports what was seeded. */
export async function seedAll(db: Database, config: Config, log: (line: string) => void) {
  const r = await seedDemo(db);
  log(`Seeded demo persona ${r.personaId}, agent ${r.agentId} and ${r.trendIds.length} trends.`);
  if (config.env === 'production') return r;
  const users = demoUsers(r.agentId, r.personaId);
  const box = createSecretBox(config.encryptionKey, config.previousEncryptionKeys);
  await seedDemoUsers(db, { hasher: createPasswordHasher(config.auth.passwordHashMemoryKib), box }, users);
  log(`Seeded ${users.length} demo users (${users.map((u) => u.email).join(', ')}).`);
  return r;
}
