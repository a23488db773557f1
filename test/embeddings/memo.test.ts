// The per-process memo in front of an embedder: each distinct text is embedded once, answers keep their order.
import { describe, expect, it } from 'vitest';
import { withMemo } from '../../src/platform/embeddings/batch-cache.js';
import type { Embedder } from '../../src/platform/embeddings/embeddings.js';

function counting(): Embedder & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    id: { provider: 'offline', model: 'counting', dimension: 2 },
    calls,
    async embed(texts) {
      calls.push([...texts]);
      return texts.map((t) => [t.length, 1]);
    },
  };
}

describe('withMemo', () => {
  it('embeds each distinct text once and answers in order', async () => {
    const inner = counting();
    const memo = withMemo(inner, 3);
    expect(await memo.embed(['a', 'bb', 'a'])).toEqual([
      [1, 1],
      [2, 1],
      [1, 1],
    ]);
    expect(await memo.embed(['bb', 'ccc'])).toEqual([
      [2, 1],
      [3, 1],
    ]);
    expect(inner.calls).toEqual([['a', 'bb'], ['ccc']]);
  });

  it('forgets the least recently used text beyond its capacity', async () => {
    const inner = counting();
    const memo = withMemo(inner, 2);
    await memo.embed(['a', 'b']);
    await memo.embed(['a']); // a is now the most recent
    await memo.embed(['c']); // b goes
    await memo.embed(['a', 'b']);
    expect(inner.calls).toEqual([['a', 'b'], ['c'], ['b']]);
  });
});
