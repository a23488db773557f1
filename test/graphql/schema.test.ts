// schema.graphql is the contract frontends generate from: it must be exactly what the code builds.
import { readFileSync } from 'node:fs';
import { buildSchema, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { printSchemaSDL, schema } from '../../src/graphql/schema.js';

describe('schema.graphql', () => {
  it('is up to date with the code (run `npm run schema:print` after changing the schema)', () => {
    const checkedIn = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
    expect(checkedIn, 'schema.graphql is stale: run `npm run schema:print`').toBe(printSchemaSDL());
  });

  it('parses back into the same schema', () => {
    const checkedIn = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
    expect(printSchema(buildSchema(checkedIn))).toBe(printSchema(schema));
  });

  it('exposes every entity of the data model (and the identity and swarm ones) as a Relay node', () => {
    const node = schema.getType('Node');
    const implementations = Object.values(schema.getTypeMap())
      .filter((t) => 'getInterfaces' in t && t.getInterfaces().some((i) => i === node))
      .map((t) => t.name)
      .sort();
    expect(implementations).toEqual(
      [
        'Agent',
        'ApiKey',
        'AuditLog',
        'Content',
        'Goal',
        'Interaction',
        'Persona',
        'SecurityAlert',
        'SecurityAuditLog',
        'Task',
        'Transaction',
        'Transfer',
        'Trend',
        'User',
        'Wallet',
      ].sort(),
    );
  });
});
