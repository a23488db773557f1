// A real edge: Varnish with xkey and the shipped VCL in front of the API. Public results MISS then HIT; a caller's
// own results never come from (or go into) the edge; a mutation and a write from outside GraphQL (a worker's) purge
// exactly the objects they change, so the next read through the edge is fresh and the others stay cached.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent } from '../helpers/fixtures.js';
import { freePort, startVarnish, type Varnish } from '../helpers/varnish.js';
import { eventually } from '../helpers/ws-client.js';

const documents = JSON.parse(readFileSync(new URL('../../trusted-documents.json', import.meta.url), 'utf8')) as Record<
  string,
  string
>;
const idOf = (name: string) =>
  Object.entries(documents).find(([, text]) => new RegExp(`\\b(query|mutation) ${name}\\b`).test(text))?.[0] ?? '';

let t: TestApp;
let edge: Varnish;
let a: { id: string; personaId: string | null };
let b: { id: string };
let trendId: string;

beforeAll(async () => {
  const edgePort = await freePort();
  t = await startTestApp({
    RESPONSE_CACHE: 'true',
    EDGE_PURGE: 'varnish',
    VARNISH_PURGE_URL: `http://127.0.0.1:${edgePort}/`,
    EDGE_REPURGE_MS: '200',
  });
  const api = new URL(await t.app.listen());
  await t.app.changeFeed?.listening;
  edge = await startVarnish({ backendPort: Number(api.port), port: edgePort });
  a = await makeAgent(t.app.db, 'edge-a');
  b = await makeAgent(t.app.db, 'edge-b');
  for (const [agent, text] of [
    [a, 'A says hello'],
    [b, 'B says hello'],
  ] as const) {
    await t.app.db.content.create({
      data: { agentId: agent.id, contentType: 'text', contentData: text, status: 'published', publishedAt: new Date() },
    });
  }
  trendId = (await t.app.db.trend.create({ data: { topic: 'Edge caching', relevanceScore: 0.8, active: true } })).id;
  // The fixtures' writes purge the edge (now and EDGE_REPURGE_MS later): let both happen before the tests read, or a
  // late purge of a fixture's tags empties what a test just stored.
  await t.app.changeFeed?.barrier();
  await new Promise((r) => setTimeout(r, 400));
}, 120_000);
afterAll(async () => {
  await edge?.stop();
  await t?.close();
});

async function through(params: Record<string, string>, headers: Record<string, string> = {}) {
  const url = new URL(`${edge.url}/graphql`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { headers: { accept: 'application/json', ...headers } });
  return {
    status: res.status,
    xCache: res.headers.get('x-cache'),
    cacheControl: res.headers.get('cache-control'),
    xkey: res.headers.get('xkey'),
    text: await res.text(),
  };
}

const postsOf = (agentName: string) => ({ documentId: idOf('PublicPosts'), variables: JSON.stringify({ agentName }) });
const trends = { documentId: idOf('PublicTrends') };

describe('Varnish in front of the API', () => {
  it('answers a public query from the API once, then from the edge', async () => {
    const first = await through(postsOf('edge-a'));
    const second = await through(postsOf('edge-a'));
    expect([first.status, first.xCache, second.xCache]).toEqual([200, 'MISS', 'HIT']);
    expect(second.text).toBe(first.text);
    expect(JSON.parse(second.text).data.publicPosts.map((p: { text: string }) => p.text)).toEqual(['A says hello']);
    expect(second.cacheControl).toMatch(/^public, max-age=0, s-maxage=\d+/);
    // The tags are for the edge, not for clients.
    expect(second.xkey).toBeNull();
  });

  it('never serves a caller’s own result from the edge, nor stores it', async () => {
    const operator = await t.signIn(['agent_operator'], { attributes: { agentIds: [a.id] } });
    const mine = { query: '{ agents(first: 5) { edges { node { id name } } } }' };
    const first = await through(mine, operator.headers);
    const second = await through(mine, operator.headers);
    expect([first.xCache, second.xCache]).toEqual(['PASS', 'PASS']);
    expect(second.cacheControl).toBe('private, no-store');
    expect(second.text).toContain('edge-a');
    // The same URL without the credential gets nothing of it.
    const stranger = await through(mine);
    expect(stranger.text).not.toContain('edge-a');
    expect(JSON.parse(stranger.text).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect((await through(mine)).xCache).not.toBe('HIT');
  });

  it('purges exactly what a mutation changed: the next read is fresh, the rest stays cached', async () => {
    for (const req of [postsOf('edge-a'), postsOf('edge-b'), trends]) {
      await through(req);
      expect((await through(req)).xCache).toBe('HIT');
    }
    const admin = await t.admin();
    const res = await fetch(`${edge.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin.headers },
      body: JSON.stringify({
        query: 'mutation ($id: ID!) { updatePersona(id: $id, input: { name: "Renamed Persona" }) { id name } }',
        variables: { id: gid('Persona', a.personaId as string) },
      }),
    });
    expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
    const fresh = await through(postsOf('edge-a'));
    expect(fresh.xCache).toBe('MISS');
    expect(fresh.text).toContain('Renamed Persona');
    expect((await through(postsOf('edge-b'))).xCache).toBe('HIT');
    expect((await through(trends)).xCache).toBe('HIT');
  });

  it('purges what a worker’s write changed, too (any writer outside GraphQL)', async () => {
    await through(trends);
    expect((await through(trends)).xCache).toBe('HIT');
    await through(postsOf('edge-b'));
    await t.app.db.trend.update({ where: { id: trendId }, data: { topic: 'Edge caching, revisited' } });
    const fresh = await eventually(
      async () => {
        const r = await through(trends);
        return r.text.includes('Edge caching, revisited') ? r : undefined;
      },
      5_000,
      'the edge to serve the new topic',
    );
    expect(fresh.xCache).toBe('MISS');
    expect((await through(postsOf('edge-b'))).xCache).toBe('HIT');
  });

  it('refuses a purge without tags', async () => {
    const res = await fetch(`${edge.url}/`, { method: 'PURGE' });
    expect(res.status).toBe(400);
  });
});
