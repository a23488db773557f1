// Large, repeated batches (the moderation pipeline's few-shot examples: hundreds of fixed texts every process embeds
// at start) are kept on disk, keyed by the model and the exact texts: the second process to start reads them in
// milliseconds instead of embedding for seconds. Small batches (the texts of live work) are never cached.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Embedder } from './embeddings.js';

/** Batches at least this large are cached. */
export const CACHED_BATCH_SIZE = 100;

export function withBatchCache(embedder: Embedder, dir: string | undefined): Embedder {
  if (!dir) return embedder;
  return {
    id: embedder.id,
    async embed(texts) {
      if (texts.length < CACHED_BATCH_SIZE) return embedder.embed(texts);
      const key = createHash('sha256')
        .update(JSON.stringify([embedder.id, texts]))
        .digest('hex');
      const file = join(dir, `${key}.json`);
      try {
        const cached = JSON.parse(await readFile(file, 'utf8')) as number[][];
        if (Array.isArray(cached) && cached.length === texts.length) return cached;
      } catch {
        // Not cached yet (or unreadable): embed and write it.
      }
      const vectors = await embedder.embed(texts);
      // Write then rename: a reader never sees half a file, and concurrent writers of the same key agree.
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
      await mkdir(dir, { recursive: true })
        .then(() => writeFile(tmp, JSON.stringify(vectors)))
        .then(() => rename(tmp, file))
        .catch(() => undefined);
      return vectors;
    },
  };
}

/**
 * Remembers the vectors of recently embedded texts in this process (least recently used out first). The swarm embeds
 * the same draft for moderation, persona consistency, similarity and indexing, and the same persona profile for
 * every draft: each is computed once.
 */
export function withMemo(embedder: Embedder, capacity = 2_000): Embedder {
  const memo = new Map<string, number[]>();
  return {
    id: embedder.id,
    async embed(texts) {
      const missing = [...new Set(texts.filter((t) => !memo.has(t)))];
      if (missing.length > 0) {
        const vectors = await embedder.embed(missing);
        for (const [i, t] of missing.entries()) memo.set(t, vectors[i] as number[]);
        while (memo.size > capacity) memo.delete(memo.keys().next().value as string);
      }
      return texts.map((t) => {
        const v = memo.get(t) as number[];
        // Refresh its place: recently used texts stay.
        memo.delete(t);
        memo.set(t, v);
        return v;
      });
    },
  };
}
