// The moderation vocabulary: the spec's stages, checks and content categories (technical spec, "Content Moderation
// Pipeline"), and the plain-JSON decision every stage returns. A decision is stored in content.metadata and shown
// through GraphQL, so it holds only strings, numbers, booleans, arrays and plain objects.

export const MODERATION_STAGES = ['pre_generation', 'ai_review', 'human_review', 'post_publication'] as const;
export type ModerationStage = (typeof MODERATION_STAGES)[number];

export const CONTENT_CATEGORIES = ['safe', 'sensitive', 'prohibited'] as const;
export type ContentCategory = (typeof CONTENT_CATEGORIES)[number];

/** safe: the spec's three kinds of harmless content (evaluation labels; the pipeline does not assign them). */
export const SAFE_SUBCATEGORIES = ['general_information', 'entertainment', 'educational_content'] as const;
/** sensitive, requires_review: the spec's sensitive topics. */
export const SENSITIVE_TOPICS = ['political_discussion', 'religious_content', 'social_issues'] as const;
/** sensitive too: the spec's human_review escalation rules. */
export const ESCALATION_RULES = [
  'financial_advice',
  'medical_information',
  'political_content',
  'legal_advice',
] as const;
/**
 * prohibited, auto_reject: the spec's four, plus harassment (threats and targeted insults). The spec's ai_review runs
 * toxicity_detection but its category list has nowhere to put what that check finds; harassment is that place.
 */
export const PROHIBITED_SUBCATEGORIES = [
  'hate_speech',
  'illegal_activities',
  'explicit_content',
  'misinformation',
  'harassment',
] as const;

export type SafeSubcategory = (typeof SAFE_SUBCATEGORIES)[number];
export type SensitiveTopic = (typeof SENSITIVE_TOPICS)[number];
export type EscalationRule = (typeof ESCALATION_RULES)[number];
export type ProhibitedSubcategory = (typeof PROHIBITED_SUBCATEGORIES)[number];
export type SensitiveSubcategory = SensitiveTopic | EscalationRule;
export type Subcategory = SafeSubcategory | SensitiveSubcategory | ProhibitedSubcategory;

export const SENSITIVE_SUBCATEGORIES: readonly SensitiveSubcategory[] = [...SENSITIVE_TOPICS, ...ESCALATION_RULES];

export function categoryOf(subcategory: Subcategory): ContentCategory {
  if ((PROHIBITED_SUBCATEGORIES as readonly string[]).includes(subcategory)) return 'prohibited';
  if ((SENSITIVE_SUBCATEGORIES as readonly string[]).includes(subcategory)) return 'sensitive';
  return 'safe';
}

/** Every check the pipeline runs, by stage. */
export const CHECKS = {
  pre_generation: ['persona_compliance', 'content_guidelines', 'sensitivity_scanning'],
  ai_review: [
    'toxicity_detection',
    'hate_speech_detection',
    'explicit_content_detection',
    'illegal_activity_detection',
    'misinformation_check',
    'copyright_violation',
  ],
  human_review: [
    'low_confidence',
    'sensitive_topic_detected',
    'high_risk_content_type',
    'financial_advice',
    'medical_information',
    'political_content',
    'legal_advice',
  ],
  post_publication: ['user_feedback_analysis', 'engagement_anomaly_detection', 'automated_flagging'],
} as const satisfies Record<ModerationStage, readonly string[]>;

export type CheckName = (typeof CHECKS)[ModerationStage][number];

/** A labelled example the classifier found close to the text. */
export interface NearestExample {
  label: string;
  text: string;
  similarity: number;
}

/** Why a check scored what it did. Only the fields that apply are present (never `undefined`). */
export interface CheckEvidence {
  /** Words or phrases matched by a word list or a pattern, with what they signal. */
  terms?: { term: string; signal: string }[];
  /** The nearest labelled training examples of the check's label, and the nearest safe one. */
  nearest?: NearestExample[];
  /** Mean similarity to the label's 3 nearest examples minus the mean similarity to the 5 nearest safe ones. */
  margin?: number;
  /** Subcategories the check found, each with its own score. */
  labels?: { label: Subcategory; score: number }[];
  /** Near-duplicates of known content (copyright_violation). */
  matches?: { ref: string; score: number }[];
  /** Scores of an external moderation model merged into this check. */
  external?: { provider: string; scores: Record<string, number> };
  /** Measurements behind a statistical check (post_publication). */
  stats?: Record<string, number>;
  notes?: string[];
}

export interface ModerationCheck {
  name: CheckName;
  stage: ModerationStage;
  /** 0 … 1: 1 = certainly violating (or certainly sensitive, or certainly anomalous). */
  score: number;
  /** flagged = score ≥ threshold. */
  threshold: number;
  flagged: boolean;
  evidence: CheckEvidence;
}

/** allow: go ahead; review: a person decides (human_review); reject: never publish (auto_reject). */
export type ModerationAction = 'allow' | 'review' | 'reject';

export interface ModerationDecision {
  stage: ModerationStage;
  category: ContentCategory;
  /** The prohibited or sensitive subcategories found (empty for safe). */
  subcategories: Subcategory[];
  action: ModerationAction;
  /** How sure the checks are of the category: 0.5 at a threshold, 1 far from every threshold. */
  confidence: number;
  /** One line per flagged check, for reviewers and for the Worker's feedback. */
  reasons: string[];
  checks: ModerationCheck[];
  decidedAt: string;
  version: string;
}

/** Scores are stored rounded: 4 decimals keep decisions readable and stable across runs. */
export const round = (x: number, digits = 4) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

export function makeCheck(
  name: CheckName,
  stage: ModerationStage,
  score: number,
  threshold: number,
  evidence: CheckEvidence = {},
): ModerationCheck {
  const s = round(clamp01(score));
  return { name, stage, score: s, threshold, flagged: s >= threshold, evidence };
}
