// Structured JSON logs (pino). Secrets never reach a log line: known secret-bearing paths are redacted.
import { pino } from 'pino';

export type Logger = pino.Logger;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export function createLogger(level: LogLevel, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'chimera', ...base },
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.password', '*.token', '*.privateKey'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
