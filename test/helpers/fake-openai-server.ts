// A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions protocol (POST /v1/chat/completions),
// so the production LLM adapter is exercised over the wire. It records every request and answers from a queue of
// scripted replies: content, an HTTP error status, a raw (e.g. malformed) body, or a hang that never answers.
// It also speaks POST /v1/embeddings (recorded apart, in embeddingRequests, with a queue of its own): by default it
// answers every text with a deterministic bag-of-words vector (fakeEmbedding), so texts sharing words are near.
// And POST /v1/moderations (recorded in moderationRequests): every input gets the scripted category scores (all 0 by
// default).
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: ChatCompletionBody | undefined;
}

export interface ChatCompletionBody {
  model: string;
  messages: { role: string; content: string }[];
  response_format?: { type: string };
  temperature?: number;
  seed?: number;
  [key: string]: unknown;
}

export type FakeReply =
  /** A successful completion whose message content is `content`. */
  | { content: string; model?: string; usage?: boolean }
  /** An OpenAI-style error with this HTTP status. */
  | { status: number; message?: string; headers?: Record<string, string> }
  /** This exact body (status 200 unless given): for malformed or odd answers. */
  | { raw: string; status?: number; contentType?: string }
  /** Accept the request and never answer. */
  | { hang: true };

export interface EmbeddingsBody {
  model: string;
  input: string | string[];
  dimensions?: number;
  encoding_format?: 'float' | 'base64';
  [key: string]: unknown;
}

export interface RecordedEmbeddingsRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: EmbeddingsBody | undefined;
}

export type FakeEmbeddingsReply =
  /** fakeEmbedding of every input, `dimension` long (default: the request's `dimensions`, else 1536). */
  | { fake: true; dimension?: number; model?: string }
  /** These vectors, as they are (wrong counts and lengths included). */
  | { embeddings: number[][]; indexes?: number[] }
  /** An OpenAI-style error with this HTTP status. */
  | { status: number; message?: string; headers?: Record<string, string> }
  /** This exact body (status 200 unless given). */
  | { raw: string; status?: number; contentType?: string }
  /** Accept the request and never answer. */
  | { hang: true };

export interface FakeOpenAiServer {
  /** Base URL to give the SDK, ending in /v1. */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Scripts the next replies in order; the last one repeats. */
  respondWith(...replies: FakeReply[]): void;
  /** Answers each request by its body instead (a model that plans, writes and critiques); null goes back to the script. */
  route(router: ((body: ChatCompletionBody | undefined) => FakeReply) | null): void;
  /** Requests to POST /v1/embeddings (not in `requests`). */
  readonly embeddingRequests: RecordedEmbeddingsRequest[];
  /** Scripts the next embeddings replies in order; the last one repeats. The default is { fake: true }. */
  respondToEmbeddingsWith(...replies: FakeEmbeddingsReply[]): void;
  /** The inputs of POST /v1/moderations, in order. */
  readonly moderationRequests: { model: string; input: string | string[] }[];
  /** The category scores every later moderation answers with (OpenAI's names, e.g. "harassment/threatening"). */
  scoreModerationsWith(scores: Record<string, number>): void;
  close(): Promise<void>;
}

/**
 * A deterministic unit vector for a text: each lower-cased word adds ±1 at four hashed positions, so texts that
 * share words point in similar directions. Not a language model — enough to test code that embeds.
 */
export function fakeEmbedding(text: string, dimension: number): number[] {
  const v = new Array<number>(dimension).fill(0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const word of words.length > 0 ? words : ['']) {
    let h = 2_166_136_261;
    for (const ch of word) h = Math.imul(h ^ (ch.codePointAt(0) as number), 16_777_619) >>> 0;
    for (let k = 0; k < 4; k++) {
      h = Math.imul(h ^ (h >>> 15), 2_246_822_519) >>> 0;
      const i = h % dimension;
      v[i] = (v[i] as number) + (h & 1 ? 1 : -1);
    }
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

function embeddingsAnswer(reply: FakeEmbeddingsReply, body: EmbeddingsBody | undefined): [number, string] {
  if ('hang' in reply) return [0, ''];
  if ('raw' in reply) return [reply.status ?? 200, reply.raw];
  if ('status' in reply) {
    const error = { message: reply.message ?? `Fake error ${reply.status}`, type: 'fake_error', param: null };
    return [reply.status, JSON.stringify({ error })];
  }
  const inputs = body === undefined ? [] : Array.isArray(body.input) ? body.input : [body.input];
  const vectors =
    'embeddings' in reply
      ? reply.embeddings
      : inputs.map((t) => fakeEmbedding(String(t), reply.dimension ?? body?.dimensions ?? 1536));
  const indexes = 'embeddings' in reply ? reply.indexes : undefined;
  const base64 = body?.encoding_format === 'base64';
  return [
    200,
    JSON.stringify({
      object: 'list',
      model: ('model' in reply ? reply.model : undefined) ?? body?.model ?? 'unknown',
      data: vectors.map((embedding, i) => ({
        object: 'embedding',
        index: indexes?.[i] ?? i,
        embedding: base64 ? Buffer.from(new Float32Array(embedding).buffer).toString('base64') : embedding,
      })),
      usage: { prompt_tokens: inputs.join(' ').length >> 2, total_tokens: inputs.join(' ').length >> 2 },
    }),
  ];
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

function completion(reply: { content: string; model?: string; usage?: boolean }, body: ChatCompletionBody | undefined) {
  const promptTokens = JSON.stringify(body?.messages ?? []).length >> 2;
  const completionTokens = reply.content.length >> 2;
  return JSON.stringify({
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: reply.model ?? body?.model ?? 'unknown',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.content, refusal: null },
        finish_reason: 'stop',
        logprobs: null,
      },
    ],
    ...(reply.usage === false
      ? {}
      : {
          usage: {
            prompt_tokens: promptTokens,
            completion_tokens: completionTokens,
            total_tokens: promptTokens + completionTokens,
          },
        }),
  });
}

export async function startFakeOpenAiServer(): Promise<FakeOpenAiServer> {
  const requests: RecordedRequest[] = [];
  let queue: FakeReply[] = [{ content: 'Hello from the fake server.' }];
  let router: ((body: ChatCompletionBody | undefined) => FakeReply) | null = null;
  const embeddingRequests: RecordedEmbeddingsRequest[] = [];
  let embeddingsQueue: FakeEmbeddingsReply[] = [{ fake: true }];
  const moderationRequests: { model: string; input: string | string[] }[] = [];
  let moderationScores: Record<string, number> = {};

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'POST' && req.url === '/v1/moderations') {
        const body = JSON.parse(text) as { model: string; input: string | string[] };
        moderationRequests.push(body);
        const inputs = Array.isArray(body.input) ? body.input : [body.input];
        const flagged = Object.values(moderationScores).some((v) => v >= 0.5);
        const results = inputs.map(() => ({ flagged, categories: {}, category_scores: moderationScores }));
        send(res, 200, JSON.stringify({ id: 'modr-fake', model: body.model, results }));
        return;
      }
      if (req.method === 'POST' && req.url === '/v1/embeddings') {
        let body: EmbeddingsBody | undefined;
        try {
          body = JSON.parse(text) as EmbeddingsBody;
        } catch {
          body = undefined;
        }
        embeddingRequests.push({ method: req.method, url: req.url, headers: req.headers, body });
        const reply = (
          embeddingsQueue.length > 1 ? embeddingsQueue.shift() : embeddingsQueue[0]
        ) as FakeEmbeddingsReply;
        const [status, answer] = embeddingsAnswer(reply, body);
        if (status === 0) return;
        const headers = 'headers' in reply ? reply.headers : undefined;
        const contentType = 'contentType' in reply ? reply.contentType : undefined;
        send(res, status, answer, { ...(contentType ? { 'content-type': contentType } : {}), ...headers });
        return;
      }
      let body: ChatCompletionBody | undefined;
      try {
        body = JSON.parse(text) as ChatCompletionBody;
      } catch {
        body = undefined;
      }
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        send(res, 404, JSON.stringify({ error: { message: `No route ${req.method} ${req.url}`, type: 'not_found' } }));
        return;
      }
      const reply = router ? router(body) : ((queue.length > 1 ? queue.shift() : queue[0]) as FakeReply);
      if ('hang' in reply) return;
      if ('raw' in reply) {
        send(res, reply.status ?? 200, reply.raw, { 'content-type': reply.contentType ?? 'application/json' });
        return;
      }
      if ('status' in reply) {
        const error = { message: reply.message ?? `Fake error ${reply.status}`, type: 'fake_error', param: null };
        send(res, reply.status, JSON.stringify({ error }), reply.headers);
        return;
      }
      send(res, 200, completion(reply, body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    respondWith(...replies) {
      if (replies.length === 0) throw new Error('respondWith needs at least one reply');
      queue = replies;
    },
    route(next) {
      router = next;
    },
    embeddingRequests,
    respondToEmbeddingsWith(...replies) {
      if (replies.length === 0) throw new Error('respondToEmbeddingsWith needs at least one reply');
      embeddingsQueue = replies;
    },
    moderationRequests,
    scoreModerationsWith(scores) {
      moderationScores = scores;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
