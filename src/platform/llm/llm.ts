// The language-model port: what the Planner, the Worker and the Judge may ask of a model, and what they get back.
// Two implementations: openai-provider.ts (any OpenAI-compatible server) and offline-composer.ts (deterministic,
// no network). This layer knows nothing of the domain: the persona arrives as plain data of the shape below.
import { z } from 'zod';

export type LlmProviderName = 'openai' | 'offline';

/** The task types a plan may contain (the tasks table's CHECK constraint). */
export const PLAN_TASK_TYPES = ['generate_content', 'reply_comment', 'execute_transaction', 'fetch_trends'] as const;
export type PlanTaskType = (typeof PLAN_TASK_TYPES)[number];
export const PLAN_PRIORITIES = ['high', 'medium', 'low'] as const;
export type PlanPriority = (typeof PLAN_PRIORITIES)[number];

/** Who is speaking: structurally the persona's stored documents (voice_tone, beliefs, directives). */
export interface LlmPersona {
  name: string;
  backstory?: string | null;
  voiceTone: {
    descriptors: readonly string[];
    /** 0 = casual, 1 = formal. */
    formality: number;
    emojiUsage: 'none' | 'sparing' | 'frequent';
    signaturePhrases: readonly string[];
    wordsToAvoid: readonly string[];
  };
  beliefs: readonly { statement: string; topic: string | null; conviction: number }[];
  directives: readonly { kind: 'must' | 'must_not' | 'prefer'; text: string }[];
}

/** A snippet of context: a trend topic, a recalled memory, the comment being answered, a fact. */
export interface ContextItem {
  kind: 'trend' | 'memory' | 'comment' | 'fact';
  text: string;
}

export interface CompletionRequest {
  persona: LlmPersona;
  /** What to write: the goal or the task's instructions. */
  instructions: string;
  /** 'post' (default) or 'reply' (answering a comment given in context). */
  kind?: 'post' | 'reply';
  context?: readonly ContextItem[];
  /** Hard cap on the result's length, in UTF-16 code units (default 280). */
  maxLength?: number;
  temperature?: number;
  seed?: number;
}

export interface PlanRequest {
  persona: LlmPersona;
  goal: string;
  context?: readonly ContextItem[];
  /** At most this many steps (default 5, at most 10). */
  maxSteps?: number;
}

export interface CritiqueRequest {
  persona: LlmPersona;
  /** The draft under review. */
  content: string;
  /** What the draft was meant to achieve. */
  goal?: string;
  context?: readonly ContextItem[];
  maxLength?: number;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface ResultMetadata {
  provider: LlmProviderName;
  model: string;
  /** True when no language model wrote this (the offline composer). */
  offline: boolean;
  /** Human-readable provenance; always set by the offline composer. */
  label?: string;
  latencyMs: number;
  usage?: Usage;
  seed?: number;
  /** The text was cut to respect maxLength. */
  truncated?: boolean;
}

export interface Completion {
  text: string;
  metadata: ResultMetadata;
}

export const planStepSchema = z.object({
  type: z.enum(PLAN_TASK_TYPES),
  description: z.string().trim().min(1).max(500),
  priority: z.enum(PLAN_PRIORITIES).default('medium'),
  /** Indices of earlier steps this one waits for. */
  dependsOn: z.array(z.number().int().min(0)).default([]),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

export const planBodySchema = z
  .object({
    steps: z.array(planStepSchema).min(1).max(10),
    rationale: z.string().trim().max(1000).default(''),
  })
  .superRefine((plan, ctx) => {
    plan.steps.forEach((step, i) => {
      for (const dep of step.dependsOn) {
        if (dep >= i) {
          ctx.addIssue({
            code: 'custom',
            path: ['steps', i, 'dependsOn'],
            message: `step ${i} may only depend on earlier steps (got ${dep})`,
          });
        }
      }
      if (new Set(step.dependsOn).size !== step.dependsOn.length) {
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'dependsOn'], message: 'duplicate dependency' });
      }
    });
  });

export type PlanStep = z.output<typeof planStepSchema>;

export interface Plan {
  /** A small DAG: every dependsOn index refers to an earlier step. */
  steps: PlanStep[];
  rationale: string;
  metadata: ResultMetadata;
}

export const critiqueBodySchema = z.object({
  /** 0 = unusable, 1 = publish as is. */
  score: z.number().min(0).max(1),
  summary: z.string().trim().max(1000).default(''),
  issues: z.array(z.string().trim().min(1).max(500)).max(20).default([]),
});

export interface Critique {
  score: number;
  summary: string;
  issues: string[];
  metadata: ResultMetadata;
}

export interface LanguageModel {
  readonly provider: LlmProviderName;
  readonly model: string;
  /** Persona-voiced text (a post, a reply). */
  complete(req: CompletionRequest): Promise<Completion>;
  /** A small plan of tasks for a goal. */
  plan(req: PlanRequest): Promise<Plan>;
  /** A score and issues for a draft, judged against the persona. */
  critique(req: CritiqueRequest): Promise<Critique>;
}

/** What the configuration gives createLanguageModel (config.llm). */
export interface LlmSettings {
  provider: LlmProviderName;
  apiKey: string | undefined;
  baseUrl: string | undefined;
  model: string;
  timeoutMs: number;
  maxRetries: number;
}

export type LlmErrorCode = 'BAD_RESPONSE' | 'TIMEOUT' | 'UNAVAILABLE' | 'RATE_LIMITED' | 'REJECTED' | 'MISCONFIGURED';

const RETRYABLE: ReadonlySet<LlmErrorCode> = new Set(['BAD_RESPONSE', 'TIMEOUT', 'UNAVAILABLE', 'RATE_LIMITED']);

/**
 * Every failure of a provider. `retryable` says whether the same request may succeed later (a rate limit, a
 * timeout, a server error, an unusable answer); REJECTED (the server refused the request: bad key, unknown model)
 * and MISCONFIGURED are not. Messages never contain the API key.
 */
export class LlmError extends Error {
  override name = 'LlmError';
  readonly retryable: boolean;
  constructor(
    readonly code: LlmErrorCode,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.retryable = RETRYABLE.has(code);
  }
}

export const DEFAULT_MAX_LENGTH = 280;
export const DEFAULT_MAX_STEPS = 5;

export function maxLengthOf(req: { maxLength?: number }): number {
  return Math.max(Math.trunc(req.maxLength ?? DEFAULT_MAX_LENGTH), 1);
}

export function maxStepsOf(req: PlanRequest): number {
  return Math.min(Math.max(Math.trunc(req.maxSteps ?? DEFAULT_MAX_STEPS), 1), 10);
}
