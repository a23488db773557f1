// Picks the Embedder the configuration asks for (config.memory.embeddings).

import { withBatchCache, withMemo } from './batch-cache.js';
import { type Embedder, EmbeddingError, type EmbeddingProviderName } from './embeddings.js';
import { createOfflineEmbedder } from './offline.js';
import { createOpenAiEmbedder } from './openai.js';

export interface EmbeddingSettings {
  provider: EmbeddingProviderName;
  model: string;
  dimension?: number | undefined;
  apiKey?: string | undefined;
  baseUrl?: string | undefined;
  timeoutMs: number;
  maxRetries: number;
  /** Large fixed batches are cached here between processes (see batch-cache.ts). */
  cacheDir?: string | undefined;
}

export function createEmbedder(settings: EmbeddingSettings): Embedder {
  return withMemo(withBatchCache(providerOf(settings), settings.cacheDir));
}

function providerOf(settings: EmbeddingSettings): Embedder {
  if (settings.provider === 'offline') return createOfflineEmbedder();
  if (!settings.apiKey && !settings.baseUrl) {
    throw new EmbeddingError(
      'MISCONFIGURED',
      'EMBEDDINGS_PROVIDER=openai needs OPENAI_API_KEY (for api.openai.com) or OPENAI_BASE_URL (for a local server).',
    );
  }
  return createOpenAiEmbedder(settings);
}
