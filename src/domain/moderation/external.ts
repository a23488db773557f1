// Merging an external moderation model (OpenAI's moderation endpoint) into the offline checks.
//
// The rule: each check the external model covers takes the HIGHER of the two scores — max(offline, external) — under
// the check's own threshold, with the external scores kept as evidence. Either side can flag; neither can clear a
// flag the other raised, so configuring the external model only adds recall. misinformation_check, the escalation
// rules other than medical_information and the sensitive topics stay offline-only (OpenAI does not score them).
// When the external call fails, the decision is made offline and says so in its reasons.
import type { ExternalModerationResult } from '../../platform/moderation/moderation.js';
import type { CheckName } from './model.js';

/** Which of the provider's categories feed which check (OpenAI's omni-moderation category names). */
export const EXTERNAL_CATEGORIES: Partial<Record<CheckName, readonly string[]>> = {
  toxicity_detection: ['harassment', 'harassment/threatening', 'violence'],
  hate_speech_detection: ['hate', 'hate/threatening'],
  explicit_content_detection: ['sexual', 'sexual/minors'],
  illegal_activity_detection: ['illicit', 'illicit/violent'],
  // self-harm content needs a person, not an automatic verdict: it escalates like medical information
  medical_information: ['self-harm', 'self-harm/intent', 'self-harm/instructions'],
};

export interface ExternalContribution {
  score: number;
  evidence: { provider: string; scores: Record<string, number> };
}

export function externalContribution(
  check: CheckName,
  result: ExternalModerationResult | undefined,
): ExternalContribution | undefined {
  const categories = EXTERNAL_CATEGORIES[check];
  if (!result || !categories) return undefined;
  const scores: Record<string, number> = {};
  let score = 0;
  for (const c of categories) {
    const s = result.scores[c];
    if (typeof s !== 'number' || !Number.isFinite(s)) continue;
    scores[c] = Math.round(s * 10_000) / 10_000;
    score = Math.max(score, s);
  }
  if (Object.keys(scores).length === 0) return undefined;
  return { score, evidence: { provider: `${result.provider}/${result.model}`, scores } };
}

/** The merge rule: the higher score wins. */
export const mergeScores = (offline: number, external: number | undefined) =>
  external === undefined ? offline : Math.max(offline, external);
