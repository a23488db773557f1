// config.memory from the environment, and the factories that read it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createEmbedder } from '../../src/platform/embeddings/create-embedder.js';
import { EmbeddingError } from '../../src/platform/embeddings/embeddings.js';
import { OFFLINE_EMBEDDING_MODEL } from '../../src/platform/embeddings/offline.js';
import { type FakeOpenAiServer, startFakeOpenAiServer } from '../helpers/fake-openai-server.js';

let server: FakeOpenAiServer;
beforeAll(async () => {
  server = await startFakeOpenAiServer();
});
afterAll(() => server.close());

describe('config.memory', () => {
  it('defaults to offline embeddings and LanceDB under ./data/vectors', () => {
    expect(loadConfig({}).memory).toMatchObject({
      embeddings: {
        provider: 'offline',
        model: 'text-embedding-3-small',
        dimension: undefined,
        apiKey: undefined,
        baseUrl: undefined,
        timeoutMs: 30_000,
        maxRetries: 2,
      },
      vectorStore: { kind: 'lancedb', dir: './data/vectors', weaviateUrl: undefined, weaviateApiKey: undefined },
    });
    const blank = loadConfig({
      OPENAI_API_KEY: '',
      OPENAI_BASE_URL: '',
      EMBEDDINGS_PROVIDER: '',
      EMBEDDINGS_DIMENSION: '',
      VECTOR_STORE: '',
      WEAVIATE_URL: '',
      WEAVIATE_API_KEY: '',
    }).memory;
    expect(blank.embeddings.provider).toBe('offline');
    expect(blank.vectorStore).toEqual({
      kind: 'lancedb',
      dir: './data/vectors',
      optimizeEveryMs: 3_600_000,
      weaviateUrl: undefined,
      weaviateApiKey: undefined,
    });
  });

  it('embeds with OpenAI when a key or base URL is set (like LLM_PROVIDER), unless EMBEDDINGS_PROVIDER says otherwise', () => {
    expect(loadConfig({ OPENAI_API_KEY: 'sk-x' }).memory.embeddings).toMatchObject({
      provider: 'openai',
      apiKey: 'sk-x',
    });
    expect(
      loadConfig({
        OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
        EMBEDDINGS_MODEL: 'nomic-embed-text',
        EMBEDDINGS_DIMENSION: '768',
      }).memory.embeddings,
    ).toMatchObject({
      provider: 'openai',
      baseUrl: 'http://127.0.0.1:11434/v1',
      model: 'nomic-embed-text',
      dimension: 768,
    });
    expect(loadConfig({ OPENAI_API_KEY: 'sk-x', EMBEDDINGS_PROVIDER: 'offline' }).memory.embeddings.provider).toBe(
      'offline',
    );
    // The language model and the embeddings are chosen independently.
    const mixed = loadConfig({ OPENAI_API_KEY: 'sk-x', LLM_PROVIDER: 'offline' });
    expect([mixed.llm.provider, mixed.memory.embeddings.provider]).toEqual(['offline', 'openai']);
  });

  it('uses Weaviate when WEAVIATE_URL is set, unless VECTOR_STORE says otherwise', () => {
    expect(loadConfig({ WEAVIATE_URL: 'http://weaviate:8080', WEAVIATE_API_KEY: 'k' }).memory.vectorStore).toEqual({
      kind: 'weaviate',
      dir: './data/vectors',
      optimizeEveryMs: 3_600_000,
      weaviateUrl: 'http://weaviate:8080',
      weaviateApiKey: 'k',
    });
    expect(loadConfig({ WEAVIATE_URL: 'http://weaviate:8080', VECTOR_STORE: 'lancedb' }).memory.vectorStore.kind).toBe(
      'lancedb',
    );
    expect(loadConfig({ VECTOR_STORE_DIR: '/var/lib/chimera/vectors' }).memory.vectorStore.dir).toBe(
      '/var/lib/chimera/vectors',
    );
    expect(loadConfig({ VECTOR_OPTIMIZE_INTERVAL_MS: '0' }).memory.vectorStore.optimizeEveryMs).toBe(0);
    expect(() => loadConfig({ VECTOR_OPTIMIZE_INTERVAL_MS: '-1' })).toThrow(/VECTOR_OPTIMIZE_INTERVAL_MS/);
  });

  it('names bad values', () => {
    for (const [env, name] of [
      [{ EMBEDDINGS_PROVIDER: 'cohere' }, 'EMBEDDINGS_PROVIDER'],
      [{ EMBEDDINGS_DIMENSION: 'wide' }, 'EMBEDDINGS_DIMENSION'],
      [{ EMBEDDINGS_DIMENSION: '0' }, 'EMBEDDINGS_DIMENSION'],
      [{ VECTOR_STORE: 'pinecone' }, 'VECTOR_STORE'],
      [{ WEAVIATE_URL: 'not a url' }, 'WEAVIATE_URL'],
      [{ VECTOR_STORE: 'weaviate' }, 'WEAVIATE_URL'],
    ] as const) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(name);
    }
  });
});

describe('createEmbedder', () => {
  it('gives the offline embedder by default', () => {
    expect(createEmbedder(loadConfig({}).memory.embeddings).id).toEqual(OFFLINE_EMBEDDING_MODEL);
  });

  it('gives the OpenAI embedder talking to the configured server', async () => {
    const embedder = createEmbedder(
      loadConfig({ OPENAI_BASE_URL: server.baseUrl, EMBEDDINGS_DIMENSION: '64' }).memory.embeddings,
    );
    expect(embedder.id).toEqual({ provider: 'openai', model: 'text-embedding-3-small', dimension: 64 });
    expect((await embedder.embed(['hello']))[0]).toHaveLength(64);
    expect(server.embeddingRequests.at(-1)?.body).toMatchObject({ model: 'text-embedding-3-small', dimensions: 64 });
  });

  it('refuses openai without a key or a base URL', () => {
    const settings = { ...loadConfig({}).memory.embeddings, provider: 'openai' as const };
    expect(() => createEmbedder(settings)).toThrow(EmbeddingError);
    expect(() => createEmbedder(settings)).toThrow(/OPENAI_API_KEY/);
  });
});
