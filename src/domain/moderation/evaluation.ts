// Scoring the pipeline against a labelled evaluation set (eval/moderation.jsonl): per-category precision, recall and
// F1, per prohibited subcategory too, the confusion matrix, and the false-positive rate — safe texts the pipeline
// called sensitive or prohibited. Pure: `npm run eval:moderation` and the regression test feed it decisions.
import {
  CONTENT_CATEGORIES,
  type ContentCategory,
  categoryOf,
  type ModerationDecision,
  PROHIBITED_SUBCATEGORIES,
  type ProhibitedSubcategory,
  SAFE_SUBCATEGORIES,
  SENSITIVE_SUBCATEGORIES,
  type Subcategory,
} from './model.js';

export interface EvalItem {
  text: string;
  category: ContentCategory;
  subcategory: Subcategory;
}

const SUBCATEGORIES: readonly string[] = [
  ...SAFE_SUBCATEGORIES,
  ...SENSITIVE_SUBCATEGORIES,
  ...PROHIBITED_SUBCATEGORIES,
];

/** Reads JSON lines, refusing a line whose category and subcategory disagree. */
export function parseEvalSet(jsonl: string): EvalItem[] {
  return jsonl
    .split('\n')
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line.length > 0)
    .map(({ line, n }) => {
      const row = JSON.parse(line) as Partial<EvalItem>;
      if (typeof row.text !== 'string' || !row.text.trim()) throw new Error(`line ${n}: no text`);
      if (typeof row.subcategory !== 'string' || !SUBCATEGORIES.includes(row.subcategory)) {
        throw new Error(`line ${n}: unknown subcategory ${String(row.subcategory)}`);
      }
      if (row.category !== categoryOf(row.subcategory)) {
        throw new Error(`line ${n}: ${row.subcategory} is ${categoryOf(row.subcategory)}, not ${String(row.category)}`);
      }
      return { text: row.text, category: row.category, subcategory: row.subcategory };
    });
}

export interface EvalOutcome {
  item: EvalItem;
  decision: Pick<ModerationDecision, 'category' | 'subcategories' | 'action'>;
}

export interface Metrics {
  support: number;
  predicted: number;
  truePositives: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface EvaluationReport {
  total: number;
  categories: Record<ContentCategory, Metrics>;
  /** Per prohibited subcategory: found under that subcategory; `rejected` counts those rejected under any. */
  prohibited: Record<ProhibitedSubcategory, Metrics & { rejected: number }>;
  /** Per sensitive subcategory: how many were sent to a person (sensitive or prohibited) and how many named exactly. */
  sensitive: Record<string, { support: number; caught: number; exact: number }>;
  /** confusion[gold][predicted] */
  confusion: Record<ContentCategory, Record<ContentCategory, number>>;
  /** Safe texts predicted sensitive or prohibited, over all safe texts. */
  falsePositiveRate: number;
  falsePositives: { sensitive: number; prohibited: number };
  /** Safe texts the pipeline would send to a person or reject (any human_review trigger, low confidence included). */
  safeNotAllowedRate: number;
  errors: { text: string; gold: string; predicted: string }[];
}

function metrics(tp: number, support: number, predicted: number): Metrics {
  const precision = predicted === 0 ? 1 : tp / predicted;
  const recall = support === 0 ? 1 : tp / support;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { support, predicted, truePositives: tp, precision, recall, f1 };
}

export function evaluate(outcomes: readonly EvalOutcome[]): EvaluationReport {
  const confusion = Object.fromEntries(
    CONTENT_CATEGORIES.map((g) => [g, Object.fromEntries(CONTENT_CATEGORIES.map((p) => [p, 0]))]),
  ) as Record<ContentCategory, Record<ContentCategory, number>>;
  for (const o of outcomes) confusion[o.item.category][o.decision.category]++;

  const categories = Object.fromEntries(
    CONTENT_CATEGORIES.map((c) => {
      const support = outcomes.filter((o) => o.item.category === c).length;
      const predicted = outcomes.filter((o) => o.decision.category === c).length;
      return [c, metrics(confusion[c][c], support, predicted)];
    }),
  ) as Record<ContentCategory, Metrics>;

  const prohibited = Object.fromEntries(
    PROHIBITED_SUBCATEGORIES.map((s) => {
      const gold = outcomes.filter((o) => o.item.subcategory === s);
      const named = (o: EvalOutcome) => o.decision.category === 'prohibited' && o.decision.subcategories.includes(s);
      const tp = gold.filter(named).length;
      const m = metrics(tp, gold.length, outcomes.filter(named).length);
      return [s, { ...m, rejected: gold.filter((o) => o.decision.category === 'prohibited').length }];
    }),
  ) as Record<ProhibitedSubcategory, Metrics & { rejected: number }>;

  const sensitive = Object.fromEntries(
    SENSITIVE_SUBCATEGORIES.map((s) => {
      const gold = outcomes.filter((o) => o.item.subcategory === s);
      return [
        s,
        {
          support: gold.length,
          caught: gold.filter((o) => o.decision.category !== 'safe').length,
          exact: gold.filter((o) => o.decision.subcategories.includes(s)).length,
        },
      ];
    }),
  );

  const safe = outcomes.filter((o) => o.item.category === 'safe');
  const fpSensitive = safe.filter((o) => o.decision.category === 'sensitive').length;
  const fpProhibited = safe.filter((o) => o.decision.category === 'prohibited').length;
  return {
    total: outcomes.length,
    categories,
    prohibited,
    sensitive,
    confusion,
    falsePositiveRate: safe.length === 0 ? 0 : (fpSensitive + fpProhibited) / safe.length,
    falsePositives: { sensitive: fpSensitive, prohibited: fpProhibited },
    safeNotAllowedRate: safe.length === 0 ? 0 : safe.filter((o) => o.decision.action !== 'allow').length / safe.length,
    errors: outcomes
      .filter((o) => o.item.category !== o.decision.category)
      .map((o) => ({
        text: o.item.text,
        gold: `${o.item.category}/${o.item.subcategory}`,
        predicted: `${o.decision.category}${o.decision.subcategories.length ? `/${o.decision.subcategories.join('+')}` : ''}`,
      })),
  };
}

const pct = (x: number) => x.toFixed(3);

/** The report as Markdown tables (printed by the script, written to eval/results.md). */
export function formatReport(
  report: EvaluationReport,
  context: { thresholds: Record<string, number>; version: string; seconds?: number; showErrors?: boolean },
): string {
  const lines: string[] = [];
  lines.push(`# Moderation evaluation`, '');
  lines.push(
    `${report.total} labelled texts · ${context.version}${context.seconds ? ` · ${context.seconds.toFixed(1)} s` : ''}`,
    '',
  );
  lines.push(
    '## By category',
    '',
    '| category | support | predicted | precision | recall | F1 |',
    '|---|---:|---:|---:|---:|---:|',
  );
  for (const c of CONTENT_CATEGORIES) {
    const m = report.categories[c];
    lines.push(`| ${c} | ${m.support} | ${m.predicted} | ${pct(m.precision)} | ${pct(m.recall)} | ${pct(m.f1)} |`);
  }
  lines.push('', '## Prohibited subcategories', '');
  lines.push('Named = flagged under that subcategory; rejected = rejected under any prohibited subcategory.', '');
  lines.push(
    '| subcategory | support | precision | recall (named) | F1 | rejected |',
    '|---|---:|---:|---:|---:|---:|',
  );
  for (const s of PROHIBITED_SUBCATEGORIES) {
    const m = report.prohibited[s];
    lines.push(
      `| ${s} | ${m.support} | ${pct(m.precision)} | ${pct(m.recall)} | ${pct(m.f1)} | ${m.rejected}/${m.support} |`,
    );
  }
  lines.push('', '## Sensitive subcategories', '');
  lines.push('| subcategory | support | sent to a person | named exactly |', '|---|---:|---:|---:|');
  for (const [s, v] of Object.entries(report.sensitive))
    lines.push(`| ${s} | ${v.support} | ${v.caught} | ${v.exact} |`);
  lines.push('', '## Confusion matrix (rows: label, columns: prediction)', '');
  lines.push(`| | ${CONTENT_CATEGORIES.join(' | ')} |`, `|---|${CONTENT_CATEGORIES.map(() => '---:').join('|')}|`);
  for (const g of CONTENT_CATEGORIES) {
    lines.push(`| ${g} | ${CONTENT_CATEGORIES.map((p) => report.confusion[g][p]).join(' | ')} |`);
  }
  lines.push('', '## False positives', '');
  lines.push(
    `- false-positive rate (safe texts flagged sensitive or prohibited): **${pct(report.falsePositiveRate)}** ` +
      `(${report.falsePositives.sensitive} as sensitive, ${report.falsePositives.prohibited} as prohibited, ` +
      `of ${report.categories.safe.support})`,
  );
  lines.push(
    `- safe texts not allowed straight through (any human_review trigger, low confidence included): ` +
      `${pct(report.safeNotAllowedRate)}`,
  );
  lines.push('', '## Thresholds', '', '| check | threshold |', '|---|---:|');
  for (const [k, v] of Object.entries(context.thresholds)) lines.push(`| ${k} | ${v} |`);
  if (context.showErrors) {
    lines.push('', '## Errors', '', '| text | label | prediction |', '|---|---|---|');
    for (const e of report.errors) lines.push(`| ${e.text.replaceAll('|', '\\|')} | ${e.gold} | ${e.predicted} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** Runs the pipeline's review (ai_review + escalation) on every item, one after another. */
export async function runEvaluation(
  review: (input: { text: string }) => Promise<Pick<ModerationDecision, 'category' | 'subcategories' | 'action'>>,
  items: readonly EvalItem[],
): Promise<EvalOutcome[]> {
  const outcomes: EvalOutcome[] = [];
  for (const item of items) outcomes.push({ item, decision: await review({ text: item.text }) });
  return outcomes;
}
