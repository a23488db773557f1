// The purgers over HTTP against local servers speaking Fastly's and Cloudflare's purge APIs (neither can be reached
// here), and the repurge that catches what an edge stored from a fetch that raced the write. Varnish's purger runs
// against a real Varnish in varnish.test.ts.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import {
  createCloudflarePurger,
  createEdgePurger,
  createFastlyPurger,
  PurgeError,
  withRepurge,
} from '../../src/platform/edge/purge.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
let server: Server;
let base: string;
const seen: Seen[] = [];
let status = 200;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? '{"status":"ok","success":true}' : '{"errors":["nope"]}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const tags = (n: number) => Array.from({ length: n }, (_, i) => `Task:${String(i).padStart(8, '0')}`);

describe('Fastly', () => {
  it('POSTs the tags as Surrogate-Key to the service purge endpoint, 256 at a time', async () => {
    seen.length = 0;
    await createFastlyPurger({ serviceId: 'svc 1', apiToken: 'fastly-token', apiUrl: base }).purge(tags(300));
    expect(seen.map((s) => [s.method, s.url])).toEqual([
      ['POST', '/service/svc%201/purge'],
      ['POST', '/service/svc%201/purge'],
    ]);
    expect(seen[0]?.headers['fastly-key']).toBe('fastly-token');
    expect(String(seen[0]?.headers['surrogate-key']).split(' ')).toHaveLength(256);
    expect(String(seen[1]?.headers['surrogate-key']).split(' ')).toEqual(tags(300).slice(256));
  });
});

describe('Cloudflare', () => {
  it('POSTs {"tags": […]} to the zone purge endpoint with the token, 30 at a time', async () => {
    seen.length = 0;
    await createCloudflarePurger({ zoneId: 'zone1', apiToken: 'cf-token', apiUrl: base }).purge(tags(31));
    expect(seen.map((s) => [s.method, s.url])).toEqual([
      ['POST', '/zones/zone1/purge_cache'],
      ['POST', '/zones/zone1/purge_cache'],
    ]);
    expect(seen[0]?.headers.authorization).toBe('Bearer cf-token');
    expect(JSON.parse(seen[0]?.body ?? '{}').tags).toEqual(tags(31).slice(0, 30));
    expect(JSON.parse(seen[1]?.body ?? '{}').tags).toEqual(['Task:00000030']);
  });

  it('reports a refusal as a PurgeError with the status', async () => {
    status = 403;
    try {
      const err = await createCloudflarePurger({ zoneId: 'z', apiToken: 't', apiUrl: base })
        .purge(['x'])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PurgeError);
      expect(String(err)).toMatch(/cloudflare purge answered 403/);
    } finally {
      status = 200;
    }
    const down = await createFastlyPurger({ serviceId: 's', apiToken: 't', apiUrl: 'http://127.0.0.1:1' })
      .purge(['x'])
      .catch((e: unknown) => e);
    expect(down).toBeInstanceOf(PurgeError);
  });
});

describe('the repurge and the configuration', () => {
  it('purges again a moment later', async () => {
    const calls: string[][] = [];
    const p = withRepurge({ name: 'fake', purge: async (t) => void calls.push([...t]) }, 50);
    await p.purge(['a']);
    expect(calls).toEqual([['a']]);
    await new Promise((r) => setTimeout(r, 120));
    expect(calls).toEqual([['a'], ['a']]);
  });

  it('builds the configured purger, and refuses one without its settings', () => {
    expect(createEdgePurger({ kind: 'none', repurgeMs: 0 })).toBeNull();
    expect(
      createEdgePurger({
        ...loadConfig({ EDGE_PURGE: 'varnish', VARNISH_PURGE_URL: 'http://v:6081/' }).cache.edge,
        repurgeMs: 0,
      })?.name,
    ).toBe('varnish');
    expect(() => loadConfig({ EDGE_PURGE: 'fastly', FASTLY_SERVICE_ID: 's' })).toThrow(/FASTLY_API_TOKEN/);
    expect(() => loadConfig({ EDGE_PURGE: 'cloudflare' })).toThrow(/CLOUDFLARE_ZONE_ID/);
    expect(() => loadConfig({ EDGE_PURGE: 'akamai' })).toThrow(/EDGE_PURGE/);
  });
});
