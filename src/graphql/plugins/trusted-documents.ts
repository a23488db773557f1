// Persisted operations (trusted documents): the operations frontends use are known by id — the sha256 of their text,
// in trusted-documents.json, which `npm run codegen` makes from the client operations. A client sends the id instead
// of the document, over GET (cacheable at the edge: the URL is short and stable) or POST:
//   GET /graphql?documentId=sha256:<hex>&variables=…           (the GraphQL-over-HTTP trusted documents form)
//   GET /graphql?extensions={"persistedQuery":{"version":1,"sha256Hash":"<hex>"}}&variables=…   (Apollo's form)
// PERSISTED_OPERATIONS=only (the production default) runs nothing else; `allow` (development) also runs any document.
import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { Plugin } from 'graphql-yoga';

export type PersistedMode = 'only' | 'allow';

/** The manifest: document id ("sha256:<hex>") → operation text. */
export function loadTrustedDocuments(file: string): ReadonlyMap<string, string> {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`TRUSTED_DOCUMENTS_FILE ${file} cannot be read: ${(err as Error).message}`);
  }
  return new Map(Object.entries(raw).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

const idOf = (value: unknown): string | null => {
  if (typeof value !== 'string' || !value) return null;
  return value.startsWith('sha256:') ? value : `sha256:${value}`;
};

export function trustedDocumentsPlugin(opts: { documents: ReadonlyMap<string, string>; mode: PersistedMode }): Plugin {
  return usePersistedOperations({
    allowArbitraryOperations: opts.mode === 'allow',
    getPersistedOperation: (id) => opts.documents.get(id) ?? null,
    extractPersistedOperationId: (params, request) => {
      const extensions = params.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined;
      const fromBody = (params as { documentId?: unknown }).documentId;
      const fromUrl = request.method === 'GET' ? new URL(request.url).searchParams.get('documentId') : null;
      return idOf(extensions?.persistedQuery?.sha256Hash) ?? idOf(fromBody) ?? idOf(fromUrl);
    },
    customErrors: {
      notFound: {
        message: 'Unknown document id: it is not among the trusted documents (trusted-documents.json).',
        extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 404 } },
      },
      persistedQueryOnly: {
        message: 'Only trusted documents are accepted here: send a documentId instead of the query text.',
        extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400 } },
      },
      keyNotFound: {
        message: 'Neither a query nor a document id was given (documentId, or extensions.persistedQuery.sha256Hash).',
        extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
      },
    },
  });
}
