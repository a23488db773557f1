// A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions protocol (POST /v1/chat/completions),
// so the production LLM adapter is exercised over the wire. It records every request and answers from a queue of
// scripted replies: content, an HTTP error status, a raw (e.g. malformed) body, or a hang that never answers.
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

export interface FakeOpenAiServer {
  /** Base URL to give the SDK, ending in /v1. */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Scripts the next replies in order; the last one repeats. */
  respondWith(...replies: FakeReply[]): void;
  /** Answers each request by its body instead (a model that plans, writes and critiques); null goes back to the script. */
  route(router: ((body: ChatCompletionBody | undefined) => FakeReply) | null): void;
  close(): Promise<void>;
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

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
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
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
