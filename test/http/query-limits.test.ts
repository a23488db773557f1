// Query protection on the real server: depth, aliases, cost, batch, body size, overlong text, time, and
// introspection in production — each refused before anything runs, with its own code, and nothing written.
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOperation, costOf, depthOf, queryLimitsPlugin } from '../../src/graphql/plugins/query-limits.js';
import { schema } from '../../src/graphql/schema.js';
import { codes, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let url: string;
beforeAll(async () => {
  t = await startTestApp({
    QUERY_MAX_DEPTH: '6',
    QUERY_MAX_ALIASES: '3',
    QUERY_MAX_COST: '500',
    QUERY_BATCH_LIMIT: '2',
    REQUEST_MAX_BYTES: '200000',
  });
  url = `${await t.app.listen()}/graphql`;
}, 120_000);
afterAll(() => t?.close());

const LIMITS = {
  maxDepth: 6,
  maxAliases: 3,
  maxCost: 500,
  batchLimit: 2,
  maxRequestBytes: 200_000,
  responseTimeoutMs: 100,
  introspection: true,
};

describe('measuring a query', () => {
  it('counts depth through fragments and inline fragments', () => {
    const doc = parse(`query { agents { edges { node { ...A } } } }
      fragment A on Agent { persona { ... on Persona { agents { edges { node { id } } } } } }`);
    const fragments = new Map(
      doc.definitions.flatMap((d) => (d.kind === 'FragmentDefinition' ? [[d.name.value, d] as const] : [])),
    );
    const op = doc.definitions[0];
    if (op?.kind !== 'OperationDefinition') throw new Error('no operation');
    expect(depthOf(op.selectionSet, fragments)).toBe(8);
  });

  it('costs a field 1, times the page size of every list or connection above it', () => {
    const cost = (q: string, variables = {}) => {
      const doc = parse(q);
      const op = doc.definitions[0];
      if (op?.kind !== 'OperationDefinition') throw new Error('no operation');
      return costOf(schema, doc, op, variables);
    };
    expect(cost('{ me { id email } }')).toBe(3);
    // agents 1; its page of 5: edges, node, id each ×5
    expect(cost('{ agents(first: 5) { edges { node { id } } } }')).toBe(1 + 5 + 5 + 5);
    // a plain list counts 10 unless its argument says (the persona's beliefs, the agent's platforms)
    expect(cost('{ agents(first: 2) { edges { node { platforms { account } } } } }')).toBe(1 + 2 + 2 + 2 + 20);
    expect(cost('query ($n: Int) { agents(first: $n) { edges { node { id } } } }', { n: 2 })).toBe(7);
    // no page size: connections count 20
    expect(cost('{ agents { totalCount } }')).toBe(21);
    expect(cost('{ agents(first: 10) { edges { node { tasks(first: 10) { edges { node { id } } } } } } }')).toBe(
      1 + 10 + 10 + 10 + 100 + 100 + 100,
    );
  });
});

async function post(body: unknown, headers: Record<string, string> = {}) {
  const admin = await t.admin();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...admin.headers, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as unknown };
}
const errorCodes = (body: unknown) =>
  ((body as { errors?: { extensions?: { code?: string } }[] }).errors ?? []).map((e) => e.extensions?.code);

describe('refused before running', () => {
  it('a query too deep', async () => {
    const deep = await post({
      query: '{ agents { edges { node { persona { agents { edges { node { id } } } } } } } }',
    });
    expect([deep.status, errorCodes(deep.body)]).toEqual([400, ['QUERY_TOO_DEEP']]);
    const ok = await post({ query: '{ agents { edges { node { persona { name } } } } }' });
    expect(errorCodes(ok.body)).toEqual([]);
  });

  it('too many aliases', async () => {
    const many = await post({ query: '{ a: me { id } b: me { id } c: me { id } d: me { id } }' });
    expect([many.status, errorCodes(many.body)]).toEqual([400, ['TOO_MANY_ALIASES']]);
    expect(errorCodes((await post({ query: '{ a: me { id } b: me { id } c: me { id } }' })).body)).toEqual([]);
  });

  it('a query too costly, as the page sizes asked for make it', async () => {
    const costly = { query: '{ agents(first: 50) { edges { node { tasks(first: 50) { totalCount } } } } }' };
    const refused = await post(costly);
    expect([refused.status, errorCodes(refused.body)]).toEqual([400, ['QUERY_TOO_COSTLY']]);
    expect((refused.body as { errors: { message: string }[] }).errors[0]?.message).toMatch(/cost 2651.*at most 500/);
    const small = '{ agents(first: 5) { edges { node { tasks(first: 5) { totalCount } } } } }';
    expect(errorCodes((await post({ query: small })).body)).toEqual([]);
  });

  it('text over 50,000 characters, as a variable or a literal, and writes nothing', async () => {
    const before = await t.app.db.persona.count();
    const long = 'x'.repeat(50_001);
    const asVariable = await post({
      query: 'mutation ($i: CreatePersonaInput!) { createPersona(input: $i) { id } }',
      variables: { i: { name: 'ok', backstory: long } },
    });
    expect(errorCodes(asVariable.body)).toEqual(['BAD_USER_INPUT']);
    expect(
      (asVariable.body as { errors: { extensions: { issues: { path: unknown[] }[] } }[] }).errors[0]?.extensions
        .issues[0]?.path,
    ).toEqual(['i', 'backstory']);
    const asLiteral = await post({
      query: `mutation { createPersona(input: { name: "ok", backstory: "${long}" }) { id } }`,
    });
    expect(errorCodes(asLiteral.body)).toEqual(['BAD_USER_INPUT']);
    expect(await t.app.db.persona.count()).toBe(before);
  });

  it('a body over the size limit, before reading it', async () => {
    const big = await post({ query: '{ me { id } }', variables: { pad: 'x'.repeat(250_000) } });
    expect([big.status, errorCodes(big.body)]).toEqual([413, ['PAYLOAD_TOO_LARGE']]);
  });

  it('a batch over the limit; a batch within it runs', async () => {
    const two = await post([{ query: '{ me { id } }' }, { query: '{ __typename }' }]);
    expect(two.status).toBe(200);
    expect(Array.isArray(two.body) && two.body.length).toBe(2);
    const three = await post([{ query: '{ me { id } }' }, { query: '{ me { id } }' }, { query: '{ me { id } }' }]);
    expect(three.status).toBe(413);
    expect(JSON.stringify(three.body)).toMatch(/[Bb]atch/);
  });
});

describe('time', () => {
  it('answers TIMEOUT (504) for an operation still running at the limit', async () => {
    const plugin = queryLimitsPlugin(LIMITS);
    let execute: ((args: unknown) => Promise<unknown>) | undefined;
    const args = { schema, document: parse('{ me { id } }'), operationName: null, variableValues: {} };
    await (plugin.onExecute as (p: unknown) => unknown)({
      args,
      executeFn: () => new Promise(() => undefined),
      setExecuteFn: (fn: (a: unknown) => Promise<unknown>) => {
        execute = fn;
      },
      setResultAndStopExecution: () => undefined,
    });
    const started = Date.now();
    const result = (await execute?.(args)) as { errors: { extensions: { code: string; http: { status: number } } }[] };
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(result.errors[0]?.extensions).toMatchObject({ code: 'TIMEOUT', http: { status: 504 } });
  });

  it('leaves a quick operation alone', () => {
    expect(checkOperation(LIMITS, schema, parse('{ me { id } }'), null, {})).toBeNull();
  });
});

describe('introspection', () => {
  it('is on in development, off in production unless INTROSPECTION=true', async () => {
    const q = '{ __schema { queryType { name } } }';
    expect(codes(await t.gql(q))).toEqual([]);
    const key = Buffer.alloc(32, 7).toString('base64');
    const prod = await startTestApp({ CHIMERA_ENV: 'production', ENCRYPTION_KEY: key, PERSISTED_OPERATIONS: 'allow' });
    const open = await startTestApp({
      CHIMERA_ENV: 'production',
      ENCRYPTION_KEY: key,
      INTROSPECTION: 'true',
      PERSISTED_OPERATIONS: 'allow',
    });
    try {
      const refused = await prod.gql(q);
      expect(new Set(codes(refused))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
      expect(refused.errors?.[0]?.message).toMatch(/introspection/i);
      expect(codes(await open.gql(q))).toEqual([]);
    } finally {
      await prod.close();
      await open.close();
    }
  });
});
