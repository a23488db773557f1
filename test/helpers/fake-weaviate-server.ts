// A real HTTP server on 127.0.0.1 speaking the part of Weaviate's REST API that backups use: GET /v1/schema,
// DELETE /v1/schema/{class}, POST /v1/graphql (Aggregate meta counts only), POST /v1/backups/{backend},
// GET /v1/backups/{backend}/{id}, POST and GET /v1/backups/{backend}/{id}/restore. Like Weaviate, a backup or restore
// goes STARTED → TRANSFERRING → SUCCESS over successive status polls, ids must be lower case, a restore over an
// existing class fails, and an API key is required when one is set. Classes hold only an object count.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeWeaviate {
  url: string;
  /** Class name → object count (the "data"). */
  classes: Map<string, number>;
  /** Backup id → the classes and counts it holds. */
  backups: Map<string, Map<string, number>>;
  requests: { method: string; path: string; body: unknown }[];
  /** Make the next backup or restore end FAILED with this error. */
  failNext?: string;
  close(): Promise<void>;
}

const STEPS = ['STARTED', 'TRANSFERRING', 'SUCCESS'];

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
const fail = (res: ServerResponse, status: number, message: string) => send(res, status, { error: [{ message }] });

export async function startFakeWeaviate(opts: { apiKey?: string } = {}): Promise<FakeWeaviate> {
  const progress = new Map<string, { polls: number; error?: string }>();
  const w: FakeWeaviate = {
    url: '',
    classes: new Map(),
    backups: new Map(),
    requests: [],
    close: async () => undefined,
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    w.requests.push({ method: req.method ?? '', path, body });
    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`)
      return fail(res, 401, 'anonymous access not enabled');
    const parts = path.split('/').slice(1).map(decodeURIComponent);
    if (req.method === 'GET' && path === '/v1/schema') {
      return send(res, 200, { classes: [...w.classes.keys()].map((c) => ({ class: c, properties: [] })) });
    }
    if (req.method === 'DELETE' && parts[1] === 'schema' && parts[2]) {
      w.classes.delete(parts[2]);
      return send(res, 200, {});
    }
    if (req.method === 'POST' && path === '/v1/graphql') {
      const query = String(body?.query ?? '');
      const names = [...query.matchAll(/(\w+) \{ meta \{ count \} \}/g)].map((m) => m[1] as string);
      const missing = names.find((n) => !w.classes.has(n));
      if (missing) return send(res, 200, { errors: [{ message: `Cannot query field "${missing}"` }] });
      return send(res, 200, {
        data: { Aggregate: Object.fromEntries(names.map((n) => [n, [{ meta: { count: w.classes.get(n) } }]])) },
      });
    }
    if (parts[1] !== 'backups' || !parts[2]) return fail(res, 404, `no route ${req.method} ${path}`);
    const backend = parts[2];
    const id = parts[3];
    const poll = (key: string, done: () => void) => {
      const p = progress.get(key);
      if (!p) return fail(res, 404, `no ${key}`);
      p.polls += 1;
      if (p.error) return send(res, 200, { id, backend, status: 'FAILED', error: p.error });
      const status = STEPS[Math.min(p.polls, STEPS.length - 1)];
      if (status === 'SUCCESS' && p.polls === STEPS.length - 1) done();
      return send(res, 200, { id, backend, status, path: `/var/lib/weaviate/backups/${id}` });
    };
    if (req.method === 'POST' && !id) {
      const newId = String(body?.id ?? '');
      if (!/^[a-z0-9_-]+$/.test(newId)) return fail(res, 422, `invalid backup id: ${newId}`);
      if (w.backups.has(newId)) return fail(res, 422, `backup ${newId} already exists`);
      const include = (body?.include as string[] | undefined) ?? [...w.classes.keys()];
      const unknown = include.find((c) => !w.classes.has(c));
      if (unknown) return fail(res, 422, `class ${unknown} doesn't exist`);
      progress.set(`backup:${newId}`, { polls: 0, ...(w.failNext ? { error: w.failNext } : {}) });
      w.failNext = undefined;
      w.backups.set(newId, new Map(include.map((c) => [c, w.classes.get(c) ?? 0])));
      return send(res, 200, { id: newId, backend, classes: include, status: 'STARTED' });
    }
    if (req.method === 'GET' && id && parts[4] === undefined) return poll(`backup:${id}`, () => undefined);
    if (req.method === 'POST' && id && parts[4] === 'restore') {
      const held = w.backups.get(id);
      if (!held) return fail(res, 404, `backup ${id} not found`);
      const include = (body?.include as string[] | undefined) ?? [...held.keys()];
      const clash = include.find((c) => w.classes.has(c));
      if (clash) return fail(res, 422, `restore class ${clash}: already exists`);
      progress.set(`restore:${id}`, { polls: 0, ...(w.failNext ? { error: w.failNext } : {}) });
      w.failNext = undefined;
      return send(res, 200, { id, backend, classes: include, status: 'STARTED' });
    }
    if (req.method === 'GET' && id && parts[4] === 'restore') {
      return poll(`restore:${id}`, () => {
        for (const [c, n] of w.backups.get(id) ?? []) w.classes.set(c, n);
      });
    }
    return fail(res, 404, `no route ${req.method} ${path}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  w.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  w.close = () => new Promise((resolve) => server.close(() => resolve()));
  return w;
}
