// The production provider, exercised over real HTTP against a local server speaking the chat-completions protocol.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LlmError, type LlmErrorCode } from '../../src/platform/llm/llm.js';
import {
  createOpenAiLanguageModel,
  type OpenAiProviderOptions,
  PLACEHOLDER_API_KEY,
} from '../../src/platform/llm/openai-provider.js';
import { type FakeOpenAiServer, startFakeOpenAiServer } from '../helpers/fake-openai-server.js';
import { juno, trends } from './fixtures.js';

const API_KEY = 'sk-test-0123456789abcdef-secret';
let server: FakeOpenAiServer;

beforeAll(async () => {
  server = await startFakeOpenAiServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.respondWith({ content: 'Hello from the fake server.' });
});

function model(options: Partial<OpenAiProviderOptions> = {}) {
  return createOpenAiLanguageModel({
    apiKey: API_KEY,
    baseUrl: server.baseUrl,
    model: 'test-model',
    timeoutMs: 5_000,
    maxRetries: 2,
    ...options,
  });
}

async function failure(promise: Promise<unknown>): Promise<LlmError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LlmError);
  return err as LlmError;
}

const expectCode = (err: LlmError, code: LlmErrorCode, retryable: boolean) =>
  expect({ code: err.code, retryable: err.retryable }).toEqual({ code, retryable });

const goodPlan = {
  steps: [
    { type: 'fetch_trends', description: 'Fetch trends', priority: 'low', dependsOn: [], params: { limit: 3 } },
    { type: 'generate_content', description: 'Write the post', dependsOn: [0] },
  ],
  rationale: 'Trends first.',
};

describe('openai provider: completions', () => {
  it('sends the model, the persona as a system prompt, the request and the bearer key', async () => {
    server.respondWith({ content: 'Open weights, open doors. Small tools, big leverage.', model: 'test-model-0613' });
    const llm = model();
    const res = await llm.complete({
      persona: juno,
      instructions: 'Post about the top trend',
      context: trends,
      maxLength: 200,
      temperature: 0.4,
      seed: 42,
    });
    expect(res.text).toBe('Open weights, open doors. Small tools, big leverage.');
    expect(res.metadata).toMatchObject({ provider: 'openai', model: 'test-model-0613', offline: false, seed: 42 });
    expect(res.metadata.label).toBeUndefined();
    expect(res.metadata.usage?.totalTokens).toBeGreaterThan(0);

    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(req.body).toMatchObject({ model: 'test-model', temperature: 0.4, seed: 42 });
    expect(req.body?.response_format).toBeUndefined();
    const [system, user] = req.body!.messages;
    expect(system?.role).toBe('system');
    for (const part of [
      'You are Juno Vale',
      'warm, wry, precise, curious',
      'conversational',
      'at most one emoji',
      '"Small tools, big leverage."',
      'Never use these words or phrases: "synergy"; "disrupt"; "to the moon"; "guaranteed returns"',
      'Open tools beat walled gardens in the long run.',
      'MUST: Cite where a claim comes from',
      'MUST NOT: Give financial, medical or legal advice.',
      'PREFER: End with a question that invites replies.',
    ]) {
      expect(system?.content).toContain(part);
    }
    expect(user?.role).toBe('user');
    expect(user?.content).toContain('Post about the top trend');
    expect(user?.content).toContain('[trend] Open-weight language models');
    expect(user?.content).toContain('at most 200 characters');
  });

  it('sends a placeholder key to servers that need none, and omits optional parameters', async () => {
    await model({ apiKey: undefined }).complete({ persona: juno, instructions: 'Say hi' });
    const req = server.requests[0]!;
    expect(req.headers.authorization).toBe(`Bearer ${PLACEHOLDER_API_KEY}`);
    expect(req.body).not.toHaveProperty('temperature');
    expect(req.body).not.toHaveProperty('seed');
  });

  it('unwraps quotes and cuts an answer that is too long, saying so', async () => {
    server.respondWith({ content: `"${'Open tools win. '.repeat(30)}"` });
    const res = await model().complete({ persona: juno, instructions: 'Post', maxLength: 100 });
    expect(res.text.length).toBeLessThanOrEqual(100);
    expect(res.text.startsWith('Open tools win.')).toBe(true);
    expect(res.text.endsWith('.')).toBe(true);
    expect(res.metadata.truncated).toBe(true);
  });

  it('treats an empty answer or a body that is not JSON as BAD_RESPONSE', async () => {
    server.respondWith({ content: '   ' });
    expectCode(await failure(model().complete({ persona: juno, instructions: 'Post' })), 'BAD_RESPONSE', true);
    server.respondWith({ raw: '{"choices": [' });
    expectCode(await failure(model().complete({ persona: juno, instructions: 'Post' })), 'BAD_RESPONSE', true);
  });
});

describe('openai provider: plans and critiques', () => {
  it('asks for a JSON object and returns the validated plan with defaults filled in', async () => {
    server.respondWith({ content: `\`\`\`json\n${JSON.stringify(goodPlan)}\n\`\`\`` });
    const plan = await model().plan({ persona: juno, goal: 'Post about a trend', maxSteps: 3 });
    expect(server.requests[0]!.body?.response_format).toEqual({ type: 'json_object' });
    expect(server.requests[0]!.body?.messages[0]?.content).toContain('at most 3 steps');
    expect(server.requests[0]!.body?.messages[1]?.content).toContain('Goal: Post about a trend');
    expect(plan.steps).toEqual([
      { type: 'fetch_trends', description: 'Fetch trends', priority: 'low', dependsOn: [], params: { limit: 3 } },
      { type: 'generate_content', description: 'Write the post', priority: 'medium', dependsOn: [0], params: {} },
    ]);
    expect(plan.rationale).toBe('Trends first.');
    expect(plan.metadata.offline).toBe(false);
  });

  it('turns malformed JSON, an invalid plan or too many steps into a retryable BAD_RESPONSE', async () => {
    const cases: [string, RegExp][] = [
      ['{"steps": [', /not valid JSON/],
      [JSON.stringify({ steps: [{ type: 'launch_rocket', description: 'x' }] }), /steps\.0\.type/],
      [JSON.stringify({ steps: [{ ...goodPlan.steps[1], dependsOn: [1] }, goodPlan.steps[0]] }), /earlier steps/],
      [JSON.stringify({ steps: [goodPlan.steps[0], goodPlan.steps[0], goodPlan.steps[0]] }), /3 steps; at most 2/],
    ];
    for (const [content, message] of cases) {
      server.respondWith({ content });
      const err = await failure(model().plan({ persona: juno, goal: 'Plan', maxSteps: 2 }));
      expectCode(err, 'BAD_RESPONSE', true);
      expect(err.message).toMatch(message);
    }
    // An unusable answer is not an HTTP failure: the SDK does not retry it, the caller decides.
    expect(server.requests).toHaveLength(cases.length);
  });

  it('parses a critique, and rejects a score out of range', async () => {
    server.respondWith({ content: JSON.stringify({ score: 0.72, summary: 'Close.', issues: ['No question.'] }) });
    const critique = await model().critique({ persona: juno, content: 'A draft', goal: 'Post' });
    expect(critique).toMatchObject({ score: 0.72, summary: 'Close.', issues: ['No question.'] });
    expect(server.requests[0]!.body?.messages[1]?.content).toContain('Draft:\nA draft');
    server.respondWith({ content: JSON.stringify({ score: 7 }) });
    expectCode(await failure(model().critique({ persona: juno, content: 'A draft' })), 'BAD_RESPONSE', true);
  });
});

describe('openai provider: failures', () => {
  it('retries a rate limit, then reports RATE_LIMITED with the server’s retry-after', async () => {
    server.respondWith({ status: 429, headers: { 'retry-after-ms': '20' } });
    const err = await failure(model({ maxRetries: 2 }).complete({ persona: juno, instructions: 'Post' }));
    expectCode(err, 'RATE_LIMITED', true);
    expect(err.details).toEqual({ status: 429, retryAfterMs: 20 });
    expect(server.requests).toHaveLength(3);
  });

  it('recovers transparently when a retry succeeds', async () => {
    server.respondWith({ status: 500, headers: { 'retry-after-ms': '10' } }, { content: 'Second time lucky.' });
    const res = await model().complete({ persona: juno, instructions: 'Post' });
    expect(res.text).toBe('Second time lucky.');
    expect(server.requests).toHaveLength(2);
  });

  it('reports a server that keeps failing as UNAVAILABLE', async () => {
    server.respondWith({ status: 503, headers: { 'retry-after-ms': '10' } });
    const err = await failure(model({ maxRetries: 1 }).complete({ persona: juno, instructions: 'Post' }));
    expectCode(err, 'UNAVAILABLE', true);
    expect(err.details.status).toBe(503);
    expect(server.requests).toHaveLength(2);
  });

  it('reports a server that never answers as TIMEOUT', async () => {
    server.respondWith({ hang: true });
    const err = await failure(
      model({ timeoutMs: 200, maxRetries: 0 }).complete({ persona: juno, instructions: 'Post' }),
    );
    expectCode(err, 'TIMEOUT', true);
    expect(server.requests).toHaveLength(1);
  });

  it('reports a server that cannot be reached as UNAVAILABLE', async () => {
    const gone = await startFakeOpenAiServer();
    await gone.close();
    const llm = model({ baseUrl: gone.baseUrl, maxRetries: 0 });
    expectCode(await failure(llm.complete({ persona: juno, instructions: 'Post' })), 'UNAVAILABLE', true);
  });

  it('reports a refused request as REJECTED, not retried, without the API key in the error', async () => {
    server.respondWith({ status: 401, message: `Incorrect API key provided: ${API_KEY}` });
    const err = await failure(model().complete({ persona: juno, instructions: 'Post' }));
    expectCode(err, 'REJECTED', false);
    expect(err.details.status).toBe(401);
    expect(server.requests).toHaveLength(1);
    expect(err.message).toContain('Incorrect API key provided');
    expect(`${err.message} ${err.stack} ${JSON.stringify(err)}`).not.toContain(API_KEY);
    expect(JSON.stringify(model())).not.toContain(API_KEY);
  });
});
