// Structured JSON logs (pino). Secrets never reach a log line: known secret-bearing paths are redacted.
// Every line written inside withLogContext(fields, fn) — an API request, a swarm job — carries those fields
// (requestId; taskId, goalId, jobId, stage), however deep the code that writes it and whichever logger it holds.
import { AsyncLocalStorage } from 'node:async_hooks';
import { type DestinationStream, pino } from 'pino';

export type Logger = pino.Logger;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Fields every log line written in the current async scope carries. */
export type LogContext = Readonly<Record<string, string | number | undefined>>;

const scope = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `fields` added to every log line it (and everything it awaits) writes; nests, inner wins. */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  const outer = scope.getStore();
  return scope.run(outer ? { ...outer, ...fields } : fields, fn);
}

/** The fields of the current scope (undefined outside any). */
export const currentLogContext = (): LogContext | undefined => scope.getStore();

/** The secret values censored from every line, each as written and as it appears inside a JSON string. */
let secretValues: string[] = [];

/** Values shorter than this are not censored by value: they would censor ordinary words. */
export const MIN_REDACTED_LENGTH = 8;

/**
 * From now on, every log line of every logger shows these values as [redacted] (in any field, also inside error
 * messages and stacks), and so does redactSecretText. Values shorter than MIN_REDACTED_LENGTH are left out.
 */
export function redactValues(values: Iterable<string>): void {
  const added = new Set(secretValues);
  for (const v of values) {
    if (v.length < MIN_REDACTED_LENGTH) continue;
    added.add(v);
    // As pino writes it: inside a JSON string (quotes, backslashes and control characters escaped).
    added.add(JSON.stringify(v).slice(1, -1));
  }
  // Longest first, so a secret that contains another is censored whole.
  secretValues = [...added].sort((a, b) => b.length - a.length);
}

/** The text with every value given to redactValues replaced by [redacted] (for error messages printed directly). */
export function redactSecretText(text: string): string {
  let out = text;
  for (const v of secretValues) if (out.includes(v)) out = out.split(v).join('[redacted]');
  return out;
}

export function createLogger(
  level: LogLevel,
  base: Record<string, unknown> = {},
  destination?: DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'chimera', ...base },
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        '*.password',
        '*.token',
        '*.privateKey',
        '*.secret',
        '*.apiKey',
        '*.clientToken',
      ],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Values known to be secrets (those resolved from Vault) are censored wherever they appear in a line.
    hooks: { streamWrite: redactSecretText },
    // The scope's fields, minus those a child logger already binds (a key must not appear twice in one line).
    mixin(_merge, _level, instance) {
      const fields = scope.getStore();
      if (!fields) return {};
      const bound = instance.bindings();
      const out: Record<string, string | number> = {};
      for (const [k, v] of Object.entries(fields)) if (v !== undefined && !(k in bound)) out[k] = v;
      return out;
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
