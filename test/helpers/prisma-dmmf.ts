// The DMMF (Prisma's parsed data model) of a schema.prisma, from Prisma's own schema parser compiled to Wasm
// (@prisma/prisma-schema-wasm, the parser the Prisma CLI bundles): no hand-parsing, no engine binary, offline.
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import { z } from 'zod';

const FieldSchema = z.object({
  name: z.string(),
  dbName: z.string().nullish(),
  kind: z.enum(['scalar', 'object', 'enum', 'unsupported']),
  isList: z.boolean(),
  isRequired: z.boolean(),
  isUpdatedAt: z.boolean(),
  type: z.string(),
  nativeType: z.tuple([z.string(), z.array(z.string())]).nullish(),
  default: z.unknown().optional(),
  relationFromFields: z.array(z.string()).optional(),
  relationToFields: z.array(z.string()).optional(),
  relationOnDelete: z.string().optional(),
  relationOnUpdate: z.string().optional(),
});

const ModelSchema = z.object({
  name: z.string(),
  dbName: z.string().nullable(),
  fields: z.array(FieldSchema),
});

const IndexSchema = z.object({
  model: z.string(),
  type: z.enum(['id', 'normal', 'unique', 'fulltext']),
  dbName: z.string().nullish(),
  algorithm: z.string().optional(),
  fields: z.array(
    z.object({
      name: z.string(),
      sortOrder: z.enum(['asc', 'desc']).optional(),
      operatorClass: z.string().optional(),
    }),
  ),
});

const EnumSchema = z.object({
  name: z.string(),
  dbName: z.string().nullish(),
  values: z.array(z.object({ name: z.string(), dbName: z.string().nullish() })),
});

const DmmfSchema = z.object({
  datamodel: z.object({
    models: z.array(ModelSchema),
    enums: z.array(EnumSchema),
    indexes: z.array(IndexSchema),
  }),
});

export type DmmfField = z.infer<typeof FieldSchema>;
export type DmmfModel = z.infer<typeof ModelSchema>;
export type DmmfIndex = z.infer<typeof IndexSchema>;
export type DmmfEnum = z.infer<typeof EnumSchema>;
export type Datamodel = z.infer<typeof DmmfSchema>['datamodel'];

/** Parses and validates a schema.prisma (throws Prisma's own validation errors) and returns its data model. */
export function loadDatamodel(schemaText: string): Datamodel {
  const json = get_dmmf(JSON.stringify({ prismaSchema: [['schema.prisma', schemaText]] }));
  return DmmfSchema.parse(JSON.parse(json)).datamodel;
}

/**
 * The `where: raw("…")` predicates of schema.prisma's partial indexes (partialIndexes preview feature), by index name
 * (`map:`). The DMMF leaves them out, so they are read from the text of the `@@index`/`@@unique` attributes, one
 * attribute a line, as `prisma format` writes them. An attribute without `map:` is listed under `(unnamed)`.
 */
export function indexPredicates(schemaText: string): Record<string, string> {
  const predicates: Record<string, string> = {};
  for (const [, attribute = ''] of schemaText.matchAll(/^\s*@@(?:index|unique)\((.*)\)\s*(?:\/\/.*)?$/gm)) {
    const where = /\bwhere:\s*raw\("((?:[^"\\]|\\.)*)"\)/.exec(attribute);
    if (where === null) continue;
    const name = /\bmap:\s*"([^"]*)"/.exec(attribute)?.[1] ?? '(unnamed)';
    predicates[name] = JSON.parse(`"${where[1] ?? ''}"`) as string;
  }
  return predicates;
}
