// config.moderation from the environment, and the external model it turns on, wired into the running API's
// moderation pipeline over real HTTP (a local server speaking OpenAI's moderation protocol).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createExternalModeration } from '../../src/platform/moderation/create-moderation.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type FakeOpenAiServer, startFakeOpenAiServer } from '../helpers/fake-openai-server.js';

let server: FakeOpenAiServer;
let t: TestApp;
beforeAll(async () => {
  server = await startFakeOpenAiServer();
  t = await startTestApp({
    OPENAI_BASE_URL: server.baseUrl,
    LLM_PROVIDER: 'offline',
    EMBEDDINGS_PROVIDER: 'offline',
    MODERATION_MODEL: 'omni-moderation-test',
  });
}, 120_000);
let serverClosed = false;
afterAll(async () => {
  await t?.close();
  if (!serverClosed) await server?.close();
});

describe('config.moderation', () => {
  it('is offline by default, and OpenAI when a key or base URL is set, unless MODERATION_PROVIDER says otherwise', () => {
    expect(loadConfig({}).moderation).toMatchObject({ provider: 'offline', model: 'omni-moderation-latest' });
    expect(createExternalModeration(loadConfig({}).moderation)).toBeUndefined();
    expect(loadConfig({ OPENAI_API_KEY: 'sk-x' }).moderation).toMatchObject({ provider: 'openai', apiKey: 'sk-x' });
    expect(loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' }).moderation.provider).toBe('openai');
    expect(loadConfig({ OPENAI_API_KEY: 'sk-x', MODERATION_PROVIDER: 'offline' }).moderation.provider).toBe('offline');
    expect(loadConfig({ MODERATION_PROVIDER: '' }).moderation.provider).toBe('offline');
    expect(createExternalModeration(loadConfig({ OPENAI_API_KEY: 'sk-x' }).moderation)?.name).toBe(
      'openai/omni-moderation-latest',
    );
  });

  it('refuses a provider it cannot reach or does not know, naming the variable', () => {
    expect(() => loadConfig({ MODERATION_PROVIDER: 'openai' })).toThrow(ConfigError);
    expect(() => loadConfig({ MODERATION_PROVIDER: 'openai' })).toThrow(/MODERATION_PROVIDER/);
    expect(() => loadConfig({ MODERATION_PROVIDER: 'perspective' })).toThrow(/MODERATION_PROVIDER/);
  });
});

describe('the external model in the running pipeline', () => {
  it('is named in every decision and raises the checks it covers (the higher score wins)', async () => {
    expect(t.app.services.moderator.version).toContain('openai/omni-moderation-test');
    server.scoreModerationsWith({ 'harassment/threatening': 0.97, hate: 0.01 });
    const asked = server.moderationRequests.length;
    const decision = await t.app.services.moderator.review({ text: 'See you at the park on Saturday.' });
    expect(server.moderationRequests.length).toBe(asked + 1);
    expect(server.moderationRequests.at(-1)).toMatchObject({
      model: 'omni-moderation-test',
      input: 'See you at the park on Saturday.',
    });
    const toxicity = decision.checks.find((c) => c.name === 'toxicity_detection');
    expect(toxicity).toMatchObject({ score: 0.97, flagged: true });
    expect(toxicity?.evidence.external).toEqual({
      provider: 'openai/omni-moderation-test',
      scores: { 'harassment/threatening': 0.97 },
    });
    expect(decision).toMatchObject({ category: 'prohibited', action: 'reject' });
  });

  it('decides offline, and says so, when the external model fails', async () => {
    await server.close();
    serverClosed = true;
    const decision = await t.app.services.moderator.review({ text: 'See you at the park on Saturday.' });
    expect(decision.action).toBe('allow');
    expect(decision.reasons.join(' ')).toMatch(/external moderation \(openai\/omni-moderation-test\) unavailable/);
  });
});
