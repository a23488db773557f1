// pre_generation: checks on the goal (and its context) before anything is written.
//   persona_compliance    the goal uses a word the persona avoids, or asks for what one of its "never …" directives
//                         forbids (the directive's subject is read by the classifier: "Never give financial advice"
//                         reads as financial_advice, and a goal the classifier puts there conflicts with it)
//   content_guidelines    the goal asks for prohibited content (the ai_review detectors, run on the goal)
//   sensitivity_scanning  the goal touches a sensitive topic or an escalation rule: the draft will need a person
import type { ClassifierLabel } from './examples.js';
import {
  type CheckEvidence,
  categoryOf,
  type ModerationCheck,
  makeCheck,
  type NearestExample,
  round,
  type Subcategory,
} from './model.js';
import { THRESHOLDS } from './thresholds.js';

/**
 * The subject of a goal without its instruction frame: "Write a thread explaining that vaccines cause autism" →
 * "vaccines cause autism". The classifier's examples are posts, not instructions; the frame ("write a post",
 * "tell followers") would otherwise pull every goal towards the same few examples.
 */
export function goalSubject(goal: string): string {
  const m =
    /^\s*(?:please\s+)?(?:write|draft|create|compose|post|share|publish|tweet|make|prepare|tell|remind|ask|give)\b(?:\s+[\w'-]+){0,6}?\s+(?:(?:saying that|explaining that|claiming that|telling them that|telling them|about|on|that|saying|explaining|claiming|telling|to)\s+(.+)|((?:which|why|how|what)\s+.+))$/is.exec(
      goal,
    );
  const subject = (m?.[1] ?? m?.[2])?.trim();
  return subject && subject.split(/\s+/).length >= 2 ? subject : goal;
}

/** A persona directive: free text ("Never give financial advice"), or the stored shape ({ kind: 'must_not', text }). */
export type PersonaDirective = string | { kind: 'must' | 'must_not' | 'prefer'; text: string };

export interface PersonaRules {
  wordsToAvoid: readonly string[];
  directives: readonly PersonaDirective[];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The persona's words to avoid that the text uses (whole words, any case, with a plural -s). */
export function avoidedWords(text: string, words: readonly string[]): string[] {
  return words.filter((w) => {
    const word = w.trim();
    if (!word) return false;
    return new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegExp(word)}(s|es)?(?=$|[^\\p{L}\\p{N}])`, 'iu').test(text);
  });
}

const NEGATIVE =
  /^\s*(?:never|don'?t|do not|avoid|no|stay away from|refrain from|must not|should not|shouldn'?t)\s+(.+)$/i;

/**
 * What the persona must not do: "Never give financial advice" → "give financial advice"; a stored must_not directive
 * is its text. Positive directives ("always disclose sponsorships") can only be checked on the draft.
 */
export function negativeDirectives(directives: readonly PersonaDirective[]): { directive: string; subject: string }[] {
  return directives.flatMap((d) => {
    const directive = typeof d === 'string' ? d : d.text;
    const subject =
      typeof d === 'string' ? NEGATIVE.exec(directive.trim())?.[1] : d.kind === 'must_not' ? directive : undefined;
    const clean = subject?.replace(/[.!]+$/, '').trim();
    return clean ? [{ directive, subject: clean }] : [];
  });
}

/** Words an operator writes a directive with, by the label they name. */
const DIRECTIVE_TOPICS: readonly [ClassifierLabel, RegExp][] = [
  ['financial_advice', /\b(financ\w*|money|invest\w*|stocks?|crypto\w*|trading|tax(es)?)\b/i],
  ['medical_information', /\b(medic\w*|health|diagnos\w*|treatments?|drugs?|supplements?|dosages?|doctors?)\b/i],
  ['legal_advice', /\b(legal|law|laws|lawyers?|attorneys?|lawsuits?|sue|court)\b/i],
  ['political_content', /\b(politic\w*|elections?|vot(e|es|ing)|candidates?|part(y|ies)|campaigns?|endorse\w*)\b/i],
  ['political_discussion', /\b(politic\w*|policy|policies|government)\b/i],
  ['religious_content', /\b(religio\w*|faith|god|church|prayer|spiritual\w*)\b/i],
  ['social_issues', /\b(social issues|abortion|guns?|immigration|race|racism|gender)\b/i],
  ['harassment', /\b(swear\w*|profan\w*|curse|cursing|insult\w*|rude|bully\w*|threat\w*|attack\w*|mock\w*)\b/i],
  ['hate_speech', /\b(hate|hateful|slurs?|discriminat\w*|racis\w*|sexis\w*|bigot\w*)\b/i],
  ['explicit_content', /\b(sex\w*|explicit|nsfw|nud\w*|adult content|porn\w*)\b/i],
  ['misinformation', /\b(misinformation|disinformation|false claims?|conspirac\w*|unverified|fake news|rumou?rs?)\b/i],
  ['illegal_activities', /\b(illegal|crimes?|criminal|drugs?|weapons?|piracy|fraud|scams?)\b/i],
];

/** The labels a directive's subject names ("give financial, medical or legal advice" → three), by its words. */
export function directiveTopics(subject: string): ClassifierLabel[] {
  return DIRECTIVE_TOPICS.filter(([, re]) => re.test(subject)).map(([label]) => label);
}

export interface DirectiveConflict {
  directive: string;
  /** What the classifier reads the directive's subject as ([]: none of its labels). */
  labels: ClassifierLabel[];
  /** cosine(goal, subject) mapped to a score: 0.5 at 0.5. */
  direct: number;
  /** How strongly the goal is about one of those labels: 0.5 at the label's own threshold. */
  byLabel: number;
}

/** A conflict's score: the stronger of "the goal says what the directive forbids" and "it is about that label". */
export const conflictScore = (c: DirectiveConflict) => Math.max(c.direct, c.byLabel);

export function personaComplianceCheck(avoided: readonly string[], conflicts: readonly DirectiveConflict[]) {
  const evidence: CheckEvidence = {};
  if (avoided.length) evidence.terms = avoided.map((term) => ({ term, signal: 'persona.wordsToAvoid' }));
  const notes = conflicts
    .filter((c) => conflictScore(c) >= THRESHOLDS.persona_compliance)
    .map((c) => `conflicts with directive "${c.directive}"${c.labels.length ? ` (${c.labels.join(', ')})` : ''}`);
  if (notes.length) evidence.notes = notes;
  const score = Math.max(avoided.length ? 1 : 0, ...conflicts.map(conflictScore));
  return makeCheck('persona_compliance', 'pre_generation', score, THRESHOLDS.persona_compliance, evidence);
}

/** What one detector found on the goal. */
export interface GoalSignal {
  label: Subcategory;
  score: number;
  evidence: CheckEvidence;
}

/** One check summarising detectors run on the goal: the strongest one's score; its labels say which fired. */
function summary(name: 'content_guidelines' | 'sensitivity_scanning', parts: readonly GoalSignal[]): ModerationCheck {
  const labels = parts.map((p) => ({ label: p.label, score: round(p.score) }));
  const best = parts.reduce<GoalSignal | undefined>((a, b) => (!a || b.score > a.score ? b : a), undefined);
  const evidence: CheckEvidence = { labels };
  const terms = parts.flatMap((p) => p.evidence.terms ?? []);
  if (terms.length) evidence.terms = terms;
  const nearest: NearestExample[] | undefined = best?.evidence.nearest;
  if (nearest) evidence.nearest = nearest;
  return makeCheck(name, 'pre_generation', best?.score ?? 0, THRESHOLDS[name], evidence);
}

export const contentGuidelinesCheck = (parts: readonly GoalSignal[]) =>
  summary(
    'content_guidelines',
    parts.filter((p) => categoryOf(p.label) === 'prohibited'),
  );

export const sensitivityScanningCheck = (parts: readonly GoalSignal[]) =>
  summary(
    'sensitivity_scanning',
    parts.filter((p) => categoryOf(p.label) === 'sensitive'),
  );

export const directScore = (cos: number) => round(1 / (1 + Math.exp(-(cos - 0.5) / 0.05)));
