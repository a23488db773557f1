// The query protection's measures (src/graphql/plugins/query-limits.ts) on documents the fuzzer's generator makes
// from the schema: depth and cost never under-count, and checkOperation refuses exactly what is over a limit, with
// the limit's code. Includes the regression for nodes(ids:), whose cost ignored the number of ids.
import { encodeGlobalID } from '@pothos/plugin-relay';
import fc from 'fast-check';
import { type FragmentDefinitionNode, Kind, type OperationDefinitionNode, parse } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { checkOperation, costOf, depthOf, type QueryLimits } from '../../../src/graphql/plugins/query-limits.js';
import { schema } from '../../../src/graphql/schema.js';
import { DocumentGenerator, Rng } from '../lib/generate.js';
import { check, PROPERTY_TIMEOUT_MS } from '../lib/mode.js';

/** Full mode runs thousands of cases per property: the default 30 s is not enough. */
vi.setConfig({ testTimeout: PROPERTY_TIMEOUT_MS });

const LIMITS = { maxDepth: 12, maxAliases: 30, batchLimit: 10 };
const QUERY_LIMITS: QueryLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxCost: 20_000,
  batchLimit: 10,
  maxRequestBytes: 10 * 1_048_576,
  responseTimeoutMs: 30_000,
  introspection: true,
};
const ID = encodeGlobalID('Agent', '00000000-0000-4000-8000-000000000000');

function measured(query: string, variables: Record<string, unknown>) {
  const document = parse(query);
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  ) as OperationDefinitionNode;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  return {
    document,
    depth: depthOf(operation.selectionSet, fragments),
    cost: costOf(schema, document, operation, variables),
  };
}

describe.concurrent('query limits', () => {
  it('nodes(ids:) costs at least one per id, literal or variable, so a huge id list is refused as QUERY_TOO_COSTLY', () =>
    check(
      701,
      fc.property(fc.integer({ min: 0, max: 25_000 }), fc.boolean(), (n, asVariable) => {
        const ids = Array.from({ length: n }, () => ID);
        const query = asVariable
          ? 'query ($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }'
          : `{ nodes(ids: [${ids.map((i) => JSON.stringify(i)).join(',')}]) { id __typename } }`;
        const variables = asVariable ? { ids } : {};
        const m = measured(query, variables);
        expect(m.cost).toBeGreaterThanOrEqual(n);
        const refusal = checkOperation(QUERY_LIMITS, schema, m.document, null, variables);
        expect(refusal?.extensions.code ?? null).toBe(m.cost > QUERY_LIMITS.maxCost ? 'QUERY_TOO_COSTLY' : null);
      }),
      50,
    ));

  it('documents nested past the depth limit measure deeper than it and are refused as QUERY_TOO_DEEP', () =>
    check(
      702,
      fc.property(fc.integer(), (seed) => {
        const gen = new DocumentGenerator(schema, new Rng(seed), { Agent: [ID] }, LIMITS);
        const body = JSON.parse(gen.deep().request.body) as { query: string; variables: Record<string, unknown> };
        const m = measured(body.query, body.variables);
        expect(m.depth).toBeGreaterThan(LIMITS.maxDepth);
        expect(checkOperation(QUERY_LIMITS, schema, m.document, null, body.variables)?.extensions.code).toBe(
          'QUERY_TOO_DEEP',
        );
      }),
    ));

  it('a generated valid document is refused only for a limit it is over, and then with that limit’s code', () =>
    check(
      703,
      fc.property(fc.integer(), (seed) => {
        const gen = new DocumentGenerator(schema, new Rng(seed), { Agent: [ID] }, LIMITS);
        const body = JSON.parse(gen.valid().request.body) as { query: string; variables: Record<string, unknown> };
        const m = measured(body.query, body.variables);
        const code = checkOperation(QUERY_LIMITS, schema, m.document, null, body.variables)?.extensions.code ?? null;
        if (m.depth > QUERY_LIMITS.maxDepth) expect(code).toBe('QUERY_TOO_DEEP');
        else if (code !== null) expect(['TOO_MANY_ALIASES', 'QUERY_TOO_COSTLY', 'BAD_USER_INPUT']).toContain(code);
        if (code === 'QUERY_TOO_COSTLY') expect(m.cost).toBeGreaterThan(QUERY_LIMITS.maxCost);
      }),
    ));
});
