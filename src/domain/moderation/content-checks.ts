// The checks that read a text: the ai_review detectors (one per prohibited subcategory, plus copyright) and the
// human_review triggers that depend on what the text is about (the escalation rules and the sensitive topics).
// Pure: the caller has already embedded the text, classified it, matched the word lists and asked the external model.
import type { ExternalModerationResult } from '../../platform/moderation/moderation.js';
import type { ClassifierLabel } from './examples.js';
import { externalContribution, mergeScores } from './external.js';
import type { LabelScore } from './few-shot.js';
import { type LexicalHit, strongest } from './hits.js';
import {
  type CheckEvidence,
  type CheckName,
  type EscalationRule,
  type ModerationCheck,
  type ModerationStage,
  makeCheck,
  type ProhibitedSubcategory,
  round,
  SENSITIVE_TOPICS,
  type Subcategory,
} from './model.js';
import { THRESHOLDS } from './thresholds.js';

/** The ai_review check that detects each prohibited subcategory. */
export const PROHIBITED_CHECKS: Readonly<Record<ProhibitedSubcategory, CheckName>> = {
  harassment: 'toxicity_detection',
  hate_speech: 'hate_speech_detection',
  explicit_content: 'explicit_content_detection',
  illegal_activities: 'illegal_activity_detection',
  misinformation: 'misinformation_check',
};

export const ESCALATION_CHECKS: Readonly<Record<EscalationRule, CheckName>> = {
  financial_advice: 'financial_advice',
  medical_information: 'medical_information',
  political_content: 'political_content',
  legal_advice: 'legal_advice',
};

export interface TextSignals {
  /** The few-shot classifier's score for every label but safe. */
  labels: ReadonlyMap<ClassifierLabel, LabelScore<ClassifierLabel>>;
  hits: readonly LexicalHit[];
  external?: ExternalModerationResult | undefined;
}

/**
 * A word-list weight w and a classifier score c make one score: max(w, 1 − (1 − c)(1 − w·min(1, 2c))). A strong
 * hit (a slur, "fake IDs") decides alone; a weak hint ("uncensored", "do your own research") only tips a classifier
 * that already leans that way — it adds to c in proportion to c, and nothing to a text the classifier finds harmless.
 */
export function combine(classifier: number, word: number): number {
  if (word <= 0) return classifier;
  return Math.max(word, 1 - (1 - classifier) * (1 - word * Math.min(1, 2 * classifier)));
}

function evidenceFor(label: ClassifierLabel, signals: TextSignals): CheckEvidence {
  const evidence: CheckEvidence = {};
  const terms = signals.hits.filter((h) => h.signal === label).map((h) => ({ term: h.term, signal: h.signal }));
  if (terms.length) evidence.terms = terms;
  const scored = signals.labels.get(label);
  if (scored) {
    evidence.nearest = scored.nearest;
    evidence.margin = round(scored.margin);
  }
  return evidence;
}

function labelCheck(
  name: CheckName,
  stage: ModerationStage,
  label: ClassifierLabel & Subcategory,
  signals: TextSignals,
): ModerationCheck {
  const classifier = signals.labels.get(label)?.score ?? 0;
  const offline = combine(classifier, strongest(signals.hits, label));
  const evidence = evidenceFor(label, signals);
  const external = externalContribution(name, signals.external);
  if (external) evidence.external = external.evidence;
  return makeCheck(name, stage, mergeScores(offline, external?.score), THRESHOLDS[name], evidence);
}

/** toxicity, hate speech, explicit content, illegal activities, misinformation (copyright is separate: async). */
export function prohibitedChecks(signals: TextSignals, stage: ModerationStage = 'ai_review'): ModerationCheck[] {
  return (Object.entries(PROHIBITED_CHECKS) as [ProhibitedSubcategory, CheckName][]).map(([label, name]) =>
    labelCheck(name, stage, label, signals),
  );
}

/** financial_advice, medical_information, political_content, legal_advice. */
export function escalationChecks(signals: TextSignals): ModerationCheck[] {
  return (Object.entries(ESCALATION_CHECKS) as [EscalationRule, CheckName][]).map(([label, name]) =>
    labelCheck(name, 'human_review', label, signals),
  );
}

/** political_discussion, religious_content, social_issues: one trigger, the strongest topic's score. */
export function sensitiveTopicCheck(signals: TextSignals): ModerationCheck {
  const threshold = THRESHOLDS.sensitive_topic_detected;
  const topics = SENSITIVE_TOPICS.map((label) => ({ label, scored: signals.labels.get(label) }));
  const best = topics.reduce((a, b) => ((b.scored?.score ?? 0) > (a.scored?.score ?? 0) ? b : a));
  const evidence: CheckEvidence = {
    labels: topics.map((t) => ({ label: t.label, score: round(t.scored?.score ?? 0) })),
  };
  if (best.scored) {
    evidence.nearest = best.scored.nearest;
    evidence.margin = round(best.scored.margin);
  }
  return makeCheck('sensitive_topic_detected', 'human_review', best.scored?.score ?? 0, threshold, evidence);
}

/** copyright_violation: the nearest known content, by cosine similarity (1 = the same text). */
export function copyrightCheck(matches: readonly { score: number; ref: string }[] | undefined): ModerationCheck {
  const threshold = THRESHOLDS.copyright_violation;
  if (matches === undefined) {
    return makeCheck('copyright_violation', 'ai_review', 0, threshold, {
      notes: ['no index of known content is configured'],
    });
  }
  const top = [...matches]
    .filter((m) => Number.isFinite(m.score))
    .sort((a, b) => b.score - a.score || a.ref.localeCompare(b.ref))
    .slice(0, 3)
    .map((m) => ({ ref: m.ref, score: round(m.score) }));
  return makeCheck('copyright_violation', 'ai_review', top[0]?.score ?? 0, threshold, { matches: top });
}

/** high_risk_content_type: 1 for the listed types (video, audio, transactions, sponsored posts), else 0. */
export function contentTypeCheck(contentType: string | undefined, highRisk: readonly string[]): ModerationCheck {
  const type = contentType?.trim().toLowerCase();
  const risky = type !== undefined && highRisk.includes(type);
  return makeCheck('high_risk_content_type', 'human_review', risky ? 1 : 0, THRESHOLDS.high_risk_content_type, {
    notes: [type ? `content type: ${type}` : 'no content type given'],
  });
}
