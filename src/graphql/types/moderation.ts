// What moderation and the Judge decided about a piece of content, typed: Content.moderation (each stage's decision,
// its checks, scores and thresholds) and Content.confidence (how the confidence score was made). Both are read from
// the content's metadata; the Content type's own rules (agent scope, content_sensitivity) guard them.
import { type ContentFlag as ContentFlagShape, FLAG_RESOLUTIONS, flagOf } from '../../domain/content/flags.js';
import { CONTENT_CATEGORIES, MODERATION_STAGES } from '../../domain/moderation/model.js';
import {
  CHECK_NAMES,
  MODERATION_ACTIONS,
  type StoredConfidence,
  type StoredDecision,
  type StoredModeration,
  SUBCATEGORIES,
  storedConfidence,
  storedModeration,
} from '../../domain/moderation/stored.js';
import { builder } from '../builder.js';
import { enumFromValues } from './common.js';
import { Content, ContentFlagStatus } from './content.js';

export const ModerationStage = enumFromValues(
  'ModerationStage',
  MODERATION_STAGES,
  'The spec’s four moderation stages, in the order content meets them.',
);
export const ContentCategory = enumFromValues(
  'ContentCategory',
  CONTENT_CATEGORIES,
  'safe: may be approved automatically; sensitive: requires a person; prohibited: rejected automatically.',
);
const ModerationAction = enumFromValues('ModerationAction', MODERATION_ACTIONS, 'What a stage decided.', {
  allow: 'go ahead',
  review: 'a person decides',
  reject: 'never publish',
});
const ModerationCheckName = enumFromValues(
  'ModerationCheckName',
  CHECK_NAMES,
  'Every named check of the pipeline (docs/moderation.md describes each).',
);
const ModerationSubcategory = enumFromValues(
  'ModerationSubcategory',
  SUBCATEGORIES,
  'The spec’s content categories in detail: what a decision found the content to be about.',
);

const ModerationCheck = builder.objectRef<StoredDecision['checks'][number]>('ModerationCheck').implement({
  description: 'One named check: its score, the threshold it was held to, and why it scored so.',
  fields: (t) => ({
    name: t.field({ type: ModerationCheckName, resolve: (c) => c.name }),
    stage: t.field({ type: ModerationStage, resolve: (c) => c.stage }),
    score: t.exposeFloat('score', { description: '0..1; 1 = certainly violating (or sensitive, or anomalous).' }),
    threshold: t.exposeFloat('threshold', { description: 'Flagged when score ≥ threshold.' }),
    flagged: t.exposeBoolean('flagged'),
    evidence: t.field({
      type: 'JSONObject',
      description: 'Matched terms, nearest labelled examples, near-duplicates, external scores, statistics.',
      resolve: (c) => c.evidence,
    }),
  }),
});

const ModerationDecision = builder.objectRef<StoredDecision>('ModerationDecision').implement({
  description: 'What one stage of the moderation pipeline decided, with every check it ran.',
  fields: (t) => ({
    stage: t.field({ type: ModerationStage, resolve: (d) => d.stage }),
    category: t.field({ type: ContentCategory, resolve: (d) => d.category }),
    subcategories: t.field({ type: [ModerationSubcategory], resolve: (d) => d.subcategories }),
    action: t.field({ type: ModerationAction, resolve: (d) => d.action }),
    confidence: t.exposeFloat('confidence', {
      description: 'How sure the checks are of the category: 0.5 at a threshold, 1 far from every threshold.',
    }),
    reasons: t.exposeStringList('reasons', { description: 'One line per flagged check.' }),
    checks: t.field({ type: [ModerationCheck], resolve: (d) => d.checks }),
    flaggedChecks: t.field({
      type: [ModerationCheck],
      description: 'The checks at or above their threshold.',
      resolve: (d) => d.checks.filter((c) => c.flagged),
    }),
    decidedAt: t.field({ type: 'DateTime', resolve: (d) => new Date(d.decidedAt) }),
    version: t.exposeString('version', { description: 'Pipeline version, embedding model and examples used.' }),
  }),
});

const ContentModeration = builder.objectRef<StoredModeration>('ContentModeration').implement({
  description: 'The moderation decisions a piece of content carries, stage by stage.',
  fields: (t) => ({
    category: t.field({
      type: ContentCategory,
      description: 'The worst category of the request and the draft: the content_sensitivity rule reads it.',
      resolve: (m) => m.category,
    }),
    preGeneration: t.field({
      type: ModerationDecision,
      nullable: true,
      description: 'The request, before a word was written.',
      resolve: (m) => m.pre_generation,
    }),
    aiReview: t.field({
      type: ModerationDecision,
      nullable: true,
      description: 'The draft, and the human_review triggers.',
      resolve: (m) => m.ai_review,
    }),
    postPublication: t.field({
      type: ModerationDecision,
      nullable: true,
      description: 'What came back after publication (complaints, engagement anomalies, flags).',
      resolve: (m) => m.post_publication,
    }),
  }),
});

const ConfidenceWeights = builder.objectRef<StoredConfidence['weights']>('ConfidenceWeights').implement({
  description: 'The documented weights of the three signals (they sum to 1).',
  fields: (t) => ({
    personaConsistency: t.exposeFloat('personaConsistency'),
    safety: t.exposeFloat('safety'),
    selfAssessment: t.exposeFloat('selfAssessment'),
  }),
});

const ConfidenceBreakdown = builder.objectRef<StoredConfidence>('ConfidenceBreakdown').implement({
  description: 'How the Judge made the content’s confidence score: weights × signals (docs/moderation.md#confidence).',
  fields: (t) => ({
    confidence: t.exposeFloat('confidence', { description: 'The weighted sum; the content’s confidenceScore.' }),
    personaConsistency: t.exposeFloat('personaConsistency', {
      description: 'Similarity to the persona’s voice and to the agent’s past approved posts, 0..1.',
    }),
    safety: t.exposeFloat('safety', { description: 'Distance from the ai_review thresholds, 0..1.' }),
    selfAssessment: t.exposeFloat('selfAssessment', { description: 'The language model’s critique score, 0..1.' }),
    weights: t.field({ type: ConfidenceWeights, resolve: (c) => c.weights }),
    profileSimilarity: t.float({
      nullable: true,
      description: 'Raw cosine similarity to the persona’s profile.',
      resolve: (c) => c.persona?.profileSimilarity ?? null,
    }),
    pastSimilarity: t.float({
      nullable: true,
      description: 'Mean raw cosine similarity to the agent’s nearest approved posts; null before it had any.',
      resolve: (c) => c.persona?.pastSimilarity ?? null,
    }),
    avoidedWords: t.stringList({
      description: 'Words the persona avoids that the draft used (each halves persona consistency).',
      resolve: (c) => c.persona?.avoidedWords ?? [],
    }),
    selfAssessedBy: t.string({
      nullable: true,
      description: 'Which model assessed the draft (the offline critic is labelled as such).',
      resolve: (c) => c.selfAssessedBy,
    }),
  }),
});

const ContentFlag = builder.objectRef<ContentFlagShape>('ContentFlag').implement({
  description: 'Published content that post_publication moderation sent back to a person.',
  fields: (t) => ({
    status: t.field({ type: ContentFlagStatus, resolve: (f) => f.status }),
    raisedAt: t.field({ type: 'DateTime', resolve: (f) => new Date(f.raisedAt) }),
    reasons: t.exposeStringList('reasons', { description: 'The flagged post_publication checks.' }),
    resolvedAt: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: (f) => (f.resolvedAt ? new Date(f.resolvedAt) : null),
    }),
    resolvedBy: t.string({
      nullable: true,
      description: 'Who resolved it, as "kind:id" (e.g. user:…).',
      resolve: (f) => (f.resolvedBy ? `${f.resolvedBy.kind}:${f.resolvedBy.id ?? ''}` : null),
    }),
    note: t.string({ nullable: true, resolve: (f) => f.note ?? null }),
  }),
});

const FlagResolution = enumFromValues('FlagResolution', FLAG_RESOLUTIONS, 'A person’s decision on an open flag.', {
  keep: 'the content stays published; only later evidence can flag it again',
  take_down: 'the content is taken down (PUBLISHED → REJECTED) and the agent remembers why',
});

builder.mutationField('resolveContentFlag', (t) =>
  t.prismaField({
    type: 'Content',
    description:
      'Decides an OPEN post-publication flag: KEEP the content published, or TAKE_DOWN it. CONFLICT when the ' +
      'content has no open flag.',
    args: {
      id: t.arg.globalID({ required: true, for: Content }),
      decision: t.arg({ type: FlagResolution, required: true }),
      note: t.arg.string({ description: 'Kept on the flag and in the audit log. Up to 1,000 characters.' }),
    },
    resolve: (query, _root, { id, decision, note }, ctx) =>
      ctx.services.content.resolveFlag(id.id, { decision, note }, ctx.actor, query),
  }),
);

builder.objectFields(Content, (t) => ({
  flag: t.field({
    type: ContentFlag,
    nullable: true,
    description: 'The post-publication flag, when moderation sent the published content back to a person.',
    resolve: (c) => flagOf(c.metadata),
  }),
  moderation: t.field({
    type: ContentModeration,
    nullable: true,
    description: 'What the moderation pipeline decided, stage by stage; null before any stage ran.',
    resolve: (c) => storedModeration(c.metadata),
  }),
  confidence: t.field({
    type: ConfidenceBreakdown,
    nullable: true,
    description: 'How the confidence score was made; null before the Judge judged it.',
    resolve: (c) => storedConfidence(c.metadata),
  }),
}));
