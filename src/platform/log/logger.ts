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

const secretValues: string[] = [];

/**
 * From now on, every log line of every logger shows these values as [redacted] (in any field, also inside error
 * messages). Values shorter than 8 characters are left out: they would censor ordinary words.
 */
export function redactValues(values: Iterable<string>): void {
  for (const v of values) {
    if (v.length < 8) continue;
    // As pino writes it: inside a JSON string.
    const encoded = JSON.stringify(v).slice(1, -1);
    if (!secretValues.includes(encoded)) secretValues.push(encoded);
  }
}

function censorSecrets(line: string): string {
  let out = line;
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
      paths: ['req.headers.authorization', 'headers.authorization', '*.password', '*.token', '*.privateKey'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Values known to be secrets (those resolved from Vault) are censored wherever they appear in a line.
    hooks: { streamWrite: censorSecrets },
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
