// npx tsx bench/log-redaction.ts [-- --lines 200000]
// What censoring resolved secrets by value (src/platform/log/logger.ts: redactValues, pino's streamWrite hook) costs
// per log line: the same logger writing the same lines to a sink that discards them, with no secret registered, with
// 10 and with 50 (each 24–64 characters, as URLs, passwords, tokens and keys are), and for lines that do contain a
// secret (which get rewritten). Prints a Markdown table; see docs/secrets.md.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createLogger, redactValues } from '../src/platform/log/logger.js';

const { values } = parseArgs({ options: { lines: { type: 'string', default: '200000' } } });
const LINES = Number(values.lines);

const sink = { write: (_line: string) => undefined };
const logger = createLogger('info', { version: 'bench' }, sink);
const secret = (n: number) => randomBytes(n).toString('base64url').slice(0, n);

function measure(line: (i: number) => void): number {
  for (let i = 0; i < 20_000; i++) line(i); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < LINES; i++) line(i);
  return Number(process.hrtime.bigint() - start) / LINES;
}

const ordinary = (i: number) =>
  logger.info(
    { requestId: `req-${i}`, operation: 'agents', durationMs: i % 250, userId: '7c1e2a9e-3b1f-4f5e-9d2a-1e4b5c6d7e8f' },
    'graphql request done',
  );

const rows: [string, number][] = [];
rows.push(['no secret registered', measure(ordinary)]);
redactValues(Array.from({ length: 10 }, (_, i) => secret(24 + ((i * 4) % 40))));
rows.push(['10 secrets registered', measure(ordinary)]);
redactValues(Array.from({ length: 40 }, (_, i) => secret(24 + ((i * 4) % 40))));
rows.push(['50 secrets registered', measure(ordinary)]);
const present = secret(40);
redactValues([present]);
rows.push([
  '51 secrets, the line contains one',
  measure((i) => logger.warn({ requestId: `req-${i}`, err: `connect failed: postgresql://app:${present}@db/x` }, 'db')),
]);

const base = rows[0]?.[1] ?? 1;
process.stdout.write(
  `| Log lines (${LINES} each, pino, discarding sink) | ns per line | vs. none |\n|---|---:|---:|\n`,
);
for (const [name, ns] of rows) process.stdout.write(`| ${name} | ${ns.toFixed(0)} | ${(ns / base).toFixed(2)}× |\n`);
