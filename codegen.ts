// GraphQL Code Generator config: typed documents for frontend teams, from the checked-in schema.graphql and the
// operations in examples/operations/. `npm run codegen` writes them to examples/generated/ (gitignored);
// test/codegen/codegen.test.ts runs the same config and type-checks examples/ against the result.
//
// Choices, from a frontend's point of view:
// - preset 'client': one `graphql.ts` with every operation as a TypedDocumentNode (`ListTasksDocument`), its result
//   and variables types (`ListTasksQuery`, `ListTasksQueryVariables`), plus the fragment types. Apollo Client, urql,
//   graphql-request and the plain fetch client in examples/client.ts all accept TypedDocumentNode.
// - Fragment masking OFF. Masking pays off when fragments are colocated with components in .tsx files and each
//   component unwraps its own fragment with useFragment(). Our operations live in .graphql files and consumers
//   read across fragment boundaries (a review screen reads `node.agent.persona.name` straight from ReviewItem),
//   so masking would only add unwrapping calls. A team that colocates fragments can turn it on per app.
// - enumType 'const': each enum is an `as const` object plus a union type of its string values, so frontends get
//   both runtime values (select options, `TaskStatus.Pending`) and plain string literals ('PENDING') — no TS `enum`
//   (not erasable, so it breaks `isolatedModules`/type-stripping builds) and no string-to-enum casts.
// - Scalars mapped to what JSON actually carries (DateTime and Decimal are strings on the wire; Decimal stays a
//   string so no precision is lost; ID is a string) and strictScalars, so a new scalar in the schema fails codegen
//   until it is mapped here.
// - useTypeImports + importExtension '.js' so the output compiles under `verbatimModuleSyntax` and NodeNext.
import type { CodegenConfig } from '@graphql-codegen/cli';

/** Scalars as clients send and receive them (input and output are the same JSON). */
export const scalars = {
  // Relay global IDs are opaque strings; the default `string | number` input type would invite numeric ids.
  ID: 'string',
  DateTime: 'string',
  Decimal: 'string',
  JSON: 'unknown',
  JSONObject: 'Record<string, unknown>',
} as const;

export interface ChimeraCodegenOptions {
  /** A file path, glob or URL of a running server (introspection); default the checked-in schema.graphql. */
  schema?: string;
  /** Operation and fragment documents; default examples/operations/*.graphql. */
  documents?: string | string[];
  /** Output directory, ending in '/'; default examples/generated/. */
  outDir?: string;
}

/** The config for a schema, documents and output directory (relative paths resolve against the cwd). */
export function chimeraCodegenConfig(options: ChimeraCodegenOptions = {}): CodegenConfig {
  const {
    schema = 'schema.graphql',
    documents = 'examples/operations/*.graphql',
    outDir = 'examples/generated/',
  } = options;
  return {
    schema,
    documents,
    // An empty documents glob is a mistake here, not "nothing to do".
    ignoreNoDocuments: false,
    overwrite: true,
    generates: {
      [outDir.endsWith('/') ? outDir : `${outDir}/`]: {
        preset: 'client',
        presetConfig: {
          fragmentMasking: false,
          gqlTagName: 'graphql',
          // persisted-documents.json: sha256 of each operation → its text. `npm run codegen` copies it to
          // trusted-documents.json, the manifest the API accepts (PERSISTED_OPERATIONS; docs/caching.md).
          persistedDocuments: { hashAlgorithm: 'sha256' },
        },
        config: {
          scalars,
          strictScalars: true,
          defaultScalarType: 'unknown',
          enumType: 'const',
          // `ids: [ID!]!` takes an array, not "an array or a single ID" (legal GraphQL coercion, confusing in TS).
          arrayInputCoercion: false,
          useTypeImports: true,
          importExtension: '.js',
          // Keep `__typename` out of results unless an operation asks for it (node lookups do).
          skipTypename: true,
        },
      },
    },
  };
}

export default chimeraCodegenConfig();
