// Persisted operations on the real server: the trusted documents by id over GET and POST, in both id forms; with
// PERSISTED_OPERATIONS=only nothing else runs, and an unknown id is refused with a code.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

const documents = JSON.parse(readFileSync(new URL('../../trusted-documents.json', import.meta.url), 'utf8')) as Record<
  string,
  string
>;
const idOf = (name: string) => {
  const found = Object.entries(documents).find(([, text]) => new RegExp(`\\b(query|mutation) ${name}\\b`).test(text));
  if (!found) throw new Error(`no trusted document ${name}`);
  return found[0];
};

let dev: TestApp;
let prod: TestApp;
let devUrl: string;
let prodUrl: string;
beforeAll(async () => {
  dev = await startTestApp();
  prod = await startTestApp({ PERSISTED_OPERATIONS: 'only' });
  devUrl = `${await dev.app.listen()}/graphql`;
  prodUrl = `${await prod.app.listen()}/graphql`;
}, 120_000);
afterAll(async () => {
  await dev?.close();
  await prod?.close();
});

async function get(base: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  const url = new URL(base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { headers: { accept: 'application/json', ...headers } });
  return {
    status: res.status,
    body: (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] },
  };
}
const codeOf = (r: { body: { errors?: { extensions?: { code?: string } }[] } }) => r.body.errors?.[0]?.extensions?.code;

describe('trusted documents', () => {
  it('run by documentId over GET, with variables, in both id forms', async () => {
    const id = idOf('PublicPosts');
    const byId = await get(prodUrl, { documentId: id, variables: JSON.stringify({ limit: 3 }) });
    expect([byId.status, byId.body.errors]).toEqual([200, undefined]);
    expect(byId.body.data).toEqual({ publicPosts: [] });
    const apq = await get(prodUrl, {
      extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: id.replace('sha256:', '') } }),
    });
    expect(apq.body).toEqual(byId.body);
  });

  it('run by documentId over POST (mutations too), as the caller', async () => {
    const admin = await prod.admin();
    const res = await fetch(prodUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin.headers },
      body: JSON.stringify({ documentId: idOf('CreateAgent'), variables: { input: { name: 'by-document-id' } } }),
    });
    const body = (await res.json()) as { data?: { createAgent?: { name: string } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data?.createAgent?.name).toBe('by-document-id');
  });

  it('are the only operations with PERSISTED_OPERATIONS=only; an unknown id is refused', async () => {
    const text = await get(prodUrl, { query: '{ publicTrends { id } }' });
    expect([text.status, codeOf(text)]).toEqual([400, 'PERSISTED_QUERY_ONLY']);
    const unknown = await get(prodUrl, { documentId: `sha256:${'0'.repeat(64)}` });
    expect([unknown.status, codeOf(unknown)]).toEqual([404, 'PERSISTED_QUERY_NOT_FOUND']);
  });

  it('sit beside any document in development (PERSISTED_OPERATIONS=allow)', async () => {
    const text = await get(devUrl, { query: '{ publicTrends { id } }' });
    expect([text.status, text.body.data]).toEqual([200, { publicTrends: [] }]);
    const byId = await get(devUrl, { documentId: idOf('PublicTrends') });
    expect(byId.body.data).toEqual({ publicTrends: [] });
  });
});
