// Turns whatever a resolver threw into the error a client sees: a coded GraphQLError for expected failures,
// a masked INTERNAL_SERVER_ERROR (logged with its cause) for everything else.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';
import {
  ConflictError,
  DomainError,
  NotFoundError,
  RateLimitedError,
  ValidationError,
} from '../domain/shared/errors.js';

/** PostgreSQL SQLSTATEs that mean "the input broke a database rule", with what the client should hear. */
const PG_INPUT_ERRORS: Record<string, { code: string; message: string }> = {
  '23502': { code: 'BAD_USER_INPUT', message: 'A required value is missing.' },
  '23503': { code: 'NOT_FOUND', message: 'A referenced object does not exist.' },
  '23505': { code: 'CONFLICT', message: 'An object with the same unique values already exists.' },
  '23514': { code: 'BAD_USER_INPUT', message: 'A value is outside its allowed range.' },
  '22P02': { code: 'BAD_USER_INPUT', message: 'A value has the wrong format.' },
  '22001': { code: 'BAD_USER_INPUT', message: 'A value is too long.' },
  '22003': { code: 'BAD_USER_INPUT', message: 'A number is out of range.' },
};

function domainToGraphQL(err: DomainError): GraphQLError {
  // The domain names objects by their database id; clients know them by their global id.
  if (err instanceof NotFoundError || err instanceof ConflictError) {
    const id = encodeGlobalID(err.entity, err.id);
    const detail = err instanceof NotFoundError ? 'does not exist.' : err.detail;
    return new GraphQLError(`${err.entity} ${id} ${detail}`, {
      extensions: { code: err.code, entity: err.entity, id },
    });
  }
  const extensions: Record<string, unknown> = { code: err.code, ...err.details };
  if (err instanceof ValidationError && err.issues.length) extensions.issues = err.issues;
  if (err instanceof RateLimitedError) {
    extensions.limit = err.limit;
    extensions.retryAfterSeconds = err.retryAfterSeconds;
  }
  return new GraphQLError(err.message, { extensions });
}

/** Finds a SQLSTATE anywhere in a driver/Prisma error chain. */
function sqlStateOf(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 5) return undefined;
  const e = err as { code?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  const cause = e.cause as { originalCode?: unknown } | undefined;
  if (cause && typeof cause.originalCode === 'string') return cause.originalCode;
  return sqlStateOf(e.cause, depth + 1) ?? sqlStateOf(e.meta?.driverAdapterError, depth + 1);
}

/** Seconds a client is told to wait when a dependency (PostgreSQL, Redis) is unreachable. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
// Prisma: can't reach / timed out / server closed the connection / pool timeout.
const PRISMA_UNREACHABLE = new Set(['P1001', 'P1002', 'P1017', 'P2024']);
const UNREACHABLE_MESSAGES = [
  'Connection is closed', // ioredis, after the connection dropped
  'Reached the max retries per request limit', // ioredis MaxRetriesPerRequestError
  "Stream isn't writeable", // ioredis with the offline queue off
  'Connection terminated', // pg
  'the database system is', // pg: shutting down / starting up / in recovery
];

/**
 * True when the error chain says a dependency is unreachable (refused or dropped connection, server shutting down,
 * connection-class SQLSTATEs 08xxx / 57P01–57P03), not that the operation itself was wrong.
 */
export function isDependencyUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 6) return false;
  const e = err as { code?: unknown; name?: unknown; message?: unknown; kind?: unknown; cause?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (UNREACHABLE_CODES.has(code) || PRISMA_UNREACHABLE.has(code)) return true;
  if (/^08[0-9A-Z]{3}$/.test(code) || ['57P01', '57P02', '57P03'].includes(code)) return true;
  if (e.name === 'MaxRetriesPerRequestError' || e.kind === 'DatabaseNotReachable') return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (UNREACHABLE_MESSAGES.some((m) => message.includes(m))) return true;
  if (err instanceof AggregateError && err.errors.some((x) => isDependencyUnavailable(x, depth + 1))) return true;
  const meta = (err as { meta?: { driverAdapterError?: unknown } }).meta;
  return isDependencyUnavailable(e.cause, depth + 1) || isDependencyUnavailable(meta?.driverAdapterError, depth + 1);
}

/** The answer while a dependency is down: 503 with Retry-After, coded SERVICE_UNAVAILABLE (cf. SERVICE_OVERLOADED). */
export function serviceUnavailable(): GraphQLError {
  const retryAfterSeconds = UNAVAILABLE_RETRY_AFTER_SECONDS;
  return new GraphQLError(`A dependency of the service is unavailable. Retry in ${retryAfterSeconds} s.`, {
    extensions: {
      code: 'SERVICE_UNAVAILABLE',
      retryAfterSeconds,
      http: { status: 503, headers: { 'retry-after': String(retryAfterSeconds) } },
    },
  });
}

/** Returns the client-facing error for a known failure, or null when the error must be masked. */
export function toClientError(err: unknown): GraphQLError | null {
  if (err instanceof DomainError) return domainToGraphQL(err);
  if (isDependencyUnavailable(err)) return serviceUnavailable();
  if (err instanceof GraphQLError && typeof err.extensions?.code === 'string') return err;
  if (err instanceof Error && err.name === 'PothosValidationError') {
    return new GraphQLError(err.message, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  const state = sqlStateOf(err);
  const known = state ? PG_INPUT_ERRORS[state] : undefined;
  if (known) return new GraphQLError(known.message, { extensions: { code: known.code } });
  return null;
}
