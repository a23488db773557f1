// Picks the external moderation model the configuration asks for (config.moderation); none offline.
import type { ExternalModeration } from './moderation.js';
import { createOpenAiModeration } from './openai-moderation.js';

export interface ModerationSettings {
  provider: 'offline' | 'openai';
  model: string;
  apiKey?: string | undefined;
  baseUrl?: string | undefined;
  timeoutMs: number;
  maxRetries: number;
}

export function createExternalModeration(settings: ModerationSettings): ExternalModeration | undefined {
  return settings.provider === 'openai' ? createOpenAiModeration(settings) : undefined;
}
