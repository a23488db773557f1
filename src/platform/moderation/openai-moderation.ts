// The production ExternalModeration: OpenAI's moderation endpoint (POST /moderations) through the openai SDK, against
// api.openai.com or any server speaking the same protocol. The SDK retries 408/409/429/5xx and timeouts
// (maxRetries); what still fails becomes a ModerationError. The API key never appears in an error.
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { type ExternalModeration, type ExternalModerationResult, ModerationError } from './moderation.js';

export const OPENAI_MODERATION_DEFAULT_MODEL = 'omni-moderation-latest';
const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** Sent when no key is configured: local servers accept any bearer token. */
const PLACEHOLDER_API_KEY = 'sk-no-key-required';

export interface OpenAiModerationOptions {
  apiKey?: string | undefined;
  baseUrl?: string | undefined;
  model?: string | undefined;
  timeoutMs: number;
  maxRetries: number;
}

function toModerationError(err: unknown, redact: (s: string) => string): ModerationError {
  if (err instanceof ModerationError) return err;
  if (err instanceof APIConnectionTimeoutError) {
    return new ModerationError('TIMEOUT', 'The moderation model did not answer in time.');
  }
  if (err instanceof APIConnectionError) {
    return new ModerationError('UNAVAILABLE', `Could not reach the moderation model: ${redact(err.message)}`);
  }
  if (err instanceof APIError) {
    const status = err.status;
    const message = `The moderation server answered ${status ?? 'with an error'}: ${redact(err.message)}`;
    if (status === 429) return new ModerationError('RATE_LIMITED', message, { status });
    if (status === 408) return new ModerationError('TIMEOUT', message, { status });
    if (status === undefined || status === 409 || status >= 500) {
      return new ModerationError('UNAVAILABLE', message, status === undefined ? {} : { status });
    }
    return new ModerationError('REJECTED', message, { status });
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new ModerationError('BAD_RESPONSE', `Unreadable answer from the moderation model: ${redact(detail)}`);
}

export function createOpenAiModeration(options: OpenAiModerationOptions): ExternalModeration {
  const apiKey = options.apiKey || PLACEHOLDER_API_KEY;
  const redact = (s: string) => (options.apiKey ? s.replaceAll(options.apiKey, '[redacted]') : s);
  const model = options.model || OPENAI_MODERATION_DEFAULT_MODEL;
  const client = new OpenAI({
    apiKey,
    baseURL: options.baseUrl || DEFAULT_BASE_URL,
    organization: null,
    project: null,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
  });
  return {
    name: `openai/${model}`,
    async moderate(text): Promise<ExternalModerationResult> {
      try {
        const res = await client.moderations.create({ model, input: text });
        const result = res.results?.[0];
        if (!result || typeof result.category_scores !== 'object' || result.category_scores === null) {
          throw new ModerationError('BAD_RESPONSE', 'The moderation answer has no result for the text.');
        }
        const scores: Record<string, number> = {};
        for (const [category, score] of Object.entries(result.category_scores)) {
          if (typeof score === 'number' && Number.isFinite(score)) scores[category] = Math.min(1, Math.max(0, score));
        }
        return { provider: 'openai', model: res.model || model, flagged: result.flagged === true, scores };
      } catch (err) {
        throw toModerationError(err, redact);
      }
    },
  };
}
