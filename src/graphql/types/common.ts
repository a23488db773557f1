// Scalars and helpers shared by the domain type files.

import type { ObjectRef, SchemaTypes } from '@pothos/core';
import { GraphQLError, Kind } from 'graphql';
import { DateTimeResolver, JSONObjectResolver, JSONResolver } from 'graphql-scalars';
import { builder } from '../builder.js';

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSON', JSONResolver);
builder.addScalarType('JSONObject', JSONObjectResolver);

const DECIMAL = /^-?\d{1,12}(\.\d{1,8})?$/;

builder.scalarType('Decimal', {
  description: 'An exact decimal number, as a string (e.g. "12.50000000"), so no precision is lost in JSON.',
  serialize: (value) => value.toString(),
  parseValue: (value) => {
    if (typeof value !== 'string' || !DECIMAL.test(value)) {
      throw new GraphQLError('Decimal must be a string such as "12.5" (up to 12 integer and 8 fraction digits).', {
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    return value;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || !DECIMAL.test(ast.value)) {
      throw new GraphQLError('Decimal must be a string such as "12.5".', { extensions: { code: 'BAD_USER_INPUT' } });
    }
    return ast.value;
  },
});

/** A GraphQL enum whose values are the upper-cased spelling of the database's strings (in_progress → IN_PROGRESS). */
export function enumFromValues<const V extends string>(
  name: string,
  values: readonly V[],
  description: string,
  valueDescriptions: Partial<Record<V, string>> = {},
) {
  return builder.enumType(name, {
    description,
    values: Object.fromEntries(
      values.map((v) => [v.toUpperCase(), { value: v, description: valueDescriptions[v] }]),
    ) as Record<Uppercase<V>, { value: V; description?: string }>,
  });
}

/** The strings of a stored JSON list (anything else reads as empty). */
export function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((x): x is string => typeof x === 'string') : [];
}

/** DECIMAL(3,2) scores are exposed as Float. */
export function scoreOf(value: { toNumber(): number } | null): number | null {
  return value == null ? null : value.toNumber();
}

type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T extends SchemaTypes> ? T : never;
type CountSource = { totalCount?: number | (() => number | Promise<number>) };

/**
 * One connection type per node type (AgentConnection/AgentEdge), shared by every field that lists it, with a
 * totalCount that is only counted when asked for.
 */
export function connectionOf<T>(ref: ObjectRef<BuilderTypes, T>, name: string) {
  return builder.connectionObject(
    {
      type: ref,
      name: `${name}Connection`,
      fields: (t) => ({
        totalCount: t.int({
          description: 'How many match the filter, across all pages.',
          resolve: (connection) => {
            const { totalCount } = connection as CountSource;
            return typeof totalCount === 'function' ? totalCount() : (totalCount ?? 0);
          },
        }),
      }),
    },
    { name: `${name}Edge` },
  );
}
