// What can be checked of the Weaviate store without a Weaviate server: the classes it creates (the spec's, with no
// vectorizer and cosine distance), where it keeps the embedding model, how filters translate, and that an
// unreachable server is UNAVAILABLE. The store itself runs the contract in weaviate.test.ts when WEAVIATE_URL is set.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import weaviate, { type WeaviateClient } from 'weaviate-client';
import { OFFLINE_EMBEDDING_MODEL } from '../../src/platform/embeddings/offline.js';
import { compileFilter } from '../../src/platform/vector/records.js';
import {
  classSchema,
  modelOfDescription,
  openWeaviateStore,
  weaviateFilter,
} from '../../src/platform/vector/weaviate.js';
import { AGENT_A, at, rejection } from './fixtures.js';

/** The spec's Weaviate schema ("Weaviate Schema Configuration"): class → property → data type. */
const SPEC = {
  AgentMemory: {
    agentId: 'uuid',
    memoryType: 'string',
    content: 'text',
    context: 'text',
    importance: 'number',
    timestamp: 'date',
  },
  TrendAnalysis: {
    topic: 'string',
    keywords: 'text[]',
    sentiment: 'string',
    platforms: 'string[]',
    metrics: 'number[]',
    detectedAt: 'date',
  },
  ContentEmbedding: { contentId: 'uuid', contentType: 'string', text: 'text', tags: 'string[]', persona: 'string' },
} as const;

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let client: WeaviateClient;
let port: number;
let meta: Server;
beforeAll(async () => {
  port = await closedPort();
  // The client asks the server's version in the background: a stand-in answers that, and nothing else is sent
  // (handles and filters are built locally).
  meta = createHttpServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":"1.32.23"}'),
  );
  await new Promise<void>((resolve) => meta.listen(0, '127.0.0.1', resolve));
  const metaPort = (meta.address() as { port: number }).port;
  client = await weaviate.connectToCustom({
    httpHost: '127.0.0.1',
    httpPort: metaPort,
    grpcHost: '127.0.0.1',
    grpcPort: port,
    skipInitChecks: true,
  });
});
afterAll(async () => {
  await client.close();
  meta.closeAllConnections();
  await new Promise((resolve) => meta.close(resolve));
});

describe('Weaviate classes', () => {
  it.each(Object.keys(SPEC) as (keyof typeof SPEC)[])('%s has the spec’s properties, no vectorizer, cosine', (c) => {
    const schema = classSchema(c, c, OFFLINE_EMBEDDING_MODEL);
    expect(schema).toMatchObject({
      class: c,
      vectorizer: 'none',
      vectorIndexType: 'hnsw',
      vectorIndexConfig: { distance: 'cosine' },
    });
    const types = Object.fromEntries(schema.properties.map((p) => [p.name, p.dataType[0]]));
    for (const [name, type] of Object.entries(SPEC[c])) {
      // The spec's "string" is Weaviate's deprecated alias of text with whole-value tokenization.
      expect(types[name], `${c}.${name}`).toBe(type.replace('string', 'text'));
      if (type.startsWith('string')) {
        expect(schema.properties.find((p) => p.name === name)).toMatchObject({ tokenization: 'field' });
      }
    }
    expect(modelOfDescription(schema.description)).toEqual(OFFLINE_EMBEDDING_MODEL);
    expect(schema.description.startsWith(`${c === 'AgentMemory' ? 'Semantic memory for agents' : ''}`)).toBe(true);
  });

  it('reads no model from a description Chimera did not write', () => {
    expect(modelOfDescription(undefined)).toBeNull();
    expect(modelOfDescription('Semantic memory for agents')).toBeNull();
    expect(modelOfDescription('x · chimera-embedding-model={broken')).toBeNull();
  });
});

describe('Weaviate filters', () => {
  const handle = () => client.collections.use('AgentMemory');

  it('translates every condition, ANDed', () => {
    const where: unknown = weaviateFilter(
      handle().filter,
      compileFilter('AgentMemory', {
        agentId: AGENT_A.toUpperCase(),
        memoryTypes: ['episodic', 'long_term'],
        minImportance: 0.5,
        after: at(1),
        before: at(2),
        tags: ["it's"],
      }),
    );
    expect(JSON.parse(JSON.stringify(where))).toEqual({
      operator: 'And',
      value: null,
      filters: [
        { operator: 'Equal', target: { property: 'agentId' }, value: AGENT_A },
        {
          operator: 'Or',
          value: null,
          filters: [
            { operator: 'Equal', target: { property: 'memoryType' }, value: 'episodic' },
            { operator: 'Equal', target: { property: 'memoryType' }, value: 'long_term' },
          ],
        },
        { operator: 'GreaterThanEqual', target: { property: 'importance' }, value: 0.5 },
        { operator: 'GreaterThanEqual', target: { property: 'timestamp' }, value: at(1).toISOString() },
        { operator: 'LessThanEqual', target: { property: 'timestamp' }, value: at(2).toISOString() },
        { operator: 'ContainsAny', target: { property: 'tags' }, value: ["it's"] },
      ],
    });
  });

  it('excludes content ids, matches nothing on an empty list, and nothing at all on no condition', () => {
    const ids = ['88888888-0000-4000-8000-000000000001', '88888888-0000-4000-8000-000000000002'];
    expect(weaviateFilter(handle().filter, compileFilter('ContentEmbedding', { excludeContentIds: ids }))).toEqual({
      operator: 'And',
      value: null,
      filters: ids.map((value) => ({ operator: 'NotEqual', target: { property: 'contentId' }, value })),
    });
    expect(weaviateFilter(handle().filter, compileFilter('TrendAnalysis', { platforms: [] }))).toBe('none');
    expect(weaviateFilter(handle().filter, compileFilter('TrendAnalysis', {}))).toBeUndefined();
  });
});

describe('Weaviate store', () => {
  it('reports an unreachable server as UNAVAILABLE', async () => {
    const err = await rejection(
      openWeaviateStore({ url: `http://127.0.0.1:${port}`, model: OFFLINE_EMBEDDING_MODEL }),
      'UNAVAILABLE',
    );
    expect(err.message).toContain(`127.0.0.1:${port}`);
  });
});
