// The demo seed gives a new user a recognisable persona, an agent and live trends — and can be run again safely.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_AGENT_ID, DEMO_PERSONA_ID, seedDemo } from '../../prisma/seed.js';
import {
  beliefsSchema,
  directivesSchema,
  readStored,
  voiceToneSchema,
} from '../../src/domain/personas/persona.schema.js';
import { createTrendService } from '../../src/domain/trends/trends.service.js';
import { createDatabase, type Database } from '../../src/platform/db/prisma.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let database: TestDatabase;
let db: Database;
beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolSize: 2 });
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('seedDemo', () => {
  it('creates one valid persona, one active agent and active trends, idempotently', async () => {
    await seedDemo(db);
    await seedDemo(db);
    expect(await db.persona.count()).toBe(1);
    expect(await db.agent.count()).toBe(1);
    const persona = await db.persona.findUniqueOrThrow({ where: { id: DEMO_PERSONA_ID } });
    expect(readStored(voiceToneSchema, persona.voiceTone)?.descriptors.length).toBeGreaterThan(0);
    expect(readStored(beliefsSchema, persona.beliefs)?.length).toBeGreaterThan(0);
    expect(readStored(directivesSchema, persona.directives)?.some((d) => d.kind === 'must_not')).toBe(true);
    const agent = await db.agent.findUniqueOrThrow({ where: { id: DEMO_AGENT_ID } });
    expect(agent).toMatchObject({ personaId: DEMO_PERSONA_ID, active: true });
    const trends = createTrendService({ db });
    expect(await trends.count({ active: true })).toBe(4);
    expect(await trends.count({ active: true, minRelevance: 0.8 })).toBe(2);
    expect(await db.auditLog.count({ where: { action: 'seed.applied' } })).toBe(2);
  });
});
