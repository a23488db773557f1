// The production LanguageModel: the openai SDK against any OpenAI-compatible chat-completions server (OpenAI, Azure,
// Ollama, vLLM, llama.cpp server). The SDK retries 408/409/429/5xx and timeouts (maxRetries); what still fails
// becomes an LlmError with a code callers can act on. The API key never appears in an error or a log line.
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { ZodType } from 'zod';
import {
  type Completion,
  type Critique,
  critiqueBodySchema,
  type LanguageModel,
  LlmError,
  maxLengthOf,
  maxStepsOf,
  type Plan,
  planBodySchema,
  type ResultMetadata,
  type Usage,
} from './llm.js';
import { type ChatMessage, completionMessages, critiqueMessages, planMessages } from './persona-prompt.js';
import { fitToLength } from './text.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** Sent when no key is configured: local servers (Ollama, vLLM, llama.cpp) accept any bearer token. */
export const PLACEHOLDER_API_KEY = 'sk-no-key-required';

export interface OpenAiProviderOptions {
  apiKey?: string | undefined;
  baseUrl?: string | undefined;
  model: string;
  timeoutMs: number;
  maxRetries: number;
}

interface ChatResult {
  content: string;
  model: string;
  usage?: Usage;
  latencyMs: number;
}

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms)) return ms;
  const seconds = Number.parseFloat(headers?.get('retry-after') ?? '');
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

function toLlmError(err: unknown, redact: (s: string) => string): LlmError {
  if (err instanceof LlmError) return err;
  if (err instanceof APIConnectionTimeoutError)
    return new LlmError('TIMEOUT', 'The language model did not answer in time.');
  if (err instanceof APIConnectionError) {
    return new LlmError('UNAVAILABLE', `Could not reach the language model: ${redact(err.message)}`);
  }
  if (err instanceof APIError) {
    const status = err.status;
    const message = `The language model server answered ${status ?? 'with an error'}: ${redact(err.message)}`;
    if (status === 429) {
      return new LlmError('RATE_LIMITED', message, { status, retryAfterMs: retryAfterMs(err.headers) });
    }
    if (status === 408) return new LlmError('TIMEOUT', message, { status });
    if (status === undefined || status === 409 || status >= 500)
      return new LlmError('UNAVAILABLE', message, { status });
    return new LlmError('REJECTED', message, { status });
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new LlmError('BAD_RESPONSE', `Unreadable answer from the language model: ${redact(detail)}`);
}

/** Parses a JSON object from a model's answer, tolerating a Markdown code fence around it. */
function parseJsonAnswer<T>(content: string, schema: ZodType<T>, what: string): T {
  const unfenced = content
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '');
  let value: unknown;
  try {
    value = JSON.parse(unfenced);
  } catch {
    throw new LlmError('BAD_RESPONSE', `The ${what} from the language model is not valid JSON.`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new LlmError('BAD_RESPONSE', `The ${what} from the language model is invalid: ${issues}`);
  }
  return parsed.data;
}

/** Removes the one pair of quotes a model sometimes wraps a post in. */
function unquote(text: string): string {
  const t = text.trim();
  for (const [open, close] of [
    ['"', '"'],
    ['“', '”'],
  ] as const) {
    const inner = t.slice(1, -1);
    if (t.length >= 2 && t.startsWith(open) && t.endsWith(close) && !inner.includes(open) && !inner.includes(close)) {
      return inner.trim();
    }
  }
  return t;
}

export function createOpenAiLanguageModel(options: OpenAiProviderOptions): LanguageModel {
  const apiKey = options.apiKey || PLACEHOLDER_API_KEY;
  const redact = (s: string) => (options.apiKey ? s.split(options.apiKey).join('[redacted]') : s);
  const client = new OpenAI({
    apiKey,
    baseURL: options.baseUrl || OPENAI_DEFAULT_BASE_URL,
    // Explicit, so the SDK does not read the environment itself (config.ts is the one place that does).
    organization: null,
    project: null,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
  });
  const model = options.model;

  async function chat(
    messages: ChatMessage[],
    extra: { json?: boolean; temperature?: number | undefined; seed?: number | undefined },
  ): Promise<ChatResult> {
    const started = performance.now();
    try {
      const res = await client.chat.completions.create({
        model,
        messages,
        ...(extra.json ? { response_format: { type: 'json_object' as const } } : {}),
        ...(extra.temperature !== undefined ? { temperature: extra.temperature } : {}),
        ...(extra.seed !== undefined ? { seed: extra.seed } : {}),
      });
      const content = res?.choices?.[0]?.message?.content;
      if (typeof content !== 'string' || content.trim() === '') {
        throw new LlmError('BAD_RESPONSE', 'The language model returned no content.');
      }
      const usage = res.usage
        ? {
            promptTokens: res.usage.prompt_tokens,
            completionTokens: res.usage.completion_tokens,
            totalTokens: res.usage.total_tokens,
          }
        : undefined;
      return { content, model: res.model || model, usage, latencyMs: Math.round(performance.now() - started) };
    } catch (err) {
      throw toLlmError(err, redact);
    }
  }

  function metadata(r: ChatResult, extra: Partial<ResultMetadata> = {}): ResultMetadata {
    return {
      provider: 'openai',
      model: r.model,
      offline: false,
      latencyMs: r.latencyMs,
      ...(r.usage ? { usage: r.usage } : {}),
      ...extra,
    };
  }

  return {
    provider: 'openai',
    model,
    async complete(req): Promise<Completion> {
      const r = await chat(completionMessages(req), { temperature: req.temperature, seed: req.seed });
      const fitted = fitToLength(unquote(r.content), maxLengthOf(req));
      return {
        text: fitted.text,
        metadata: metadata(r, {
          ...(req.seed !== undefined ? { seed: req.seed } : {}),
          ...(fitted.truncated ? { truncated: true } : {}),
        }),
      };
    },
    async plan(req): Promise<Plan> {
      const r = await chat(planMessages(req), { json: true });
      const body = parseJsonAnswer(r.content, planBodySchema, 'plan');
      const maxSteps = maxStepsOf(req);
      if (body.steps.length > maxSteps) {
        throw new LlmError(
          'BAD_RESPONSE',
          `The plan has ${body.steps.length} steps; at most ${maxSteps} were asked for.`,
        );
      }
      return { steps: body.steps, rationale: body.rationale, metadata: metadata(r) };
    },
    async critique(req): Promise<Critique> {
      const r = await chat(critiqueMessages(req), { json: true });
      const body = parseJsonAnswer(r.content, critiqueBodySchema, 'critique');
      return { ...body, metadata: metadata(r) };
    },
  };
}
