// Operators define personas and agents: the happy paths, the update semantics, and every way input can be wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, issuePaths, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const CREATE_PERSONA = /* GraphQL */ `
  mutation ($input: CreatePersonaInput!) {
    createPersona(input: $input) {
      id name backstory createdAt updatedAt
      voiceTone { descriptors formality emojiUsage signaturePhrases wordsToAvoid }
      beliefs { statement topic conviction }
      directives { kind text }
    }
  }`;

const UPDATE_PERSONA = /* GraphQL */ `
  mutation ($id: ID!, $input: UpdatePersonaInput!) {
    updatePersona(id: $id, input: $input) { id name backstory voiceTone { descriptors } beliefs { statement } directives { kind } }
  }`;

const CREATE_AGENT = /* GraphQL */ `
  mutation ($input: CreateAgentInput!) { createAgent(input: $input) { id name active metadata persona { id name } } }`;

interface PersonaOut {
  id: string;
  name: string;
  backstory: string | null;
  voiceTone: { descriptors: string[]; formality: number; emojiUsage: string } | null;
  beliefs: { statement: string; topic: string | null; conviction: number }[];
  directives: { kind: string; text: string }[];
}

async function tableCounts() {
  const [personas, agents, audits] = await Promise.all([
    t.app.db.persona.count(),
    t.app.db.agent.count(),
    t.app.db.auditLog.count(),
  ]);
  return { personas, agents, audits };
}

async function createPersona(input: Record<string, unknown>) {
  const data = await t.ok<{ createPersona: PersonaOut }>(CREATE_PERSONA, { input });
  return data.createPersona;
}

describe('personas', () => {
  it('creates a persona with a voice, beliefs and directives, applying documented defaults', async () => {
    const p = await createPersona({
      name: '  Ada Quill  ',
      backstory: 'A retired typesetter who writes about fonts.',
      voiceTone: { descriptors: ['dry', 'exact'], formality: 0.876, signaturePhrases: ['Kerning matters.'] },
      beliefs: [
        { statement: 'Typography is UX.', topic: 'design', conviction: 0.9 },
        { statement: 'Serifs rest the eye.' },
      ],
      directives: [
        { kind: 'MUST_NOT', text: 'Mock Comic Sans users.' },
        { kind: 'PREFER', text: 'Show examples.' },
      ],
    });
    expect(p.name).toBe('Ada Quill');
    expect(p.voiceTone).toEqual({
      descriptors: ['dry', 'exact'],
      formality: 0.88, // DECIMAL(3,2) semantics: two decimals, half-up
      emojiUsage: 'SPARING',
      signaturePhrases: ['Kerning matters.'],
      wordsToAvoid: [],
    });
    expect(p.beliefs).toEqual([
      { statement: 'Typography is UX.', topic: 'design', conviction: 0.9 },
      { statement: 'Serifs rest the eye.', topic: null, conviction: 0.7 },
    ]);
    expect(p.directives.map((d) => d.kind)).toEqual(['MUST_NOT', 'PREFER']);

    const audit = await t.app.db.auditLog.findMany({ where: { action: 'persona.created' } });
    expect(audit.some((a) => (a.details as { personaId?: string }).personaId !== undefined)).toBe(true);
  });

  it('updates only the fields given, and null clears optional ones', async () => {
    const p = await createPersona({ name: 'Bea', backstory: 'x', beliefs: [{ statement: 'b1' }] });
    const renamed = await t.ok<{ updatePersona: PersonaOut }>(UPDATE_PERSONA, { id: p.id, input: { name: 'Bea II' } });
    expect(renamed.updatePersona).toMatchObject({ name: 'Bea II', backstory: 'x', beliefs: [{ statement: 'b1' }] });
    const cleared = await t.ok<{ updatePersona: PersonaOut }>(UPDATE_PERSONA, {
      id: p.id,
      input: { backstory: null, beliefs: [] },
    });
    expect(cleared.updatePersona).toMatchObject({ name: 'Bea II', backstory: null, beliefs: [] });
  });

  it.each([
    ['an empty name', { name: '   ' }, ['input', 'name']],
    ['a 256-character name', { name: 'n'.repeat(256) }, ['input', 'name']],
    ['a 50,001-character backstory', { name: 'ok', backstory: 'b'.repeat(50_001) }, ['input', 'backstory']],
    [
      'formality above 1',
      { name: 'ok', voiceTone: { descriptors: ['a'], formality: 1.5 } },
      ['input', 'voiceTone', 'formality'],
    ],
    ['no descriptors', { name: 'ok', voiceTone: { descriptors: [] } }, ['input', 'voiceTone', 'descriptors']],
    [
      'a negative conviction',
      { name: 'ok', beliefs: [{ statement: 's', conviction: -0.1 }] },
      ['input', 'beliefs', 0, 'conviction'],
    ],
    [
      'a blank directive',
      { name: 'ok', directives: [{ kind: 'MUST', text: ' ' }] },
      ['input', 'directives', 0, 'text'],
    ],
  ])('rejects %s with BAD_USER_INPUT naming the field, writing nothing', async (_label, input, path) => {
    const before = await tableCounts();
    const res = await t.gql(CREATE_PERSONA, { input });
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(issuePaths(res)).toContainEqual(path);
    expect(res.errors?.[0]?.message).toMatch(/Invalid input/);
    expect(await tableCounts()).toEqual(before);
  });

  it('rejects an unknown enum value and a missing required field before running anything', async () => {
    const bad = await t.gql(CREATE_PERSONA, { input: { name: 'x', directives: [{ kind: 'SOMETIMES', text: 't' }] } });
    expect(bad.errors?.[0]?.message).toMatch(/SOMETIMES/);
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    const missing = await t.gql(CREATE_PERSONA, { input: {} });
    expect(missing.errors?.[0]?.message).toMatch(/name/);
    expect(codes(missing)).toEqual(['BAD_USER_INPUT']);
    const unknownField = await t.gql(`{ personas { edges { node { shoeSize } } } }`);
    expect(codes(unknownField)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const syntax = await t.gql(`{ personas { `);
    expect(codes(syntax)).toEqual(['GRAPHQL_PARSE_FAILED']);
  });

  it('rejects null for a name on update (leave it out instead)', async () => {
    const p = await createPersona({ name: 'Cy' });
    const res = await t.gql(UPDATE_PERSONA, { id: p.id, input: { name: null } });
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors?.[0]?.message).toMatch(/cannot be null/);
  });

  it('answers NOT_FOUND for an unknown persona and BAD_USER_INPUT for a malformed or wrong-type id', async () => {
    const unknown = Buffer.from('Persona:11111111-1111-4111-8111-111111111111').toString('base64');
    const nf = await t.gql(UPDATE_PERSONA, { id: unknown, input: { name: 'z' } });
    expect(codes(nf)).toEqual(['NOT_FOUND']);
    expect(nf.errors?.[0]?.message).toBe(`Persona ${unknown} does not exist.`);

    const garbage = await t.gql(UPDATE_PERSONA, { id: 'not-an-id', input: { name: 'z' } });
    expect(codes(garbage)).toEqual(['BAD_USER_INPUT']);

    const notUuid = Buffer.from('Persona:42').toString('base64');
    expect(codes(await t.gql(UPDATE_PERSONA, { id: notUuid, input: { name: 'z' } }))).toEqual(['BAD_USER_INPUT']);

    const agent = await t.ok<{ createAgent: { id: string } }>(CREATE_AGENT, { input: { name: 'a' } });
    const wrongType = await t.gql(UPDATE_PERSONA, { id: agent.createAgent.id, input: { name: 'z' } });
    expect(codes(wrongType)).toEqual(['BAD_USER_INPUT']);
  });

  it('lists personas newest first with a case-insensitive name filter and a total count', async () => {
    await createPersona({ name: 'Filterable Fox' });
    await createPersona({ name: 'filterable fern' });
    const data = await t.ok<{ personas: { totalCount: number; edges: { node: { name: string } }[] } }>(
      `{ personas(filter: { nameContains: "FILTERABLE" }) { totalCount edges { node { name } } } }`,
    );
    expect(data.personas.totalCount).toBe(2);
    expect(data.personas.edges.map((e) => e.node.name)).toEqual(['filterable fern', 'Filterable Fox']);
  });
});

describe('agents', () => {
  it('creates an agent for a persona, updates, deactivates and reactivates it, auditing each step', async () => {
    const p = await createPersona({ name: 'Dana' });
    const created = await t.ok<{ createAgent: { id: string; active: boolean; persona: { id: string } } }>(
      CREATE_AGENT,
      {
        input: { name: 'dana-1', personaId: p.id, metadata: { handle: '@dana' } },
      },
    );
    const id = created.createAgent.id;
    expect(created.createAgent).toMatchObject({ active: true, persona: { id: p.id } });

    const updated = await t.ok<{ updateAgent: { name: string; metadata: unknown; persona: null } }>(
      `mutation ($id: ID!) { updateAgent(id: $id, input: { name: "dana-2", personaId: null }) { name metadata persona { id } } }`,
      { id },
    );
    expect(updated.updateAgent).toEqual({ name: 'dana-2', metadata: { handle: '@dana' }, persona: null });

    const off = await t.ok<{ deactivateAgent: { active: boolean } }>(
      `mutation ($id: ID!) { deactivateAgent(id: $id) { active } }`,
      { id },
    );
    expect(off.deactivateAgent.active).toBe(false);
    const again = await t.gql(`mutation ($id: ID!) { deactivateAgent(id: $id) { active } }`, { id });
    expect(codes(again)).toEqual(['CONFLICT']);
    const on = await t.ok<{ activateAgent: { active: boolean } }>(
      `mutation ($id: ID!) { activateAgent(id: $id) { active } }`,
      {
        id,
      },
    );
    expect(on.activateAgent.active).toBe(true);

    const agentUuid = Buffer.from(id, 'base64').toString().split(':')[1];
    const actions = (
      await t.app.db.auditLog.findMany({ where: { agentId: agentUuid }, orderBy: { createdAt: 'asc' } })
    ).map((a) => a.action);
    expect(actions).toEqual(['agent.created', 'agent.updated', 'agent.deactivated', 'agent.activated']);
  });

  it('rejects an unknown persona, oversized metadata and non-object metadata, writing nothing', async () => {
    const before = await tableCounts();
    const ghost = Buffer.from('Persona:22222222-2222-4222-8222-222222222222').toString('base64');
    expect(codes(await t.gql(CREATE_AGENT, { input: { name: 'g', personaId: ghost } }))).toEqual(['NOT_FOUND']);
    const big = { blob: 'x'.repeat(70_000) };
    expect(codes(await t.gql(CREATE_AGENT, { input: { name: 'g', metadata: big } }))).toEqual(['BAD_USER_INPUT']);
    const notObject = await t.gql(CREATE_AGENT, { input: { name: 'g', metadata: [1, 2] } });
    expect(notObject.errors?.length).toBe(1);
    expect(await tableCounts()).toEqual(before);
  });

  it('filters agents by persona and active state', async () => {
    const p = await createPersona({ name: 'Eve' });
    const ids: string[] = [];
    for (const name of ['eve-a', 'eve-b', 'eve-c']) {
      const r = await t.ok<{ createAgent: { id: string } }>(CREATE_AGENT, { input: { name, personaId: p.id } });
      ids.push(r.createAgent.id);
    }
    await t.ok(`mutation ($id: ID!) { deactivateAgent(id: $id) { id } }`, { id: ids[1] });
    const q = `query ($f: AgentFilter) { agents(filter: $f) { totalCount edges { node { name } } } }`;
    const active = await t.ok<{ agents: { totalCount: number; edges: { node: { name: string } }[] } }>(q, {
      f: { personaId: p.id, active: true },
    });
    expect(active.agents.edges.map((e) => e.node.name)).toEqual(['eve-c', 'eve-a']);
    const inactive = await t.ok<{ agents: { totalCount: number } }>(q, { f: { personaId: p.id, active: false } });
    expect(inactive.agents.totalCount).toBe(1);
  });
});
