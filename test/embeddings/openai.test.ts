// The OpenAI embedder, exercised over real HTTP against a local server speaking POST /v1/embeddings.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cosine, EmbeddingError, type EmbeddingErrorCode } from '../../src/platform/embeddings/embeddings.js';
import {
  createOpenAiEmbedder,
  OPENAI_BATCH_SIZE,
  type OpenAiEmbedderOptions,
} from '../../src/platform/embeddings/openai.js';
import { type FakeOpenAiServer, fakeEmbedding, startFakeOpenAiServer } from '../helpers/fake-openai-server.js';

const API_KEY = 'sk-test-embeddings-0123456789-secret';
let server: FakeOpenAiServer;

beforeAll(async () => {
  server = await startFakeOpenAiServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.embeddingRequests.length = 0;
  server.requests.length = 0;
  server.respondToEmbeddingsWith({ fake: true });
});

function embedder(options: Partial<OpenAiEmbedderOptions> = {}) {
  return createOpenAiEmbedder({
    apiKey: API_KEY,
    baseUrl: server.baseUrl,
    model: 'text-embedding-3-small',
    timeoutMs: 5_000,
    maxRetries: 0,
    ...options,
  });
}

async function failure(promise: Promise<unknown>, code: EmbeddingErrorCode, retryable: boolean) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EmbeddingError);
  expect({ code: (err as EmbeddingError).code, retryable: (err as EmbeddingError).retryable }).toEqual({
    code,
    retryable,
  });
  expect((err as Error).message).not.toContain(API_KEY);
  return err as EmbeddingError;
}

describe('openai embedder', () => {
  it('posts the texts, the model and the key; answers unit vectors of the model’s dimension, in order', async () => {
    const e = embedder();
    expect(e.id).toEqual({ provider: 'openai', model: 'text-embedding-3-small', dimension: 1536 });
    const vectors = await e.embed(['open weights', 'open doors', '']);
    expect(vectors).toHaveLength(3);
    for (const v of vectors) {
      expect(v).toHaveLength(1536);
      expect(Math.hypot(...v)).toBeCloseTo(1, 6);
    }
    expect(cosine(vectors[0] as number[], fakeEmbedding('open weights', 1536))).toBeCloseTo(1, 6);
    expect(server.embeddingRequests).toHaveLength(1);
    const req = server.embeddingRequests[0]!;
    expect(req.headers.authorization).toBe(`Bearer ${API_KEY}`);
    // A blank text goes as a space (OpenAI refuses empty strings); floats are asked for; no `dimensions` at 1536.
    expect(req.body).toEqual({
      model: 'text-embedding-3-small',
      input: ['open weights', 'open doors', ' '],
      encoding_format: 'float',
    });
    // Chat requests are recorded apart.
    expect(server.requests).toHaveLength(0);
    expect(await e.embed([])).toEqual([]);
    expect(server.embeddingRequests).toHaveLength(1);
  });

  it('asks text-embedding-3 models for a configured shorter dimension', async () => {
    const e = embedder({ dimension: 256 });
    expect(e.id.dimension).toBe(256);
    const [v] = await e.embed(['short']);
    expect(v).toHaveLength(256);
    expect(server.embeddingRequests[0]?.body?.dimensions).toBe(256);
  });

  it('takes any model of a configured dimension (a local server), without sending `dimensions`', async () => {
    const e = embedder({ model: 'nomic-embed-text', dimension: 768, apiKey: undefined });
    server.respondToEmbeddingsWith({ fake: true, dimension: 768 });
    expect((await e.embed(['local']))[0]).toHaveLength(768);
    expect(server.embeddingRequests[0]?.body?.dimensions).toBeUndefined();
    expect(server.embeddingRequests[0]?.headers.authorization).toBe('Bearer sk-no-key-required');
  });

  it('refuses settings that cannot work (MISCONFIGURED)', () => {
    const bad = (o: Partial<OpenAiEmbedderOptions>) => () => embedder(o);
    expect(bad({ model: 'nomic-embed-text' })).toThrow(/EMBEDDINGS_DIMENSION/);
    expect(bad({ model: 'text-embedding-ada-002', dimension: 512 })).toThrow(/always answers 1536/);
    expect(bad({ dimension: 4096 })).toThrow(/at most 1536/);
    try {
      embedder({ model: 'nomic-embed-text' });
    } catch (err) {
      expect((err as EmbeddingError).code).toBe('MISCONFIGURED');
    }
  });

  it('sends at most OPENAI_BATCH_SIZE texts per request and keeps the order', async () => {
    const texts = Array.from({ length: OPENAI_BATCH_SIZE + 10 }, (_, i) => `text ${i}`);
    const vectors = await embedder({ dimension: 32 }).embed(texts);
    expect(server.embeddingRequests.map((r) => (r.body?.input ?? []).length)).toEqual([OPENAI_BATCH_SIZE, 10]);
    expect(vectors).toHaveLength(texts.length);
    expect(
      cosine(vectors[OPENAI_BATCH_SIZE + 3] as number[], fakeEmbedding(`text ${OPENAI_BATCH_SIZE + 3}`, 32)),
    ).toBeCloseTo(1, 6);
  });

  it('puts answers in input order by their index, and decodes base64 answers', async () => {
    const a = [1, 0, 0, 0];
    const b = [0, 3, 0, 4];
    server.respondToEmbeddingsWith({ embeddings: [b, a], indexes: [1, 0] });
    const e = embedder({ model: 'local', dimension: 4 });
    expect(await e.embed(['a', 'b'])).toEqual([a, [0, 0.6, 0, 0.8]]);
    server.respondToEmbeddingsWith({
      raw: JSON.stringify({
        data: [{ index: 0, embedding: Buffer.from(new Float32Array([0, 2, 0, 0]).buffer).toString('base64') }],
      }),
    });
    expect(await e.embed(['c'])).toEqual([[0, 1, 0, 0]]);
  });

  it('maps server errors to codes, never showing the key', async () => {
    server.respondToEmbeddingsWith({ status: 401, message: `Incorrect API key provided: ${API_KEY}` });
    const unauthorized = await failure(embedder().embed(['x']), 'REJECTED', false);
    expect(unauthorized.details.status).toBe(401);
    expect(unauthorized.message).toContain('[redacted]');

    server.respondToEmbeddingsWith({ status: 400, message: 'maximum context length is 8192 tokens' });
    await failure(embedder().embed(['x']), 'REJECTED', false);

    server.respondToEmbeddingsWith({ status: 429, headers: { 'retry-after': '7' } });
    const limited = await failure(embedder().embed(['x']), 'RATE_LIMITED', true);
    expect(limited.details.retryAfterMs).toBe(7_000);

    server.respondToEmbeddingsWith({ status: 503 });
    await failure(embedder().embed(['x']), 'UNAVAILABLE', true);
  });

  it('retries what the SDK retries, then gives up', async () => {
    server.respondToEmbeddingsWith({ status: 500 }, { fake: true });
    const [v] = await embedder({ maxRetries: 2 }).embed(['eventually']);
    expect(v).toHaveLength(1536);
    expect(server.embeddingRequests).toHaveLength(2);
  });

  it('times out on a server that never answers', async () => {
    server.respondToEmbeddingsWith({ hang: true });
    await failure(embedder({ timeoutMs: 200 }).embed(['x']), 'TIMEOUT', true);
  });

  it('refuses unusable answers (BAD_RESPONSE)', async () => {
    const e = embedder({ model: 'local', dimension: 4 });
    for (const reply of [
      { raw: 'not json' },
      { raw: JSON.stringify({ data: 'nope' }) },
      { embeddings: [[1, 0, 0, 0]] },
      {
        embeddings: [
          [1, 0, 0],
          [0, 1, 0],
        ],
      },
      {
        embeddings: [
          [1, 0, 0, 0],
          [0, 1, 0, 0],
        ],
        indexes: [0, 0],
      },
    ]) {
      server.respondToEmbeddingsWith(reply);
      await failure(e.embed(['a', 'b']), 'BAD_RESPONSE', true);
    }
  });

  it('reports an unreachable server as UNAVAILABLE', async () => {
    const closed = await startFakeOpenAiServer();
    await closed.close();
    await failure(embedder({ baseUrl: closed.baseUrl }).embed(['x']), 'UNAVAILABLE', true);
  });
});
