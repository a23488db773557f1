// Reading back what the pipeline and the Judge stored on a piece of content (content.metadata): the decision of each
// moderation stage (metadata.moderation.<stage>) and the Judge's confidence breakdown (metadata.confidence). Stored
// JSON is read defensively: a malformed entry reads as absent, never as a different decision.
import { z } from 'zod';
import {
  CHECKS,
  CONTENT_CATEGORIES,
  type ContentCategory,
  MODERATION_STAGES,
  PROHIBITED_SUBCATEGORIES,
  SAFE_SUBCATEGORIES,
  SENSITIVE_SUBCATEGORIES,
} from './model.js';

export const CHECK_NAMES = Object.values(CHECKS).flat();
export const SUBCATEGORIES = [...SAFE_SUBCATEGORIES, ...SENSITIVE_SUBCATEGORIES, ...PROHIBITED_SUBCATEGORIES];
export const MODERATION_ACTIONS = ['allow', 'review', 'reject'] as const;

const checkSchema = z.object({
  name: z.enum(CHECK_NAMES),
  stage: z.enum(MODERATION_STAGES),
  score: z.number(),
  threshold: z.number(),
  flagged: z.boolean(),
  evidence: z.record(z.string(), z.unknown()).default({}),
});

const decisionSchema = z.object({
  stage: z.enum(MODERATION_STAGES),
  category: z.enum(CONTENT_CATEGORIES),
  subcategories: z.array(z.enum(SUBCATEGORIES)),
  action: z.enum(MODERATION_ACTIONS),
  confidence: z.number(),
  reasons: z.array(z.string()),
  checks: z.array(checkSchema),
  decidedAt: z.string(),
  version: z.string(),
});

export type StoredDecision = z.output<typeof decisionSchema>;

/** The moderation decisions a piece of content carries, by stage. */
export interface StoredModeration {
  /** The content's category as the permission rule reads it (metadata.sensitivity); safe when absent. */
  category: ContentCategory;
  pre_generation: StoredDecision | null;
  ai_review: StoredDecision | null;
  post_publication: StoredDecision | null;
}

const objectOf = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

const decisionOf = (v: unknown): StoredDecision | null => {
  const parsed = decisionSchema.safeParse(v);
  return parsed.success ? parsed.data : null;
};

export function storedModeration(metadata: unknown): StoredModeration | null {
  const meta = objectOf(metadata);
  const stages = objectOf(meta.moderation);
  const category = CONTENT_CATEGORIES.find((c) => c === meta.sensitivity) ?? 'safe';
  const found: StoredModeration = {
    category,
    pre_generation: decisionOf(stages.pre_generation),
    ai_review: decisionOf(stages.ai_review),
    post_publication: decisionOf(stages.post_publication),
  };
  return found.pre_generation || found.ai_review || found.post_publication || meta.sensitivity ? found : null;
}

const confidenceSchema = z.object({
  confidence: z.number(),
  personaConsistency: z.number(),
  safety: z.number(),
  selfAssessment: z.number(),
  weights: z.object({ personaConsistency: z.number(), safety: z.number(), selfAssessment: z.number() }),
  persona: z
    .object({
      profileSimilarity: z.number(),
      pastSimilarity: z.number().nullable(),
      avoidedWords: z.array(z.string()),
    })
    .nullable()
    .default(null),
  selfAssessedBy: z.string().nullable().default(null),
});

export type StoredConfidence = z.output<typeof confidenceSchema>;

/** The Judge's confidence breakdown of the content (metadata.confidence), or null before it was judged. */
export function storedConfidence(metadata: unknown): StoredConfidence | null {
  const parsed = confidenceSchema.safeParse(objectOf(metadata).confidence);
  return parsed.success ? parsed.data : null;
}
