// The moderation pipeline: createModerator(deps) gives the three stages the swarm calls — preGeneration on a goal
// before writing, review on a draft (ai_review and the human_review triggers), postPublication on what happened to
// published content. Everything runs offline on the local embeddings, word lists and patterns; an external model
// (OpenAI moderation) is merged in when configured, and a near-duplicate search over known content when given.
import type { Embedder } from '../../platform/embeddings/embeddings.js';
import { cosine } from '../../platform/embeddings/embeddings.js';
import type { ExternalModeration, ExternalModerationResult } from '../../platform/moderation/moderation.js';
import {
  contentTypeCheck,
  copyrightCheck,
  ESCALATION_CHECKS,
  escalationChecks,
  PROHIBITED_CHECKS,
  prohibitedChecks,
  sensitiveTopicCheck,
  type TextSignals,
} from './content-checks.js';
import {
  assemble,
  categorise,
  certainty,
  classifierConfidence,
  lowConfidenceCheck,
  subcategoryOfCheck,
} from './decision.js';
import {
  CLASSIFIER_LABELS,
  type ClassifierLabel,
  COMPLAINT_EXAMPLES,
  type ComplaintLabel,
  TRAINING_EXAMPLES,
} from './examples.js';
import type { LabelScore } from './few-shot.js';
import {
  type ComplaintExamples,
  type ContentExamples,
  EXAMPLES_FINGERPRINT,
  fingerprint,
  type Indexes,
  indexesFor,
} from './indexes.js';
import { lexicalHits } from './lexicon.js';
import {
  type CheckName,
  categoryOf,
  type ModerationAction,
  type ModerationCheck,
  type ModerationDecision,
  round,
  SENSITIVE_TOPICS,
} from './model.js';
import { engagementAnomalyCheck, flagBurstCheck, userFeedbackCheck } from './post-publication.js';
import {
  avoidedWords,
  contentGuidelinesCheck,
  type DirectiveConflict,
  directiveTopics,
  directScore,
  type GoalSignal,
  goalSubject,
  negativeDirectives,
  type PersonaDirective,
  personaComplianceCheck,
  sensitivityScanningCheck,
} from './pre-generation.js';
import { HIGH_RISK_CONTENT_TYPES, THRESHOLDS } from './thresholds.js';

export const MODERATION_VERSION = 'chimera-moderation/1';

/** A directive's subject must be at least this close to a label's centroid to be read as that label. */
export const DIRECTIVE_LABEL_MIN_SIMILARITY = 0.3;

/**
 * A prohibited label must beat the sensitive labels as well as the safe examples: a text about money, health,
 * politics or the law is near some prohibited examples too, and is sensitive, not prohibited, unless it is nearer
 * to them than to every acceptable kind of text. A sensitive label only has to beat the safe examples.
 */
const SENSITIVE_LABELS: readonly ClassifierLabel[] = CLASSIFIER_LABELS.filter(
  (l) => l !== 'safe' && categoryOf(l) === 'sensitive',
);
export const rivalsOf = (label: ClassifierLabel): readonly ClassifierLabel[] =>
  label !== 'safe' && categoryOf(label) === 'prohibited' ? SENSITIVE_LABELS : [];

/** The check that scores each prohibited subcategory and escalation rule. */
export const CHECK_OF_LABEL: Readonly<Partial<Record<ClassifierLabel, CheckName>>> = {
  ...PROHIBITED_CHECKS,
  ...ESCALATION_CHECKS,
};

/** Whose text is being reviewed: its own content and its agent's own posts are not "known content" to it. */
export interface ReviewScope {
  agentId?: string | undefined;
  contentId?: string | undefined;
}

export type FindSimilar = (text: string, scope: ReviewScope) => Promise<{ score: number; ref: string }[]>;

export interface ModeratorDeps {
  embedder: Embedder;
  /**
   * Known content nearest the text (everyone's but the scope's agent), `score` = cosine similarity (1 = identical).
   * Enables copyright_violation.
   */
  findSimilar?: FindSimilar | undefined;
  /** An external moderation model whose scores are merged into the offline ones (see external.ts). */
  external?: ExternalModeration | undefined;
  /** The clock stamped on decisions (tests pin it). */
  now?: (() => Date) | undefined;
  /** Replaces the few-shot examples (cross-validation and tests); default examples.ts. */
  examples?:
    | {
        content?: ContentExamples | undefined;
        complaints?: ComplaintExamples | undefined;
      }
    | undefined;
  /** Content types that always go to a person; default HIGH_RISK_CONTENT_TYPES. */
  highRiskContentTypes?: readonly string[] | undefined;
}

export interface PreGenerationInput {
  text: string;
  /** Directives as free text ("Never give financial advice") or as stored ({ kind: 'must_not', text }). */
  persona: { wordsToAvoid: readonly string[]; directives: readonly PersonaDirective[] };
}

export interface ReviewInput extends ReviewScope {
  text: string;
  contentType?: string | undefined;
  /** The content's own confidence (the Judge's critique score), when there is one: below 0.7 it needs a person. */
  confidence?: number | undefined;
}

export interface PostPublicationInput {
  complaints: readonly string[];
  engagement: readonly number[];
  recentFlags: number;
}

export interface Moderator {
  readonly version: string;
  preGeneration(input: PreGenerationInput): Promise<ModerationDecision>;
  review(input: ReviewInput): Promise<ModerationDecision>;
  postPublication(input: PostPublicationInput): Promise<ModerationDecision>;
  /** Embeds the few-shot examples once (the first call of any stage does it otherwise). */
  warm(): Promise<void>;
}

/** What a directive's subject is about: the labels its words name, else its nearest label centroid. */
function directiveLabels(index: Indexes, subject: string, vector: readonly number[]): ClassifierLabel[] {
  const named = directiveTopics(subject);
  if (named.length) return named;
  const nearest = index.content.nearestCentroid(vector);
  return nearest && nearest.label !== 'safe' && nearest.similarity >= DIRECTIVE_LABEL_MIN_SIMILARITY
    ? [nearest.label]
    : [];
}

const thresholdOfLabel = (label: ClassifierLabel) => {
  const check = label === 'safe' ? undefined : CHECK_OF_LABEL[label];
  return check ? THRESHOLDS[check] : THRESHOLDS.sensitive_topic_detected;
};

/** A score rescaled so that the threshold t lands on 0.5: linear on [0, t] and on [t, 1]. */
export const relativeToThreshold = (score: number, t: number) =>
  score < t ? (0.5 * score) / t : 0.5 + (0.5 * (score - t)) / (1 - t);

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createModerator(deps: ModeratorDeps): Moderator {
  const { embedder, findSimilar, external } = deps;
  const contentExamples = deps.examples?.content ?? TRAINING_EXAMPLES;
  const complaintExamples = deps.examples?.complaints ?? COMPLAINT_EXAMPLES;
  const examplesFingerprint = deps.examples
    ? fingerprint([contentExamples, complaintExamples, THRESHOLDS])
    : EXAMPLES_FINGERPRINT;
  const now = deps.now ?? (() => new Date());
  const highRisk = (deps.highRiskContentTypes ?? HIGH_RISK_CONTENT_TYPES).map((t) => t.toLowerCase());
  const version = `${MODERATION_VERSION} (${embedder.id.provider}/${embedder.id.model}; examples ${examplesFingerprint}${
    external ? `; ${external.name}` : ''
  })`;

  const warm = () => indexesFor(embedder, contentExamples, complaintExamples, examplesFingerprint);

  /** One vector per text; blank texts get none (the embedding model cannot read an empty string). */
  const embedAll = async (texts: readonly string[]): Promise<(number[] | undefined)[]> => {
    const present = texts.filter((t) => t.trim().length > 0);
    const vectors = await embedder.embed(present);
    let next = 0;
    return texts.map((t) => (t.trim().length > 0 ? vectors[next++] : undefined));
  };

  const signalsOf = (
    index: Indexes,
    text: string,
    vector: readonly number[] | undefined,
    ext?: ExternalModerationResult,
  ) => {
    const labels = vector ? index.content.classify(vector, rivalsOf) : new Map<ClassifierLabel, never>();
    const signals: TextSignals = { labels, hits: lexicalHits(text), external: ext };
    return signals;
  };

  async function askExternal(text: string, notes: string[]): Promise<ExternalModerationResult | undefined> {
    if (!external) return undefined;
    try {
      return await external.moderate(text);
    } catch (err) {
      notes.push(`external moderation (${external.name}) unavailable, decided offline: ${describe(err)}`);
      return undefined;
    }
  }

  async function similarContent(text: string, scope: ReviewScope, notes: string[]) {
    if (!findSimilar) return undefined;
    try {
      return await findSimilar(text, scope);
    } catch (err) {
      notes.push(`copyright_violation could not search known content: ${describe(err)}`);
      return undefined;
    }
  }

  return {
    version,

    async warm() {
      await warm();
    },

    async review(input) {
      const index = await warm();
      const notes: string[] = [];
      const [[vector], ext, similar] = await Promise.all([
        embedAll([input.text]),
        askExternal(input.text, notes),
        similarContent(input.text, { agentId: input.agentId, contentId: input.contentId }, notes),
      ]);
      const signals = signalsOf(index, input.text, vector, ext);
      const checks: ModerationCheck[] = [
        ...prohibitedChecks(signals),
        copyrightCheck(similar),
        ...escalationChecks(signals),
        sensitiveTopicCheck(signals),
        contentTypeCheck(input.contentType, highRisk),
      ];
      const confidence = classifierConfidence(checks);
      const content = input.confidence === undefined ? undefined : round(input.confidence);
      checks.push(lowConfidenceCheck(confidence, content));
      const { category, subcategories } = categorise(checks);
      const needsPerson = checks.some(
        (c) => c.flagged && (c.stage === 'human_review' || c.name === 'copyright_violation'),
      );
      const action: ModerationAction = category === 'prohibited' ? 'reject' : needsPerson ? 'review' : 'allow';
      return assemble({
        stage: 'ai_review',
        checks,
        category,
        subcategories,
        action,
        confidence: Math.min(confidence, content ?? 1),
        notes,
        decidedAt: now(),
        version,
      });
    },

    async preGeneration(input) {
      const index = await warm();
      const directives = negativeDirectives(input.persona.directives);
      const subject = goalSubject(input.text);
      const [goal, ...subjects] = await embedAll([subject, ...directives.map((d) => d.subject)]);
      const signals = signalsOf(index, input.text, goal);
      const detectors = [...prohibitedChecks(signals, 'pre_generation'), ...escalationChecks(signals)];
      const parts: GoalSignal[] = detectors.flatMap((check) => {
        const label = subcategoryOfCheck(check.name);
        return label ? [{ label, score: check.score, evidence: check.evidence }] : [];
      });
      for (const label of SENSITIVE_TOPICS) {
        const scored = signals.labels.get(label);
        if (scored) parts.push({ label, score: scored.score, evidence: { nearest: scored.nearest } });
      }
      // How strongly the goal is about a label, 0.5 exactly at the label's own threshold.
      const goalScore = (label: ClassifierLabel) => {
        const part = parts.find((p) => p.label === label);
        return part ? relativeToThreshold(part.score, thresholdOfLabel(label)) : 0;
      };
      const conflicts: DirectiveConflict[] = directives.map((d, i) => {
        const meant = subjects[i] ?? [];
        const labels = directiveLabels(index, d.subject, meant);
        return {
          directive: d.directive,
          labels,
          direct: goal ? directScore(cosine(goal, meant)) : 0,
          byLabel: Math.max(0, ...labels.map(goalScore)),
        };
      });
      const persona = personaComplianceCheck(avoidedWords(input.text, input.persona.wordsToAvoid), conflicts);
      const guidelines = contentGuidelinesCheck(parts);
      const sensitivity = sensitivityScanningCheck(parts);
      const checks = [persona, guidelines, sensitivity];
      const { category, subcategories } = categorise(checks);
      const action: ModerationAction =
        guidelines.flagged || persona.flagged ? 'reject' : sensitivity.flagged ? 'review' : 'allow';
      return assemble({
        stage: 'pre_generation',
        checks,
        category,
        subcategories,
        action,
        confidence: classifierConfidence([...detectors, sensitiveTopicCheck(signals)]),
        decidedAt: now(),
        version,
      });
    },

    async postPublication(input) {
      const index = await warm();
      const texts = input.complaints.filter((c) => c.trim().length > 0);
      const vectors = await embedder.embed(texts);
      const classified = texts.map((text, i) => {
        const scores = [...index.complaints.classify(vectors[i] ?? []).values()];
        const best = scores.reduce<LabelScore<ComplaintLabel> | undefined>(
          (a, b) => (!a || b.score > a.score ? b : a),
          undefined,
        );
        return { text, best };
      });
      const feedback = userFeedbackCheck(classified);
      const checks = [feedback.check, engagementAnomalyCheck(input.engagement), flagBurstCheck(input.recentFlags)];
      const flagged = checks.some((c) => c.flagged);
      return assemble({
        stage: 'post_publication',
        checks,
        // After publication the category says whether a person must look ("sensitive": requires review); the
        // subcategories are what the complaints allege, not a verdict.
        category: flagged ? 'sensitive' : 'safe',
        subcategories: feedback.alleged,
        action: flagged ? 'review' : 'allow',
        confidence: 0.5 + 0.5 * Math.min(...checks.map(certainty)),
        decidedAt: now(),
        version,
      });
    },
  };
}
