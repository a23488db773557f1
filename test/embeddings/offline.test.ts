// The offline embedder: Universal Sentence Encoder from the npm package, no network.
import { beforeAll, describe, expect, it } from 'vitest';
import { cosine, type Embedder } from '../../src/platform/embeddings/embeddings.js';
import {
  createOfflineEmbedder,
  OFFLINE_BATCH_SIZE,
  OFFLINE_EMBEDDING_MODEL,
} from '../../src/platform/embeddings/offline.js';

let embedder: Embedder;
beforeAll(() => {
  embedder = createOfflineEmbedder();
});

const norm = (v: number[]) => Math.hypot(...v);

describe('offline embedder', () => {
  it('names its model and gives 512-d unit vectors, one per text, in order', async () => {
    expect(embedder.id).toEqual({ provider: 'offline', model: 'universal-sentence-encoder-en', dimension: 512 });
    expect(OFFLINE_EMBEDDING_MODEL.dimension).toBe(512);
    const vectors = await embedder.embed(['hello world', '', '   ', 'ünïcødé 🐱 text']);
    expect(vectors).toHaveLength(4);
    for (const v of vectors) {
      expect(v).toHaveLength(512);
      expect(norm(v)).toBeCloseTo(1, 6);
      expect(v.every(Number.isFinite)).toBe(true);
    }
    expect(await embedder.embed([])).toEqual([]);
  });

  it('is deterministic, also across embedder instances', async () => {
    const text = 'The agent posted about open-source AI.';
    const [a] = await embedder.embed([text]);
    const [b] = await createOfflineEmbedder().embed([text]);
    expect(b).toEqual(a);
  });

  it('puts similar texts closer than unrelated ones', async () => {
    const [cats, kitten, bitcoin, rates] = await embedder.embed([
      'cats and kittens',
      'a kitten sleeps',
      'bitcoin price',
      'the central bank raised interest rates',
    ]);
    const sim = (x?: number[], y?: number[]) => cosine(x as number[], y as number[]);
    expect(sim(cats, kitten)).toBeGreaterThan(sim(cats, bitcoin) + 0.2);
    expect(sim(cats, kitten)).toBeGreaterThan(sim(cats, rates) + 0.2);
    expect(sim(bitcoin, rates)).toBeGreaterThan(sim(bitcoin, kitten));
  });

  it('gives the same vector for a text in a batch as alone, across batch boundaries', async () => {
    const texts = Array.from(
      { length: OFFLINE_BATCH_SIZE * 2 + 5 },
      (_, i) => `note ${i}: ${i % 3 ? 'cats' : 'markets'}`,
    );
    const batch = await embedder.embed(texts);
    expect(batch).toHaveLength(texts.length);
    for (const i of [0, 1, OFFLINE_BATCH_SIZE - 1, OFFLINE_BATCH_SIZE, OFFLINE_BATCH_SIZE * 2 + 4]) {
      const [alone] = await embedder.embed([texts[i] as string]);
      expect(cosine(alone as number[], batch[i] as number[])).toBeGreaterThan(0.99999);
    }
  });

  it('answers concurrent callers correctly', async () => {
    const texts = ['alpha', 'beta', 'gamma', 'delta'];
    const [together, ...apart] = await Promise.all([embedder.embed(texts), ...texts.map((t) => embedder.embed([t]))]);
    apart.forEach(([v], i) => {
      expect(cosine(v as number[], together?.[i] as number[])).toBeGreaterThan(0.99999);
    });
  });
});
