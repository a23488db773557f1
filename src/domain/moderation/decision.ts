// From checks to a decision: the category (prohibited beats sensitive beats safe), the subcategories found, the
// action (prohibited → reject, the spec's auto_reject; any human_review trigger → review; else allow), how confident
// the checks are, and one reason per flagged check.
import { ESCALATION_CHECKS, PROHIBITED_CHECKS } from './content-checks.js';
import {
  type CheckName,
  type ContentCategory,
  categoryOf,
  type ModerationAction,
  type ModerationCheck,
  type ModerationDecision,
  type ModerationStage,
  makeCheck,
  round,
  type Subcategory,
} from './model.js';
import { CERTAINTY_BAND, REVIEW_BELOW_CONFIDENCE, THRESHOLDS } from './thresholds.js';

const SUBCATEGORY_OF = new Map<CheckName, Subcategory>(
  [...Object.entries(PROHIBITED_CHECKS), ...Object.entries(ESCALATION_CHECKS)].map(
    ([sub, check]) => [check, sub as Subcategory] as const,
  ),
);

export const subcategoryOfCheck = (name: CheckName) => SUBCATEGORY_OF.get(name);

/** The checks whose score comes from the classifiers (their certainty is the decision's confidence). */
const CLASSIFIED = new Set<CheckName>([
  ...Object.values(PROHIBITED_CHECKS),
  ...Object.values(ESCALATION_CHECKS),
  'sensitive_topic_detected',
]);

/** 0 at the threshold, 1 from CERTAINTY_BAND of the way to the end of the scale (0 or 1) on. */
export function certainty(check: Pick<ModerationCheck, 'score' | 'threshold'>): number {
  const { score, threshold } = check;
  const room = (score >= threshold ? 1 - threshold : threshold) * CERTAINTY_BAND;
  return room <= 0 ? 1 : Math.min(1, Math.abs(score - threshold) / room);
}

/**
 * How sure the classifiers are of the category, 0.5 … 1: when something prohibited was found, the certainty of the
 * surest prohibited flag; otherwise the certainty of the check nearest its threshold (one borderline check is
 * enough to doubt a "safe" or "sensitive").
 */
export function classifierConfidence(checks: readonly ModerationCheck[]): number {
  const classified = checks.filter((c) => CLASSIFIED.has(c.name));
  if (classified.length === 0) return 1;
  const prohibited = classified.filter((c) => {
    const sub = SUBCATEGORY_OF.get(c.name);
    return c.flagged && sub !== undefined && categoryOf(sub) === 'prohibited';
  });
  const c = prohibited.length ? Math.max(...prohibited.map(certainty)) : Math.min(...classified.map(certainty));
  return round(0.5 + 0.5 * c);
}

/** The spec's trigger "confidence_score < 0.7": scored 1 − confidence against 1 − 0.7. */
export function lowConfidenceCheck(moderation: number, content: number | undefined): ModerationCheck {
  const confidence = Math.min(moderation, content ?? 1);
  const stats: Record<string, number> = { moderationConfidence: moderation, reviewBelow: REVIEW_BELOW_CONFIDENCE };
  if (content !== undefined) stats.contentConfidence = content;
  const check = makeCheck('low_confidence', 'human_review', 1 - confidence, THRESHOLDS.low_confidence, { stats });
  // The trigger is strict (confidence exactly 0.7 does not need a person), and decided on the confidence itself:
  // 1 − 0.7 is 0.30000000000000004 in floating point, and the score is rounded, so score ≥ threshold would also
  // flag 0.7 and anything that rounds onto 0.3 (found by test/fuzz/properties/moderation.test.ts).
  return { ...check, flagged: confidence < REVIEW_BELOW_CONFIDENCE };
}

/** The sensitive subcategories a flagged check stands for (escalation rules; the topics above their threshold). */
function sensitiveOf(check: ModerationCheck): Subcategory[] {
  if (!check.flagged) return [];
  if (check.name === 'sensitive_topic_detected' || check.name === 'sensitivity_scanning') {
    return (check.evidence.labels ?? [])
      .filter((l) => l.score >= check.threshold && categoryOf(l.label) === 'sensitive')
      .map((l) => l.label);
  }
  const sub = SUBCATEGORY_OF.get(check.name);
  return sub && categoryOf(sub) === 'sensitive' ? [sub] : [];
}

function prohibitedOf(check: ModerationCheck): Subcategory[] {
  if (!check.flagged) return [];
  if (check.name === 'content_guidelines') {
    return (check.evidence.labels ?? []).filter((l) => l.score >= check.threshold).map((l) => l.label);
  }
  const sub = SUBCATEGORY_OF.get(check.name);
  return sub && categoryOf(sub) === 'prohibited' ? [sub] : [];
}

export function categorise(checks: readonly ModerationCheck[]): {
  category: ContentCategory;
  subcategories: Subcategory[];
} {
  const prohibited = [...new Set(checks.flatMap(prohibitedOf))];
  if (prohibited.length) return { category: 'prohibited', subcategories: prohibited };
  const sensitive = [...new Set(checks.flatMap(sensitiveOf))];
  if (sensitive.length) return { category: 'sensitive', subcategories: sensitive };
  return { category: 'safe', subcategories: [] };
}

export function reasonFor(check: ModerationCheck): string {
  const detail = [
    ...(check.evidence.labels ?? []).filter((l) => l.score >= check.threshold).map((l) => l.label),
    ...(check.evidence.terms ?? []).map((t) => `"${t.term}"`),
    ...(check.evidence.matches ?? []).slice(0, 1).map((m) => `near-duplicate of ${m.ref}`),
  ];
  const nearest = check.evidence.nearest?.[0];
  if (detail.length === 0 && nearest) detail.push(`close to "${nearest.text}"`);
  return `${check.name} ${check.score} ≥ ${check.threshold}${detail.length ? `: ${detail.join(', ')}` : ''}`;
}

export interface DecisionParts {
  stage: ModerationStage;
  checks: ModerationCheck[];
  category: ContentCategory;
  subcategories: Subcategory[];
  action: ModerationAction;
  confidence: number;
  notes?: string[];
  decidedAt: Date;
  version: string;
}

export function assemble(parts: DecisionParts): ModerationDecision {
  return {
    stage: parts.stage,
    category: parts.category,
    subcategories: parts.subcategories,
    action: parts.action,
    confidence: round(parts.confidence),
    reasons: [...parts.checks.filter((c) => c.flagged).map(reasonFor), ...(parts.notes ?? [])],
    checks: parts.checks,
    decidedAt: parts.decidedAt.toISOString(),
    version: parts.version,
  };
}
