// The production Embedder: the openai SDK's embeddings endpoint (POST {baseUrl}/embeddings) against OpenAI or any
// OpenAI-compatible server (Azure, Ollama, vLLM, llama.cpp, LocalAI). The SDK retries 408/409/429/5xx and timeouts
// (maxRetries); what still fails becomes an EmbeddingError. The API key never appears in an error.
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { type Embedder, EmbeddingError, type EmbeddingModelId, normalize } from './embeddings.js';

export const OPENAI_EMBEDDINGS_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_OPENAI_EMBEDDING_MODEL = 'text-embedding-3-small';
/** Sent when no key is configured: local servers accept any bearer token. */
const PLACEHOLDER_API_KEY = 'sk-no-key-required';

/** Native dimensions of OpenAI's embedding models; any other model needs its dimension configured. */
export const KNOWN_EMBEDDING_DIMENSIONS: Readonly<Record<string, number>> = Object.freeze({
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
});

/** Inputs per request (OpenAI allows 2,048 and ~300k tokens per request; smaller batches keep each call short). */
export const OPENAI_BATCH_SIZE = 256;

export interface OpenAiEmbedderOptions {
  apiKey?: string | undefined;
  baseUrl?: string | undefined;
  model: string;
  /** Vector length. Defaults to the model's native size (required for models not in KNOWN_EMBEDDING_DIMENSIONS). */
  dimension?: number | undefined;
  timeoutMs: number;
  maxRetries: number;
}

/** Models that accept the `dimensions` parameter (shortened embeddings). */
const supportsDimensions = (model: string) => model.startsWith('text-embedding-3');

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms)) return ms;
  const seconds = Number.parseFloat(headers?.get('retry-after') ?? '');
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

function toEmbeddingError(err: unknown, redact: (s: string) => string): EmbeddingError {
  if (err instanceof EmbeddingError) return err;
  if (err instanceof APIConnectionTimeoutError) {
    return new EmbeddingError('TIMEOUT', 'The embedding server did not answer in time.');
  }
  if (err instanceof APIConnectionError) {
    return new EmbeddingError('UNAVAILABLE', `Could not reach the embedding server: ${redact(err.message)}`);
  }
  if (err instanceof APIError) {
    const status = err.status;
    const message = `The embedding server answered ${status ?? 'with an error'}: ${redact(err.message)}`;
    if (status === 429) {
      return new EmbeddingError('RATE_LIMITED', message, { status, retryAfterMs: retryAfterMs(err.headers) });
    }
    if (status === 408) return new EmbeddingError('TIMEOUT', message, { status });
    if (status === undefined || status === 409 || status >= 500) {
      return new EmbeddingError('UNAVAILABLE', message, { status });
    }
    return new EmbeddingError('REJECTED', message, { status });
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new EmbeddingError('BAD_RESPONSE', `Unreadable answer from the embedding server: ${redact(detail)}`);
}

/** An embedding as JSON numbers, or as base64 little-endian float32 (some servers send it whatever was asked). */
function decodeEmbedding(value: unknown): number[] | null {
  if (Array.isArray(value)) return value.every((x) => typeof x === 'number' && Number.isFinite(x)) ? value : null;
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length === 0 || bytes.length % 4 !== 0) return null;
    const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    return floats.every(Number.isFinite) ? Array.from(floats) : null;
  }
  return null;
}

/** The model id an OpenAI embedder will report, or an EmbeddingError when the dimension cannot be known. */
export function openAiEmbeddingModelId(options: Pick<OpenAiEmbedderOptions, 'model' | 'dimension'>): EmbeddingModelId {
  const dimension = options.dimension ?? KNOWN_EMBEDDING_DIMENSIONS[options.model];
  if (dimension === undefined) {
    throw new EmbeddingError(
      'MISCONFIGURED',
      `The vector length of embedding model "${options.model}" is not known: set EMBEDDINGS_DIMENSION.`,
    );
  }
  if (!Number.isInteger(dimension) || dimension < 1) {
    throw new EmbeddingError('MISCONFIGURED', `EMBEDDINGS_DIMENSION must be a positive integer, not ${dimension}.`);
  }
  const native = KNOWN_EMBEDDING_DIMENSIONS[options.model];
  if (native !== undefined && dimension !== native && !supportsDimensions(options.model)) {
    throw new EmbeddingError(
      'MISCONFIGURED',
      `Embedding model "${options.model}" always answers ${native} dimensions; it cannot give ${dimension}.`,
    );
  }
  if (native !== undefined && dimension > native) {
    throw new EmbeddingError(
      'MISCONFIGURED',
      `Embedding model "${options.model}" gives at most ${native} dimensions, not ${dimension}.`,
    );
  }
  return { provider: 'openai', model: options.model, dimension };
}

export function createOpenAiEmbedder(options: OpenAiEmbedderOptions): Embedder {
  const id = openAiEmbeddingModelId(options);
  const redact = (s: string) => (options.apiKey ? s.split(options.apiKey).join('[redacted]') : s);
  const client = new OpenAI({
    apiKey: options.apiKey || PLACEHOLDER_API_KEY,
    baseURL: options.baseUrl || OPENAI_EMBEDDINGS_DEFAULT_BASE_URL,
    // Explicit, so the SDK does not read the environment itself (config.ts is the one place that does).
    organization: null,
    project: null,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
  });
  // Ask for shortened vectors only when they differ from the native size (other servers may reject the field).
  const native = KNOWN_EMBEDDING_DIMENSIONS[options.model];
  const dimensions = supportsDimensions(options.model) && id.dimension !== native ? id.dimension : undefined;

  async function embedBatch(batch: readonly string[]): Promise<number[][]> {
    let res: OpenAI.Embeddings.CreateEmbeddingResponse;
    try {
      res = await client.embeddings.create({
        model: options.model,
        // OpenAI refuses empty strings; a blank text embeds as a single space.
        input: batch.map((t) => (t.trim() === '' ? ' ' : t)),
        // JSON floats: the one format every OpenAI-compatible server speaks (base64 answers are decoded anyway).
        encoding_format: 'float',
        ...(dimensions !== undefined ? { dimensions } : {}),
      });
    } catch (err) {
      throw toEmbeddingError(err, redact);
    }
    const data: unknown = res?.data;
    if (!Array.isArray(data) || data.length !== batch.length) {
      throw new EmbeddingError(
        'BAD_RESPONSE',
        `The embedding server returned ${Array.isArray(data) ? data.length : 'no'} embeddings for ${batch.length} texts.`,
      );
    }
    const out = new Array<number[]>(batch.length);
    data.forEach((item: { index?: unknown; embedding?: unknown }, position) => {
      const index = typeof item?.index === 'number' ? item.index : position;
      const vector = decodeEmbedding(item?.embedding);
      if (!Number.isInteger(index) || index < 0 || index >= batch.length || out[index] !== undefined || !vector) {
        throw new EmbeddingError('BAD_RESPONSE', 'The embedding server returned a malformed embedding.');
      }
      if (vector.length !== id.dimension) {
        throw new EmbeddingError(
          'BAD_RESPONSE',
          `The embedding server returned ${vector.length} dimensions; ${id.model} is configured for ${id.dimension}.`,
        );
      }
      out[index] = normalize(vector);
    });
    return out;
  }

  return {
    id,
    async embed(texts) {
      const out: number[][] = [];
      for (let start = 0; start < texts.length; start += OPENAI_BATCH_SIZE) {
        out.push(...(await embedBatch(texts.slice(start, start + OPENAI_BATCH_SIZE))));
      }
      return out;
    },
  };
}
