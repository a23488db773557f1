// post_publication monitoring: what happens to content after it is out. Three checks —
//   user_feedback_analysis       complaints, each classified by kind (hate, harassment, explicit, misinformation,
//                                scam/illegal, or not a complaint at all) on the same few-shot embeddings
//   engagement_anomaly_detection a robust z-score of the latest engagement number against the ones before it
//   automated_flagging           moderation flags arriving in a burst (the caller counts them in its window)
// The spec's compliance_reporting is a report over stored decisions, not a check on one piece of content.
import type { ComplaintLabel } from './examples.js';
import type { LabelScore } from './few-shot.js';
import { type ModerationCheck, makeCheck, round, type Subcategory } from './model.js';
import { ANOMALY_MIN_HISTORY, ANOMALY_Z, FLAG_BURST, THRESHOLDS } from './thresholds.js';

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export interface RobustZ {
  z: number;
  median: number;
  mad: number;
  latest: number;
}

/**
 * The modified z-score of the last point against the points before it: 0.6745 · (x − median) / MAD (Iglewicz and
 * Hoaglin), i.e. the deviation over a robust spread MAD / 0.6745. When more than half the history is one value
 * (MAD = 0), the mean absolute deviation stands in (scaled by 1.2533 as for a normal distribution). `minSpread`
 * keeps the spread from falling below what the data's own noise must be (for counts, see countSpreadFloor); without
 * it, a flat history and a different latest point is infinitely odd.
 */
export function robustZ(series: readonly number[], minSpread = 0): RobustZ | undefined {
  const clean = series.filter((x) => Number.isFinite(x));
  if (clean.length < ANOMALY_MIN_HISTORY + 1) return undefined;
  const history = clean.slice(0, -1);
  const latest = clean[clean.length - 1] as number;
  const m = median(history);
  const mad = median(history.map((x) => Math.abs(x - m)));
  const deviation = latest - m;
  const meanAd = history.reduce((s, x) => s + Math.abs(x - m), 0) / history.length;
  const spread = Math.max(mad > 0 ? mad / 0.6745 : 1.2533 * meanAd, minSpread);
  if (spread > 0) return { z: deviation / spread, median: m, mad, latest };
  return { z: deviation === 0 ? 0 : Math.sign(deviation) * Number.POSITIVE_INFINITY, median: m, mad, latest };
}

/**
 * Engagement numbers are counts: even a perfectly steady audience of λ an hour varies by about √λ (Poisson). The
 * spread is never taken as less than √(median + 1), so 50, 50, 50, 50, 50, 50 then 51 is noise, and a first handful
 * of likes after quiet hours is not an anomaly.
 */
export const countSpreadFloor = (history: readonly number[]) =>
  Math.sqrt(Math.max(0, median(history.filter((x) => Number.isFinite(x)))) + 1);

/** score = |z| / (|z| + 3.5): 0.5 exactly at the outlier cut-off, → 1 as the point gets more extreme. */
export function engagementAnomalyCheck(engagement: readonly number[]): ModerationCheck {
  const threshold = THRESHOLDS.engagement_anomaly_detection;
  const r = robustZ(engagement, engagement.length > 1 ? countSpreadFloor(engagement.slice(0, -1)) : 0);
  if (!r) {
    return makeCheck('engagement_anomaly_detection', 'post_publication', 0, threshold, {
      notes: [`needs at least ${ANOMALY_MIN_HISTORY} earlier points and the latest one`],
    });
  }
  const abs = Math.abs(r.z);
  const score = Number.isFinite(abs) ? abs / (abs + ANOMALY_Z) : 1;
  const stats: Record<string, number> = { latest: r.latest, median: r.median, mad: round(r.mad), cutoff: ANOMALY_Z };
  if (Number.isFinite(r.z)) stats.robustZ = round(r.z, 3);
  const direction = r.z > 0 ? 'spike' : r.z < 0 ? 'drop' : 'steady';
  return makeCheck('engagement_anomaly_detection', 'post_publication', score, threshold, {
    stats,
    notes: [Number.isFinite(r.z) ? direction : `${direction} after a flat history`],
  });
}

/** score = flags / (flags + 3): 0.5 at three flags in the window. */
export function flagBurstCheck(recentFlags: number): ModerationCheck {
  const flags = Number.isFinite(recentFlags) ? Math.max(0, Math.floor(recentFlags)) : 0;
  return makeCheck(
    'automated_flagging',
    'post_publication',
    flags / (flags + FLAG_BURST),
    THRESHOLDS.automated_flagging,
    {
      stats: { recentFlags: flags, burst: FLAG_BURST },
    },
  );
}

export interface ClassifiedComplaint {
  text: string;
  /** The likeliest kind of complaint and its score (logistic of the margin over "not a complaint"). */
  best: LabelScore<ComplaintLabel> | undefined;
}

/** How much one certain complaint weighs: one clear report is enough for a person to look (the spec's trigger). */
export const COMPLAINT_WEIGHT = 0.6;

/**
 * score = 1 − Π (1 − 0.6 · pᵢ) over the complaints, pᵢ the score of complaint i's likeliest kind: one clear complaint
 * (p ≈ 1) gives 0.6, two half-sure ones 0.51, praise and shrugs nearly 0.
 */
export function userFeedbackCheck(complaints: readonly ClassifiedComplaint[]): {
  check: ModerationCheck;
  alleged: Subcategory[];
} {
  const threshold = THRESHOLDS.user_feedback_analysis;
  let keep = 1;
  const counts = new Map<Subcategory, { n: number; max: number }>();
  for (const c of complaints) {
    if (!c.best) continue;
    keep *= 1 - COMPLAINT_WEIGHT * c.best.score;
    const label = c.best.label;
    if (c.best.score >= 0.5 && label !== 'not_a_complaint') {
      const prev = counts.get(label) ?? { n: 0, max: 0 };
      counts.set(label, { n: prev.n + 1, max: Math.max(prev.max, c.best.score) });
    }
  }
  const labels = [...counts].map(([label, v]) => ({ label, score: round(v.max) }));
  const check = makeCheck('user_feedback_analysis', 'post_publication', 1 - keep, threshold, {
    stats: { complaints: complaints.length, serious: [...counts.values()].reduce((s, v) => s + v.n, 0) },
    ...(labels.length ? { labels } : {}),
    ...(complaints.length === 0 ? { notes: ['no complaints'] } : {}),
  });
  return { check, alleged: check.flagged ? labels.map((l) => l.label) : [] };
}
