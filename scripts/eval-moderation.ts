// npm run eval:moderation [-- --errors] [-- --set eval/moderation-holdout.jsonl]: runs the moderation pipeline's
// review (ai_review + the escalation triggers) on every text of eval/moderation.jsonl (or the given set), offline, and
// prints precision, recall, F1, the confusion matrix and the false-positive rate with the thresholds used; writes the
// same to eval/results.md (not committed). --errors also lists the texts it got wrong: read them to understand a
// change, never copy them into the training examples.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluate, formatReport, parseEvalSet, runEvaluation } from '../src/domain/moderation/evaluation.js';
import { createModerator } from '../src/domain/moderation/pipeline.js';
import { THRESHOLDS } from '../src/domain/moderation/thresholds.js';
import { createOfflineEmbedder } from '../src/platform/embeddings/offline.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const showErrors = args.includes('--errors');
const setArg = args.indexOf('--set');
const setPath =
  setArg >= 0 && args[setArg + 1] ? resolve(args[setArg + 1] as string) : join(ROOT, 'eval/moderation.jsonl');

const items = parseEvalSet(readFileSync(setPath, 'utf8'));
const moderator = createModerator({ embedder: createOfflineEmbedder() });
const started = performance.now();
await moderator.warm();
const outcomes = await runEvaluation((input) => moderator.review(input), items);
const seconds = (performance.now() - started) / 1000;

const report = evaluate(outcomes);
const markdown = formatReport(report, {
  thresholds: { ...THRESHOLDS },
  version: `${moderator.version} · ${setPath.slice(ROOT.length + 1)}`,
  seconds,
  showErrors,
});
process.stdout.write(markdown);
writeFileSync(join(ROOT, 'eval/results.md'), markdown);
process.stdout.write('\nwritten to eval/results.md\n');
