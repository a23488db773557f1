// config.llm from the environment, and createLanguageModel picking the provider it names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createLanguageModel } from '../../src/platform/llm/create-llm.js';
import { LlmError } from '../../src/platform/llm/llm.js';
import { type FakeOpenAiServer, startFakeOpenAiServer } from '../helpers/fake-openai-server.js';
import { juno } from './fixtures.js';

let server: FakeOpenAiServer;
beforeAll(async () => {
  server = await startFakeOpenAiServer();
});
afterAll(() => server.close());

describe('config.llm', () => {
  it('defaults to the offline composer when no key and no base URL are set', () => {
    expect(loadConfig({}).llm).toEqual({
      provider: 'offline',
      apiKey: undefined,
      baseUrl: undefined,
      model: 'gpt-4o-mini',
      timeoutMs: 30_000,
      maxRetries: 2,
    });
    expect(loadConfig({ OPENAI_API_KEY: '', OPENAI_BASE_URL: '' }).llm.provider).toBe('offline');
  });

  it('switches to openai when a key or a base URL is set, unless LLM_PROVIDER says otherwise', () => {
    expect(loadConfig({ OPENAI_API_KEY: 'sk-x' }).llm).toMatchObject({ provider: 'openai', apiKey: 'sk-x' });
    const local = loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', LLM_MODEL: 'llama3.1' }).llm;
    expect(local).toMatchObject({ provider: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3.1' });
    expect(loadConfig({ OPENAI_API_KEY: 'sk-x', LLM_PROVIDER: 'offline' }).llm.provider).toBe('offline');
    expect(loadConfig({ LLM_TIMEOUT_MS: '1500', LLM_MAX_RETRIES: '0' }).llm).toMatchObject({
      timeoutMs: 1500,
      maxRetries: 0,
    });
  });

  it('names bad values', () => {
    for (const [env, name] of [
      [{ LLM_PROVIDER: 'anthropic' }, 'LLM_PROVIDER'],
      [{ OPENAI_BASE_URL: 'not a url' }, 'OPENAI_BASE_URL'],
      [{ LLM_TIMEOUT_MS: 'soon' }, 'LLM_TIMEOUT_MS'],
      [{ LLM_MAX_RETRIES: '-1' }, 'LLM_MAX_RETRIES'],
    ] as const) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(name);
    }
  });
});

describe('createLanguageModel', () => {
  it('gives the offline composer for provider offline', async () => {
    const llm = createLanguageModel(loadConfig({}).llm);
    expect(llm.provider).toBe('offline');
    expect((await llm.complete({ persona: juno, instructions: 'Post' })).metadata.offline).toBe(true);
  });

  it('gives the openai provider, talking to the configured server with the configured model', async () => {
    const llm = createLanguageModel(loadConfig({ OPENAI_BASE_URL: server.baseUrl, LLM_MODEL: 'local-llama' }).llm);
    expect(llm).toMatchObject({ provider: 'openai', model: 'local-llama' });
    const res = await llm.complete({ persona: juno, instructions: 'Post' });
    expect(res.metadata).toMatchObject({ provider: 'openai', offline: false, model: 'local-llama' });
    expect(server.requests.at(-1)?.body?.model).toBe('local-llama');
  });

  it('refuses provider openai with neither a key nor a base URL', () => {
    const settings = loadConfig({ LLM_PROVIDER: 'openai' }).llm;
    expect(() => createLanguageModel(settings)).toThrow(LlmError);
    expect(() => createLanguageModel(settings)).toThrow(/OPENAI_API_KEY.*OPENAI_BASE_URL/);
  });
});
