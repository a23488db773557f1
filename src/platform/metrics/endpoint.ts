// GET /metrics: the exposition text, behind `Authorization: Bearer <token>` when a token is configured. The API
// serves it through yoga (src/graphql/plugins/observability.ts); a worker process serves it on a port of its own.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './registry.js';

export interface MetricsAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function tokenMatches(expected: string, authorization: string | null | undefined): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '');
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1]);
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** The answer to a scrape; `token` undefined means the endpoint is open. */
export async function answerScrape(
  metrics: Metrics,
  token: string | undefined,
  authorization: string | null | undefined,
): Promise<MetricsAnswer> {
  if (token !== undefined && !tokenMatches(token, authorization)) {
    return {
      status: 401,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="metrics"' },
      body: 'A valid metrics token is required: Authorization: Bearer <METRICS_TOKEN>.\n',
    };
  }
  return {
    status: 200,
    headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' },
    body: await metrics.scrape(),
  };
}

export interface MetricsServer {
  /** The URL of its /metrics. */
  url: string;
  close(): Promise<void>;
}

/** A worker process's /metrics on `port` (0 picks a free one). */
export async function startMetricsServer(opts: {
  metrics: Metrics;
  port: number;
  host?: string;
  token?: string;
  onError?: (err: unknown) => void;
}): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res
        .writeHead(req.method === 'GET' ? 404 : 405, { 'content-type': 'text/plain' })
        .end('Not found: GET /metrics\n');
      return;
    }
    answerScrape(opts.metrics, opts.token, req.headers.authorization).then(
      (answer) => res.writeHead(answer.status, answer.headers).end(answer.body),
      (err: unknown) => {
        opts.onError?.(err);
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
      },
    );
  });
  const host = opts.host ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
