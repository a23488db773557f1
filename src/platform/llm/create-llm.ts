// Picks the LanguageModel the configuration asks for (config.llm).
import { type LanguageModel, LlmError, type LlmSettings } from './llm.js';
import { createOfflineLanguageModel } from './offline-composer.js';
import { createOpenAiLanguageModel } from './openai-provider.js';

export function createLanguageModel(settings: LlmSettings): LanguageModel {
  if (settings.provider === 'offline') return createOfflineLanguageModel();
  if (!settings.apiKey && !settings.baseUrl) {
    throw new LlmError(
      'MISCONFIGURED',
      'LLM_PROVIDER=openai needs OPENAI_API_KEY (for api.openai.com) or OPENAI_BASE_URL (for a local server).',
    );
  }
  return createOpenAiLanguageModel(settings);
}
