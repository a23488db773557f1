// /metrics behind METRICS_TOKEN over a real port (and off with METRICS=false), and a worker process's own /metrics on
// WORKER_METRICS_PORT, behind the same token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/platform/log/logger.js';
import { createWorkerObservability } from '../../src/swarm/observability.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { parseExposition, seriesValue } from '../helpers/prometheus.js';

const TOKEN = 'a-metrics-token-for-the-test';
let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await startTestApp({ METRICS_TOKEN: TOKEN });
  base = await t.app.listen();
}, 120_000);
afterAll(() => t?.close());

describe('the metrics token', () => {
  it('refuses a scrape without it or with a wrong one, and answers one with it', async () => {
    const none = await fetch(`${base}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.text()).not.toContain('chimera_');
    for (const wrong of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, TOKEN, 'Basic abc']) {
      expect((await fetch(`${base}/metrics`, { headers: { authorization: wrong } })).status).toBe(401);
    }
    const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    const samples = parseExposition(await ok.text());
    // The refused scrapes were counted (route class "metrics", status 401).
    expect(
      seriesValue(samples, 'chimera_http_requests_total', { method: 'GET', route: 'metrics', status: '401' }),
    ).toBe(5);
  });

  it('is not served at all with METRICS=false', async () => {
    const off = await startTestApp({ METRICS: 'false' });
    try {
      const res = await off.app.yoga.fetch('http://chimera.test/metrics');
      expect(res.status).toBe(404);
    } finally {
      await off.close();
    }
  });
});

describe('a worker process', () => {
  it('serves its own /metrics on WORKER_METRICS_PORT, behind the token', async () => {
    const config = loadConfig({
      CHIMERA_ENV: 'test',
      DATABASE_URL: t.app.config.databaseUrl,
      REDIS_KEY_PREFIX: t.app.config.redisKeyPrefix,
      WORKER_METRICS_PORT: '0',
      METRICS_TOKEN: TOKEN,
      MONITOR_INTERVAL_MS: '0',
    });
    const watch = createWorkerObservability(config, {
      db: t.app.db,
      logger: createLogger('silent'),
      publish: () => undefined,
      role: 'worker:test',
    });
    let mode = '';
    await watch.start({
      throttle: async (m) => {
        mode = m;
      },
    });
    try {
      const url = watch.metricsUrl as string;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect((await fetch(url)).status).toBe(401);
      watch.metrics?.job({ stage: 'worker', result: 'completed', seconds: 0.2 });
      const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      const samples = parseExposition(await res.text());
      expect(seriesValue(samples, 'chimera_swarm_jobs_total', { stage: 'worker', result: 'completed' })).toBe(1);
      expect(seriesValue(samples, 'process_resident_memory_bytes', { process: 'worker:test' })).toBeGreaterThan(0);
      expect((await fetch(url.replace('/metrics', '/other'))).status).toBe(404);
      expect(mode).toBe(''); // no monitor ran (MONITOR_INTERVAL_MS=0), so nothing was throttled
    } finally {
      await watch.close();
    }
  });
});
