// The news MCP server (mcp-servers/news) as real processes over stdio and Streamable HTTP: bundled samples and date
// replay, RSS/Atom/JSON Feed normalization, broken, missing and remote feeds, the per-feed template, search_news,
// and the refresh cache.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedInfo, NewsItem } from '../../mcp-servers/news/types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE_ARGS = ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
const SERVER = join(ROOT, 'mcp-servers/news/server.ts');
const BUNDLED = ['ai-tools', 'creator-daily', 'open-source-weekly'];

interface Latest {
  generatedAt: string;
  items: NewsItem[];
  errors: { feedId: string; message: string }[];
}

const clients: Client[] = [];
const children: ChildProcess[] = [];
const tempDirs: string[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'news-mcp-'));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

async function connectStdio(env: Record<string, string> = {}, cwd = ROOT): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...NODE_ARGS, SERVER],
    env: { PATH: process.env.PATH ?? '', ...env },
    cwd,
    stderr: 'pipe',
  });
  transport.stderr?.on('data', () => undefined); // logs are not checked here; keep the pipe drained
  const client = new Client({ name: 'news-test', version: '1.0.0' });
  clients.push(client);
  await client.connect(transport);
  return client;
}

interface HttpServer {
  url: string;
  child: ChildProcess;
  stdout: () => string;
  exited: Promise<number | null>;
}

async function startHttp(env: Record<string, string> = {}): Promise<HttpServer> {
  const child = spawn(process.execPath, [...NODE_ARGS, SERVER, '--transport', 'http', '--port', '0'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 20 s:\n${err}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening:\n${err}`)));
  });
  return { url, child, stdout: () => out, exited };
}

async function readJson<T>(client: Client, uri: string): Promise<T> {
  const { contents } = await client.readResource({ uri });
  expect(contents).toHaveLength(1);
  const [content] = contents;
  expect(content?.mimeType).toBe('application/json');
  if (!content || !('text' in content)) throw new Error(`${uri} has no text content`);
  return JSON.parse(content.text) as T;
}

async function search(client: Client, args: Record<string, unknown>) {
  const result = await client.callTool({ name: 'search_news', arguments: args });
  const text =
    Array.isArray(result.content) && result.content[0]?.type === 'text' ? String(result.content[0].text) : '';
  return { isError: result.isError === true, text, structured: result.structuredContent as { items: NewsItem[] } };
}

function expectNewestFirst(items: NewsItem[]): void {
  const dated = items.filter((i) => i.publishedAt !== null);
  // Undated items come last.
  expect(items.slice(0, dated.length)).toEqual(dated);
  const times = dated.map((i) => Date.parse(i.publishedAt ?? ''));
  expect(times).toEqual([...times].sort((a, b) => b - a));
}

const newestByFeed = (items: NewsItem[]) =>
  Object.fromEntries(BUNDLED.map((id) => [id, items.find((i) => i.source.feedId === id)?.publishedAt]));

describe('the bundled samples over stdio', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connectStdio();
  });

  it('lists the resources, the per-feed template and the search tool', async () => {
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toEqual(expect.arrayContaining(['news://latest', 'news://feeds', 'news://feeds/ai-tools']));
    expect(resources.find((r) => r.uri === 'news://latest')?.mimeType).toBe('application/json');
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toContain('news://feeds/{feedId}');
    const { tools } = await client.listTools();
    const tool = tools.find((t) => t.name === 'search_news');
    expect(tool?.inputSchema.required).toEqual(['query']);
    expect(tool?.outputSchema?.properties).toHaveProperty('items');
  });

  it('serves news://latest newest first, from all three formats, replayed to just before the start', async () => {
    const before = Date.now();
    const latest = await readJson<Latest>(client, 'news://latest');
    expect(latest.errors).toEqual([]);
    expect(latest.items.length).toBeGreaterThanOrEqual(24);
    expect(latest.items.length).toBeLessThanOrEqual(50);
    expectNewestFirst(latest.items);
    expect(new Set(latest.items.map((i) => i.source.feedId))).toEqual(new Set(BUNDLED));
    const newest = Date.parse(latest.items[0]?.publishedAt ?? '');
    expect(newest).toBeGreaterThan(before - 10 * 60_000);
    expect(newest).toBeLessThan(before - 4 * 60_000);
    // Every bundled feed's newest item is rebased to the same instant: start time minus five minutes.
    const perFeed = newestByFeed(latest.items);
    expect(new Set(Object.values(perFeed)).size).toBe(1);
    const { feeds } = await readJson<{ feeds: FeedInfo[] }>(client, 'news://feeds');
    expect(feeds.map((f) => [f.id, f.title, f.error])).toEqual([
      ['ai-tools', 'AI Tools Radar', null],
      ['creator-daily', 'Creator Daily', null],
      ['open-source-weekly', 'Open Source Weekly', null],
    ]);
    for (const feed of feeds) expect(feed.itemCount).toBeGreaterThanOrEqual(8);
  });

  it('carries the same stories in different words across feeds', async () => {
    for (const query of ['lumen 2', 'suncast', 'quillmark', 'clipwave 60%']) {
      const { structured } = await search(client, { query });
      expect(new Set(structured.items.map((i) => i.source.feedId)).size, query).toBeGreaterThanOrEqual(2);
    }
  });
});

describe('Streamable HTTP', () => {
  let server: HttpServer;
  beforeAll(async () => {
    server = await startHttp();
  });

  it('announces its URL, answers /health and refuses GET on /mcp', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const health = await fetch(new URL('/health', server.url));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    expect((await fetch(server.url)).status).toBe(405);
  });

  it('serves several clients one after the other', async () => {
    for (let n = 0; n < 3; n++) {
      const client = new Client({ name: `news-http-${n}`, version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
      const { resources } = await client.listResources();
      expect(resources.map((r) => r.uri)).toContain('news://latest');
      const latest = await readJson<Latest>(client, 'news://latest');
      expect(latest.items.length).toBeGreaterThan(0);
      const { structured } = await search(client, { query: 'Northwind', limit: 2 });
      expect(structured.items).toHaveLength(2);
      await client.close();
    }
  });

  it('exits cleanly on SIGTERM, having printed only the listening line', async () => {
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.stdout().trim().split('\n')).toEqual([JSON.stringify({ event: 'listening', url: server.url })]);
  });
});

const RSS = `<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
  <title>Fixture &amp; RSS</title><link>https://rss.example/</link>
  <item>
    <title>Tools &amp;amp; Tips: &lt;b&gt;Open&lt;/b&gt; weights &#8220;rock&#8221;</title>
    <link>https://rss.example/a</link><guid isPermaLink="false">rss-1</guid>
    <pubDate>Tue, 10 Nov 2026 09:30:00 +0200</pubDate><dc:creator>Ada Lovelace</dc:creator>
    <category> AI </category><category>ai</category><category>Tools</category>
    <description><![CDATA[<p>First   paragraph &amp; more.</p><script>alert(1)</script><p>Second&nbsp;one</p>]]></description>
  </item>
  <item><guid>rss-untitled</guid><description>An item without a title</description></item>
  <item><title>Bad date item</title><link>/relative/b</link><pubDate>not a date</pubDate>
    <author>jo@rss.example (Jo Bloggs)</author></item>
  <item><title>No link, no guid</title><pubDate>Mon, 09 Nov 2026 08:00:00 GMT</pubDate>
    <description>${'word '.repeat(400)}</description></item>
</channel></rss>`;

const ATOM = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">Atom &amp;amp; Fixture</title>
  <link rel="self" href="https://atom.example/feed.atom"/><link href="https://atom.example/"/>
  <author><name>Feed Author</name></author>
  <entry>
    <id>urn:uuid:atom-1</id><title type="html">Caf&amp;eacute; &lt;i&gt;models&lt;/i&gt;</title>
    <link rel="enclosure" href="https://atom.example/a.mp3"/><link rel="alternate" href="https://atom.example/posts/1"/>
    <published>2026-11-11T10:00:00+01:00</published><updated>2026-11-12T00:00:00Z</updated>
    <category term="open-source"/><category term="AI" label="Artificial intelligence"/>
    <author><name>Grace Hopper</name></author>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hello <b>world</b>,</p><p>again &amp; again</p></div></content>
  </entry>
  <entry>
    <id>urn:uuid:atom-2</id><title>Plain 5 &lt; 6</title><link href="https://atom.example/posts/2"/>
    <updated>2026-11-08T12:00:00Z</updated><summary>Just text.</summary>
  </entry>
  <entry><id>urn:uuid:atom-3</id><title>  </title><summary>A blank title is no title</summary></entry>
</feed>`;

const JSON_FEED = JSON.stringify({
  version: 'https://jsonfeed.org/version/1.1',
  title: 'JSON Fixture',
  home_page_url: 'https://json.example/',
  items: [
    {
      id: 'json-1',
      url: 'https://json.example/1',
      title: 'Solar &amp; storage <em>boom</em>',
      content_html: '<p>Batteries&nbsp;everywhere &lt;3</p>',
      date_published: '2026-11-12T08:00:00Z',
      tags: ['Climate', ' climate ', 'Energy'],
      authors: [{ name: 'Rachel Carson' }, { name: 'Wangari Maathai' }],
    },
    {
      id: 'json-2',
      external_url: 'https://elsewhere.example/x',
      title: 'Second JSON item',
      content_text: 'Plain   text body',
      date_published: '11', // V8's Date.parse reads this as November 2001
    },
    { id: 'json-3', content_text: 'no title here' },
    {
      id: 'json-dup-url',
      url: 'https://rss.example/a',
      title: 'Same url as rss-1',
      date_published: '2026-11-01T00:00:00Z',
    },
    { id: 'rss-1', url: 'https://json.example/dup', title: 'Same id as rss-1', date_published: '2026-11-01T00:00:00Z' },
  ],
});

const REMOTE_RSS = `<rss version="2.0"><channel><title>Remote</title>
  <item><title>Remote story about open weights</title><link>/posts/remote</link>
  <pubDate>Sat, 14 Nov 2026 12:00:00 GMT</pubDate></item></channel></rss>`;

describe('feeds from NEWS_FEEDS: files of each format, broken sources and URLs', () => {
  let client: Client;
  let origin: Server;
  let port = 0;
  const hits: Record<string, number> = {};
  const byId = (items: NewsItem[], id: string) => items.find((i) => i.id === id);

  beforeAll(async () => {
    origin = createServer((req, res) => {
      hits[req.url ?? ''] = (hits[req.url ?? ''] ?? 0) + 1;
      if (req.url === '/feed.xml') res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(REMOTE_RSS);
      else res.writeHead(500).end('boom');
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    port = (origin.address() as AddressInfo).port;
    const dir = await tempDir({
      'rss-fixture.txt': RSS,
      'atom-fixture.xml': ATOM,
      'json-fixture.feed': JSON_FEED,
      'broken.xml': '<rss><channel><title>Broken</title><item><title>oops</channel>',
    });
    const base = `http://127.0.0.1:${port}`;
    const feeds = `rss-fixture.txt, atom-fixture.xml,./json-fixture.feed,broken.xml,missing.xml,${base}/feed.xml,${base}/fail`;
    client = await connectStdio({ NEWS_FEEDS: feeds }, dir);
  });
  afterAll(() => new Promise<void>((resolve) => (origin ? origin.close(() => resolve()) : resolve())));

  it('normalizes RSS 2.0: entities, HTML, dates, categories, authors, ids; drops untitled items', async () => {
    const { items } = await readJson<{ items: NewsItem[] }>(client, 'news://feeds/rss-fixture');
    expect(byId(items, 'rss-1')).toEqual({
      id: 'rss-1',
      title: 'Tools & Tips: Open weights “rock”',
      summary: 'First paragraph & more. Second one',
      url: 'https://rss.example/a',
      publishedAt: '2026-11-10T07:30:00.000Z',
      source: { feedId: 'rss-fixture', title: 'Fixture & RSS', url: 'https://rss.example/' },
      categories: ['AI', 'Tools'],
      author: 'Ada Lovelace',
    });
    expect(items).toHaveLength(3);
    expect(items.map((i) => i.title)).not.toContain('');
    const badDate = items.find((i) => i.title === 'Bad date item');
    expect(badDate).toMatchObject({ id: 'https://rss.example/relative/b', publishedAt: null, author: 'Jo Bloggs' });
    expect(badDate?.url).toBe('https://rss.example/relative/b');
    const hashed = items.find((i) => i.title === 'No link, no guid');
    expect(hashed?.id).toMatch(/^[0-9a-f]{64}$/);
    expect(hashed?.url).toBeNull();
    expect(hashed?.summary.length).toBeLessThanOrEqual(1000);
    expect(hashed?.summary.length).toBeGreaterThan(900);
  });

  it('normalizes Atom 1.0: html and xhtml text, alternate links, published/updated, feed author', async () => {
    const { feed, items } = await readJson<{ feed: FeedInfo; items: NewsItem[] }>(client, 'news://feeds/atom-fixture');
    expect(feed).toMatchObject({ id: 'atom-fixture', title: 'Atom & Fixture', itemCount: 2, error: null });
    expect(items).toEqual([
      {
        id: 'urn:uuid:atom-1',
        title: 'Café models',
        summary: 'Hello world, again & again',
        url: 'https://atom.example/posts/1',
        publishedAt: '2026-11-11T09:00:00.000Z',
        source: { feedId: 'atom-fixture', title: 'Atom & Fixture', url: 'https://atom.example/' },
        categories: ['open-source', 'AI'],
        author: 'Grace Hopper',
      },
      expect.objectContaining({ id: 'urn:uuid:atom-2', title: 'Plain 5 < 6', summary: 'Just text.' }),
    ]);
    expect(items[1]).toMatchObject({ publishedAt: '2026-11-08T12:00:00.000Z', author: 'Feed Author', categories: [] });
  });

  it('normalizes JSON Feed 1.1: html content, tags, several authors, external_url, bad dates', async () => {
    const { items } = await readJson<{ items: NewsItem[] }>(client, 'news://feeds/json-fixture');
    expect(items.map((i) => i.id)).toEqual(['json-1', 'json-dup-url', 'rss-1', 'json-2']);
    expect(byId(items, 'json-1')).toEqual({
      id: 'json-1',
      title: 'Solar & storage boom',
      summary: 'Batteries everywhere <3',
      url: 'https://json.example/1',
      publishedAt: '2026-11-12T08:00:00.000Z',
      source: { feedId: 'json-fixture', title: 'JSON Fixture', url: 'https://json.example/' },
      categories: ['Climate', 'Energy'],
      author: 'Rachel Carson, Wangari Maathai',
    });
    expect(byId(items, 'json-2')).toMatchObject({
      url: 'https://elsewhere.example/x',
      summary: 'Plain text body',
      publishedAt: null,
      author: null,
    });
  });

  it('merges everything in news://latest: newest first, undated last, deduplicated by id and url', async () => {
    const latest = await readJson<Latest>(client, 'news://latest');
    expectNewestFirst(latest.items);
    expect(latest.items.at(-1)?.publishedAt).toBeNull();
    const ids = latest.items.map((i) => i.id);
    expect(ids.filter((id) => id === 'rss-1')).toHaveLength(1);
    expect(byId(latest.items, 'rss-1')?.source.feedId).toBe('rss-fixture');
    expect(ids).not.toContain('json-dup-url');
    expect(ids).toHaveLength(8);
    const remote = latest.items.find((i) => i.title === 'Remote story about open weights');
    expect(remote?.source.feedId).toBe(`127-0-0-1-${port}-feed-xml`);
    expect(remote?.url).toBe(`http://127.0.0.1:${port}/posts/remote`);
  });

  it('reports broken, missing and failing sources while the good ones still serve', async () => {
    const latest = await readJson<Latest>(client, 'news://latest');
    const errors = Object.fromEntries(latest.errors.map((e) => [e.feedId, e.message]));
    expect(Object.keys(errors).sort()).toEqual(['broken', 'missing', `127-0-0-1-${port}-fail`].sort());
    expect(errors.broken).toMatch(/invalid XML/);
    expect(errors.missing).toMatch(/not found/);
    expect(errors[`127-0-0-1-${port}-fail`]).toMatch(/HTTP 500/);
    const { feeds } = await readJson<{ feeds: FeedInfo[] }>(client, 'news://feeds');
    const status = Object.fromEntries(feeds.map((f) => [f.id, [f.itemCount, f.error === null]]));
    expect(status).toEqual({
      'rss-fixture': [3, true],
      'atom-fixture': [2, true],
      'json-fixture': [4, true],
      broken: [0, false],
      missing: [0, false],
      [`127-0-0-1-${port}-feed-xml`]: [1, true],
      [`127-0-0-1-${port}-fail`]: [0, false],
    });
    for (const feed of feeds) expect(Date.parse(feed.lastFetchedAt ?? '')).toBeGreaterThan(0);
    // Cached for NEWS_REFRESH_MS (default one minute): the URL was fetched once despite many reads.
    expect(hits['/feed.xml']).toBe(1);
  });

  it('rejects an unknown feed id on news://feeds/{feedId}', async () => {
    await expect(client.readResource({ uri: 'news://feeds/no-such-feed' })).rejects.toThrow(
      /Unknown feed "no-such-feed"/,
    );
    const missing = await readJson<{ feed: FeedInfo; items: NewsItem[] }>(client, 'news://feeds/missing');
    expect(missing.items).toEqual([]);
    expect(missing.feed.error).toMatch(/not found/);
  });

  it('search_news matches every word in title or summary, newest first, up to the limit', async () => {
    const words = await search(client, { query: 'OPEN weights' });
    expect(words.isError).toBe(false);
    expect(words.structured.items.map((i) => i.title)).toEqual([
      'Remote story about open weights',
      'Tools & Tips: Open weights “rock”',
    ]);
    expect(JSON.parse(words.text)).toEqual(words.structured);
    // One word in the summary, one in the title.
    expect((await search(client, { query: 'again café' })).structured.items.map((i) => i.id)).toEqual([
      'urn:uuid:atom-1',
    ]);
    expect((await search(client, { query: 'hello nosuchword' })).structured.items).toEqual([]);
    const limited = await search(client, { query: 'e', limit: 2 });
    expect(limited.structured.items.map((i) => i.id)).toEqual([`http://127.0.0.1:${port}/posts/remote`, 'json-1']);
    expect((await search(client, { query: 'e' })).structured.items.length).toBe(7);
  });

  it('search_news rejects bad input', async () => {
    for (const args of [{ query: '' }, { query: '   ' }, { query: 'x'.repeat(201) }, { query: 'a', limit: 0 }, {}]) {
      const result = await search(client, args);
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(result.text).toMatch(/invalid|validation/i);
    }
    expect((await search(client, { query: 'a', limit: 51 })).isError).toBe(true);
  });
});

describe('NEWS_SAMPLE_REPLAY', () => {
  it('false keeps the bundled dates; replay shifts each feed by one offset, keeping the spacing', async () => {
    const [original, replayed] = await Promise.all([
      connectStdio({ NEWS_SAMPLE_REPLAY: 'false' }).then((c) => readJson<Latest>(c, 'news://latest')),
      connectStdio({ NEWS_SAMPLE_REPLAY: 'true' }).then((c) => readJson<Latest>(c, 'news://latest')),
    ]);
    expect(newestByFeed(original.items)).toEqual({
      'ai-tools': '2026-11-27T08:00:00.000Z',
      'creator-daily': '2026-11-26T09:15:00.000Z',
      'open-source-weekly': '2026-11-25T07:30:00.000Z',
    });
    const originalDates = new Map(original.items.map((i) => [i.id, Date.parse(i.publishedAt ?? '')]));
    for (const feedId of BUNDLED) {
      const items = replayed.items.filter((i) => i.source.feedId === feedId);
      const offsets = new Set(items.map((i) => Date.parse(i.publishedAt ?? '') - (originalDates.get(i.id) ?? 0)));
      expect(offsets.size, feedId).toBe(1);
      expect([...offsets][0]).not.toBe(0);
    }
  });
});

describe('NEWS_REFRESH_MS', () => {
  const feed = (title: string) =>
    JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 'Live', items: [{ id: 'live-1', title }] });

  it('re-reads a changed feed file only once the refresh interval has passed', async () => {
    const dir = await tempDir({ 'live.json': feed('Version one') });
    const client = await connectStdio({ NEWS_FEEDS: join(dir, 'live.json'), NEWS_REFRESH_MS: '1000' });
    type One = { feed: FeedInfo; items: NewsItem[] };
    const first = await readJson<One>(client, 'news://feeds/live');
    expect(first.items.map((i) => i.title)).toEqual(['Version one']);
    const fetchedAt = Date.parse(first.feed.lastFetchedAt ?? '');
    await writeFile(join(dir, 'live.json'), feed('Version two'));
    const cached = await readJson<One>(client, 'news://feeds/live');
    expect(Date.now() - fetchedAt).toBeLessThan(1000); // otherwise this check would prove nothing
    expect(cached.items.map((i) => i.title)).toEqual(['Version one']);
    expect(cached.feed.lastFetchedAt).toBe(first.feed.lastFetchedAt);
    await sleep(Math.max(0, fetchedAt + 1100 - Date.now()));
    const fresh = await readJson<One>(client, 'news://feeds/live');
    expect(fresh.items.map((i) => i.title)).toEqual(['Version two']);
    expect(Date.parse(fresh.feed.lastFetchedAt ?? '')).toBeGreaterThan(fetchedAt);
  });
});
