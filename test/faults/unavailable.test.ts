// The classification behind the API's 503 SERVICE_UNAVAILABLE: real errors from a refused PostgreSQL connection and
// a Redis that is not there count as "dependency unavailable"; an input error or a plain bug does not.
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isDependencyUnavailable, toClientError } from '../../src/graphql/errors.js';
import { freePort as closedPort } from './seed.js';

describe('dependency-unavailable errors', () => {
  it('a refused PostgreSQL connection answers 503 SERVICE_UNAVAILABLE with Retry-After', async () => {
    const client = new pg.Client({ connectionString: `postgres://x@127.0.0.1:${await closedPort()}/x` });
    const err = await client.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).not.toBeNull();
    expect(isDependencyUnavailable(err)).toBe(true);
    const known = toClientError(err);
    expect(known?.extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect(known?.extensions.http).toEqual({ status: 503, headers: { 'retry-after': '5' } });
  });

  it('a Redis command that cannot reach the server counts as unavailable', async () => {
    const redis = new Redis(`redis://127.0.0.1:${await closedPort()}`, {
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
      lazyConnect: false,
    });
    redis.on('error', () => undefined);
    try {
      const err = await redis.get('k').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).not.toBeNull();
      expect(isDependencyUnavailable(err)).toBe(true);
    } finally {
      redis.disconnect();
    }
  });

  it('an input error or a bug is not', () => {
    expect(isDependencyUnavailable(Object.assign(new Error('dup'), { code: '23505' }))).toBe(false);
    expect(isDependencyUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(toClientError(new TypeError('x is undefined'))).toBeNull();
  });
});
