// The Judge's confidence: measured signals combined with documented weights (docs/moderation.md#confidence).
//   persona consistency 0.4 — how close the draft is, in meaning, to the persona's voice (its name, backstory, voice,
//                             signature phrases and beliefs) and to the agent's past approved content; halved when it
//                             uses a word the persona avoids
//   safety              0.3 — distance of the draft from the ai_review thresholds (toxicity, hate, explicit, illegal,
//                             misinformation, copyright): 1 up to half a threshold, 0 at it
//   self-assessment     0.3 — the language model's critique score of its own draft (the offline composer's heuristic
//                             critique when no model is configured; the result says which)
// The content's confidence_score is this number, rounded to two decimals.
import type { Embedder } from '../../platform/embeddings/embeddings.js';
import { cosine } from '../../platform/embeddings/embeddings.js';
import type { LlmPersona } from '../../platform/llm/llm.js';
import type { MemoryService } from '../memory/memory.service.js';
import type { ModerationDecision } from '../moderation/model.js';

export const CONFIDENCE_WEIGHTS = { personaConsistency: 0.4, safety: 0.3, selfAssessment: 0.3 } as const;

/**
 * Cosine similarities mapped onto 0..1. The offline embeddings put an in-voice draft at 0.25–0.6 from the persona's
 * profile and text on unrelated matters at 0–0.1; posts of the same agent at 0.35–0.9 from each other.
 */
export const PROFILE_SIMILARITY = { floor: 0.05, full: 0.3 } as const;
export const PAST_SIMILARITY = { floor: 0.1, full: 0.4 } as const;

const scale = (c: number, r: { floor: number; full: number }) =>
  Math.min(1, Math.max(0, (c - r.floor) / (r.full - r.floor)));
const round2 = (x: number) => Math.round(x * 100) / 100;

/** The persona as one text: what its drafts should sound like. */
export function personaProfile(p: LlmPersona): string {
  return [
    p.name,
    p.backstory ?? '',
    p.voiceTone.descriptors.join(', '),
    ...p.voiceTone.signaturePhrases,
    ...p.beliefs.map((b) => b.statement),
  ]
    .filter(Boolean)
    .join('. ');
}

export interface PersonaConsistency {
  score: number;
  /** Similarity to the persona's profile (raw cosine). */
  profileSimilarity: number;
  /** Mean similarity to the agent's nearest approved posts (raw cosine); null when it has none yet. */
  pastSimilarity: number | null;
  avoidedWords: string[];
}

export async function personaConsistency(
  deps: { embedder: Embedder; memory?: MemoryService },
  input: { agentId: string; persona: LlmPersona; text: string; excludeContentId?: string },
): Promise<PersonaConsistency> {
  const [draft, profile] = await deps.embedder.embed([input.text, personaProfile(input.persona)]);
  const profileSimilarity = cosine(draft ?? [], profile ?? []);
  let pastSimilarity: number | null = null;
  if (deps.memory) {
    const past = await deps.memory
      .similarContent(
        input.text,
        { agentId: input.agentId, excludeContentIds: input.excludeContentId ? [input.excludeContentId] : [] },
        3,
      )
      .catch(() => []);
    if (past.length > 0) pastSimilarity = past.reduce((sum, h) => sum + h.score, 0) / past.length;
  }
  const lower = input.text.toLowerCase();
  const avoidedWords = input.persona.voiceTone.wordsToAvoid.filter((w) => lower.includes(w.toLowerCase()));
  const voice =
    pastSimilarity === null
      ? scale(profileSimilarity, PROFILE_SIMILARITY)
      : 0.5 * scale(profileSimilarity, PROFILE_SIMILARITY) + 0.5 * scale(pastSimilarity, PAST_SIMILARITY);
  return {
    score: round2(avoidedWords.length > 0 ? voice / 2 : voice),
    profileSimilarity: round2(profileSimilarity),
    pastSimilarity: pastSimilarity === null ? null : round2(pastSimilarity),
    avoidedWords,
  };
}

export interface ConfidenceBreakdown {
  confidence: number;
  personaConsistency: number;
  safety: number;
  selfAssessment: number;
  weights: typeof CONFIDENCE_WEIGHTS;
}

/**
 * How far the draft stays from every ai_review threshold: 1 while each check scores at most half its threshold,
 * falling to 0 at the threshold (the worst check counts).
 */
export const safetyOf = (review: ModerationDecision) =>
  Math.min(
    1,
    ...review.checks
      .filter((c) => c.stage === 'ai_review')
      .map((c) => Math.min(1, Math.max(0, (c.threshold - c.score) / (c.threshold / 2)))),
  );

export function combineConfidence(signals: {
  personaConsistency: number;
  safety: number;
  selfAssessment: number;
}): ConfidenceBreakdown {
  const w = CONFIDENCE_WEIGHTS;
  const confidence =
    w.personaConsistency * signals.personaConsistency +
    w.safety * signals.safety +
    w.selfAssessment * signals.selfAssessment;
  return {
    confidence: round2(confidence),
    personaConsistency: round2(signals.personaConsistency),
    safety: round2(signals.safety),
    selfAssessment: round2(signals.selfAssessment),
    weights: w,
  };
}
