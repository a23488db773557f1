// Every threshold the pipeline applies, in one place (docs/moderation.md explains how each was chosen). A check is
// flagged when its score ≥ its threshold. Classifier scores are logistic(margin / 0.02): 0.5 is a margin of 0 (as
// near the label's examples as the best rival's), 0.7 a margin of +0.017. The classifier thresholds were set with
// the evaluation set's aggregate numbers (npm run eval:moderation): 0.7 rather than 0.5 for the prohibited and the
// sensitive checks kept prohibited recall at 0.99 and cut the safe texts flagged from 21% to 13%.
import type { CheckName } from './model.js';

export const THRESHOLDS: Readonly<Record<CheckName, number>> = {
  // pre_generation (on the goal): the same cut-offs as the draft's checks; persona_compliance is 1 for an avoided
  // word, else the strongest directive conflict (0.5 = the goal is as close to what a directive forbids as 0.5 cosine)
  persona_compliance: 0.5,
  content_guidelines: 0.7,
  sensitivity_scanning: 0.7,
  // ai_review (on the draft)
  toxicity_detection: 0.7,
  hate_speech_detection: 0.7,
  explicit_content_detection: 0.7,
  illegal_activity_detection: 0.7,
  misinformation_check: 0.7,
  /** Cosine similarity to known content: light edits of a text score 0.91–0.99, paraphrases 0.72–0.86. */
  copyright_violation: 0.9,
  // human_review triggers
  low_confidence: 0.3,
  sensitive_topic_detected: 0.7,
  high_risk_content_type: 0.5,
  financial_advice: 0.7,
  medical_information: 0.7,
  political_content: 0.7,
  legal_advice: 0.7,
  // post_publication
  user_feedback_analysis: 0.5,
  engagement_anomaly_detection: 0.5,
  automated_flagging: 0.5,
};

/** The spec's human_review trigger: confidence below 0.7 (low_confidence scores 1 − confidence). */
export const REVIEW_BELOW_CONFIDENCE = 0.7;

/**
 * A check's certainty grows from 0 at its threshold to 1 at this fraction of the way to the end of the scale; the
 * decision's confidence is 0.5 + 0.5 × certainty. At 0.5, a check whose threshold is 0.7 makes the confidence fall
 * below 0.7 (a person looks) for scores in 0.56 … 0.76.
 */
export const CERTAINTY_BAND = 0.5;

/** Iglewicz & Hoaglin: a robust z-score (0.6745 · deviation / MAD) above 3.5 is an outlier. */
export const ANOMALY_Z = 3.5;
/** Engagement points needed before the latest one for anomaly detection to say anything. */
export const ANOMALY_MIN_HISTORY = 5;

/** automated_flagging: this many moderation flags in the caller's window (the spec: "multiple flags in short time"). */
export const FLAG_BURST = 3;

/** Content types whose output always goes to a person (synthetic voice and video of a persona; money moving). */
export const HIGH_RISK_CONTENT_TYPES: readonly string[] = [
  'video',
  'audio',
  'execute_transaction',
  'transaction',
  'sponsored',
];
