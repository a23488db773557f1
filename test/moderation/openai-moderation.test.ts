// The production external model, over real HTTP against a local server speaking OpenAI's moderation protocol.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ModerationError } from '../../src/platform/moderation/moderation.js';
import {
  createOpenAiModeration,
  OPENAI_MODERATION_DEFAULT_MODEL,
} from '../../src/platform/moderation/openai-moderation.js';

const API_KEY = 'sk-test-moderation-0123456789-secret';

interface Answer {
  status: number;
  body: unknown;
}

let server: Server;
let baseUrl: string;
let answers: Answer[] = [];
const requests: { path: string; authorization: string | undefined; body: unknown }[] = [];

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let data = '';
    req.on('data', (c: Buffer) => {
      data += c.toString('utf8');
    });
    req.on('end', () => resolve(data));
  });

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const raw = await readBody(req);
    requests.push({
      path: req.url ?? '',
      authorization: req.headers.authorization,
      body: raw ? JSON.parse(raw) : null,
    });
    const answer = answers.shift() ?? { status: 500, body: { error: { message: 'no answer queued' } } };
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  answers = [];
  requests.length = 0;
});

const moderation = (scores: Record<string, number>, flagged = false) => ({
  status: 200,
  body: {
    id: 'modr-1',
    model: 'omni-moderation-2024-09-26',
    results: [{ flagged, categories: {}, category_applied_input_types: {}, category_scores: scores }],
  },
});

const client = () => createOpenAiModeration({ apiKey: API_KEY, baseUrl, timeoutMs: 5_000, maxRetries: 1 });

async function failure(promise: Promise<unknown>): Promise<ModerationError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModerationError);
  return err as ModerationError;
}

describe('openai moderation', () => {
  it('posts the text with the model and the bearer key, and returns the category scores', async () => {
    answers.push(moderation({ harassment: 0.91, hate: 0.02, 'self-harm/intent': 0.001 }, true));
    const result = await client().moderate('you are a clown');
    expect(result).toEqual({
      provider: 'openai',
      model: 'omni-moderation-2024-09-26',
      flagged: true,
      scores: { harassment: 0.91, hate: 0.02, 'self-harm/intent': 0.001 },
    });
    expect(requests).toEqual([
      {
        path: '/v1/moderations',
        authorization: `Bearer ${API_KEY}`,
        body: { model: OPENAI_MODERATION_DEFAULT_MODEL, input: 'you are a clown' },
      },
    ]);
    expect(client().name).toBe(`openai/${OPENAI_MODERATION_DEFAULT_MODEL}`);
  });

  it('retries a server error, then succeeds', async () => {
    answers.push({ status: 503, body: { error: { message: 'busy' } } }, moderation({ sexual: 0.4 }));
    const result = await client().moderate('hello');
    expect(result.scores).toEqual({ sexual: 0.4 });
    expect(requests).toHaveLength(2);
  });

  it('maps failures to codes, never leaking the key', async () => {
    answers.push({ status: 401, body: { error: { message: `bad key ${API_KEY}` } } });
    const rejected = await failure(client().moderate('hello'));
    expect(rejected.code).toBe('REJECTED');
    expect(rejected.message).not.toContain(API_KEY);

    answers.push({ status: 429, body: { error: { message: 'slow down' } } }, { status: 429, body: {} });
    expect((await failure(client().moderate('hello'))).code).toBe('RATE_LIMITED');

    answers.push({ status: 200, body: { id: 'x', model: 'm', results: [] } });
    expect((await failure(client().moderate('hello'))).code).toBe('BAD_RESPONSE');
  });

  it('reports an unreachable server as UNAVAILABLE', async () => {
    const down = createOpenAiModeration({ baseUrl: 'http://127.0.0.1:9/v1', timeoutMs: 2_000, maxRetries: 0 });
    expect((await failure(down.moderate('hello'))).code).toBe('UNAVAILABLE');
  });
});
