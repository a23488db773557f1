// An external moderation model (production: OpenAI's moderation endpoint). Optional: the offline classifiers decide
// alone without it; when configured, its scores are merged into theirs (domain/moderation/external.ts says how).

/** Per-category scores in [0, 1], under the provider's own category names (OpenAI: "harassment/threatening", …). */
export interface ExternalModerationResult {
  provider: string;
  model: string;
  flagged: boolean;
  scores: Record<string, number>;
}

export interface ExternalModeration {
  /** Names the provider and model in decisions' version string, e.g. "openai/omni-moderation-latest". */
  readonly name: string;
  moderate(text: string): Promise<ExternalModerationResult>;
}

export type ModerationErrorCode = 'UNAVAILABLE' | 'TIMEOUT' | 'RATE_LIMITED' | 'BAD_RESPONSE' | 'REJECTED';

/** A failed external call. The pipeline records it and decides with the offline checks alone. */
export class ModerationError extends Error {
  override name = 'ModerationError';
  constructor(
    readonly code: ModerationErrorCode,
    message: string,
    readonly details: { status?: number } = {},
  ) {
    super(message);
  }
}
