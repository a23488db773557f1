// The `social` platform sandbox (mcp-servers/social) as real processes, driven by the official MCP SDK client over
// Streamable HTTP and stdio: posts and the UI, idempotency (also across kill -9), the quota, replies, mentions,
// metrics, deletion, input errors, signed and batched webhooks with retries and restarts, the simulated audience,
// and a corrupt state file.
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planAudience } from '../../mcp-servers/social/audience.js';
import type { SandboxProcess } from '../../mcp-servers/social/harness.js';
import { REPO_ROOT, SERVER_ENTRY, sandboxEnv, spawnRaw, spawnSandbox } from '../../mcp-servers/social/harness.js';
import type { Post, State } from '../../mcp-servers/social/state.js';

interface PostAnswer {
  postId: string;
  url: string;
  postedAt: string;
  duplicate: boolean;
}
interface Failure {
  code: string;
  message: string;
  [key: string]: unknown;
}
interface Mention {
  commentId: string;
  postId: string;
  author: string;
  text: string;
  createdAt: string;
}
interface Metrics {
  postId: string;
  likes: number;
  comments: number;
  shares: number;
  views: number;
  clicks: number;
  updatedAt: string;
}
interface WebhookEvent {
  id: string;
  platform: string;
  type: string;
  createdAt: string;
  interactions: {
    postId: string;
    type: string;
    occurredAt: string;
    data: { author: string; text?: string; commentId?: string; reported?: boolean };
  }[];
}
interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  event: WebhookEvent;
  status: number;
  at: number;
}

const SECRET = 'test-webhook-secret';
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'social-sandbox-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A state file path in a directory that does not exist yet (the server creates it). */
const stateFile = () => join(tempDir(), 'nested', 'state.json');

async function start(file: string, env: Record<string, string> = {}): Promise<SandboxProcess> {
  const sandbox = await spawnSandbox({ stateFile: file, env });
  cleanups.push(() => sandbox.stop('SIGKILL'));
  return sandbox;
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'social-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  cleanups.push(() => client.close().catch(() => undefined));
  return client;
}

async function invoke(client: Client, name: string, args: Record<string, unknown>, options?: RequestOptions) {
  const result = await client.callTool({ name, arguments: args }, undefined, options);
  const content = result.content as { type: string; text?: string }[];
  expect(content).toHaveLength(1);
  expect(content[0]?.type).toBe('text');
  return { isError: result.isError === true, json: JSON.parse(content[0]?.text ?? '') as unknown, result };
}

async function ok<T>(client: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const { isError, json, result } = await invoke(client, name, args);
  expect(isError, JSON.stringify(json)).toBe(false);
  expect(result.structuredContent).toEqual(json);
  return json as T;
}

async function fails(client: Client, name: string, args: Record<string, unknown>): Promise<Failure> {
  const { isError, json } = await invoke(client, name, args);
  expect(isError, JSON.stringify(json)).toBe(true);
  const failure = json as Failure;
  expect(typeof failure.message).toBe('string');
  return failure;
}

const post = (c: Client, account: string, text: string, idempotencyKey?: string) =>
  ok<PostAnswer>(c, 'post_content', { account, text, ...(idempotencyKey ? { idempotencyKey } : {}) });

async function apiPosts(sandbox: SandboxProcess): Promise<Post[]> {
  const res = await fetch(`${sandbox.ui}api/posts`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { posts: Post[] }).posts;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Receiver {
  url: string;
  deliveries: Delivery[];
  /** Picks the status of a delivery, given how many attempts of the same event came before. */
  respond: (event: WebhookEvent, previousAttempts: number) => number;
  forPost: (postId: string) => Delivery[];
}

/** A local webhook endpoint recording every delivery. */
async function startReceiver(): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const receiver: Receiver = {
    deliveries,
    respond: () => 200,
    url: '',
    forPost: (postId: string) => deliveries.filter((d) => d.event.interactions.some((i) => i.postId === postId)),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const event = JSON.parse(body) as WebhookEvent;
      const status = receiver.respond(event, deliveries.filter((d) => d.event.id === event.id).length);
      deliveries.push({ headers: req.headers, body, event, status, at: Date.now() });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return receiver;
}

function verifySignature(delivery: Delivery, secret = SECRET): void {
  const ts = delivery.headers['x-chimera-timestamp'] as string;
  expect(ts).toMatch(/^\d+$/);
  expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(30);
  const expected = createHmac('sha256', secret).update(`${ts}.${delivery.body}`).digest('hex');
  expect(delivery.headers['x-chimera-signature']).toBe(`v1=${expected}`);
  expect(delivery.headers['x-chimera-event-id']).toBe(delivery.event.id);
  expect(delivery.headers['content-type']).toBe('application/json');
}

describe('the social sandbox over Streamable HTTP', () => {
  let receiver: Receiver;
  let sandbox: SandboxProcess;
  let client: Client;
  beforeAll(async () => {
    receiver = await startReceiver();
    sandbox = await start(stateFile(), {
      SOCIAL_WEBHOOK_URL: receiver.url,
      SOCIAL_WEBHOOK_SECRET: SECRET,
      SOCIAL_ACCOUNTS: 'Seeded_One,other',
    });
    client = await connect(sandbox.url);
  });

  it('prints where it listens, answers /health and lists the tools with their schemas', async () => {
    expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(sandbox.ui).toBe(sandbox.url.replace(/mcp$/, ''));
    const health = await fetch(`${sandbox.ui}health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'delete_post',
      'get_quota',
      'post_content',
      'read_mentions',
      'read_metrics',
      'reply_to_comment',
      'simulate_interaction',
    ]);
    const postTool = tools.find((t) => t.name === 'post_content');
    expect(postTool?.inputSchema.required).toEqual(['account', 'text']);
    expect(Object.keys(postTool?.outputSchema?.properties ?? {})).toEqual(['postId', 'url', 'postedAt', 'duplicate']);
  });

  it('publishes posts and shows them, newest first and escaped, on / , /posts/<id> and /api/posts', async () => {
    const first = await post(client, 'Alice', 'Hello <b>world</b> & "friends"');
    expect(first.postId).toMatch(/^post_[0-9a-f]{12}$/);
    expect(first.url).toBe(`${sandbox.ui}posts/${first.postId}`);
    expect(first.duplicate).toBe(false);
    expect(Math.abs(Date.parse(first.postedAt) - Date.now())).toBeLessThan(10_000);
    const second = await post(client, 'alice', 'second post');

    const posts = await apiPosts(sandbox);
    expect(posts.find((p) => p.id === first.postId)).toEqual({
      id: first.postId,
      account: 'alice',
      text: 'Hello <b>world</b> & "friends"',
      url: first.url,
      createdAt: first.postedAt,
      replyTo: null,
      idempotencyKey: null,
      deleted: false,
      metrics: { likes: 0, comments: 0, shares: 0, views: 0, clicks: 0 },
    });

    const html = await (await fetch(sandbox.ui)).text();
    expect(html).toContain('@seeded_one');
    expect(html).toContain('@alice');
    expect(html).toContain('Hello &#60;b&#62;world&#60;/b&#62; &#38; &#34;friends&#34;');
    expect(html).not.toContain('<b>world</b>');
    expect(html.indexOf(second.postId)).toBeLessThan(html.indexOf(first.postId));
    const page = await fetch(first.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Hello &#60;b&#62;world');
    expect((await fetch(`${sandbox.ui}posts/post_nope`)).status).toBe(404);
  });

  it('returns the existing post, duplicate: true, for a repeated idempotency key of the same account', async () => {
    const a = await post(client, 'carol', 'once', 'key-1');
    const again = await post(client, 'carol', 'once, retried with another text', 'key-1');
    expect(again).toEqual({ ...a, duplicate: true });
    const otherAccount = await post(client, 'dave', 'once', 'key-1');
    expect(otherAccount.postId).not.toBe(a.postId);
    const keyed = (await apiPosts(sandbox)).filter((p) => p.idempotencyKey === 'key-1');
    expect(keyed.map((p) => p.account).sort()).toEqual(['carol', 'dave']);
  });

  it('serves several clients at the same time and one after another', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => connect(sandbox.url)));
    const answers = await Promise.all(clients.map((c, i) => post(c, 'erin', `parallel ${i}`)));
    expect(new Set(answers.map((a) => a.postId)).size).toBe(3);
    await Promise.all(clients.map((c) => c.close()));
    const later = await connect(sandbox.url);
    expect((await ok<Metrics>(later, 'read_metrics', { postId: answers[0]?.postId })).views).toBe(0);
  });

  it('threads comments, replies, mentions (with since and limit), metrics and deletion', async () => {
    const mine = await post(client, 'frank', 'my post');
    const elsewhere = await post(client, 'grace', 'not frank’s post');
    const interact = (postId: string, type: string, extra: Record<string, unknown> = {}) =>
      ok<{ interactionId: string; postId: string; type: string; commentId?: string }>(client, 'simulate_interaction', {
        postId,
        type,
        ...extra,
      });
    const c1 = await interact(mine.postId, 'comment', { author: '@bob', text: 'nice one' });
    expect(c1).toMatchObject({ postId: mine.postId, type: 'comment' });
    expect(c1.commentId).toMatch(/^cmt_/);
    await sleep(5);
    const c2 = await interact(elsewhere.postId, 'comment', { author: 'zoe', text: 'what do you think @Frank?' });
    await interact(elsewhere.postId, 'comment', { text: '@frankly unrelated' });
    for (const type of ['like', 'like', 'view', 'share', 'click']) await interact(mine.postId, type);

    const { mentions } = await ok<{ mentions: Mention[] }>(client, 'read_mentions', { account: 'frank' });
    expect(mentions.map((m) => m.commentId)).toEqual([c2.commentId, c1.commentId]);
    expect(mentions[0]).toMatchObject({ postId: elsewhere.postId, author: '@zoe', text: 'what do you think @Frank?' });
    const since = mentions[1]?.createdAt as string;
    const after = await ok<{ mentions: Mention[] }>(client, 'read_mentions', { account: 'frank', since });
    expect(after.mentions.map((m) => m.commentId)).toEqual([c2.commentId]);
    const limited = await ok<{ mentions: Mention[] }>(client, 'read_mentions', { account: 'frank', limit: 1 });
    expect(limited.mentions).toHaveLength(1);

    const reply = await ok<PostAnswer>(client, 'reply_to_comment', {
      account: 'frank',
      commentId: c1.commentId,
      text: 'thanks @bob',
    });
    const replyPost = (await apiPosts(sandbox)).find((p) => p.id === reply.postId);
    expect(replyPost?.replyTo).toEqual({ commentId: c1.commentId, postId: mine.postId });
    const unknown = await fails(client, 'reply_to_comment', { account: 'frank', commentId: 'cmt_nope', text: 'x' });
    expect(unknown.code).toBe('NOT_FOUND');

    const metrics = await ok<Metrics>(client, 'read_metrics', { postId: mine.postId });
    expect(metrics).toMatchObject({ postId: mine.postId, likes: 2, comments: 1, shares: 1, views: 1, clicks: 1 });
    expect(Date.parse(metrics.updatedAt)).toBeGreaterThan(Date.parse(mine.postedAt) - 1);

    expect((await fails(client, 'delete_post', { account: 'grace', postId: mine.postId })).code).toBe('NOT_FOUND');
    expect(await ok(client, 'delete_post', { account: 'frank', postId: mine.postId })).toEqual({
      postId: mine.postId,
      deleted: true,
    });
    expect((await apiPosts(sandbox)).find((p) => p.id === mine.postId)?.deleted).toBe(true);
    const onDeleted = await fails(client, 'simulate_interaction', { postId: mine.postId, type: 'like' });
    expect(onDeleted.code).toBe('NOT_FOUND');
  });

  it('answers bad input with BAD_INPUT and unknown ids with NOT_FOUND, as JSON tool errors', async () => {
    const bad: [string, Record<string, unknown>][] = [
      ['post_content', { account: 'no-dashes', text: 'x' }],
      ['post_content', { account: 'a'.repeat(31), text: 'x' }],
      ['post_content', { account: 'alice', text: '' }],
      ['post_content', { account: 'alice', text: 'x'.repeat(5001) }],
      ['post_content', { account: 'alice', text: 'x', idempotencyKey: '' }],
      ['post_content', { account: 'alice', text: 'x', extra: true }],
      ['post_content', { text: 'x' }],
      ['read_mentions', { account: 'alice', limit: 0 }],
      ['read_mentions', { account: 'alice', limit: 101 }],
      ['read_mentions', { account: 'alice', since: 'yesterday' }],
      ['simulate_interaction', { postId: 'post_x', type: 'comment' }],
      ['simulate_interaction', { postId: 'post_x', type: 'hug' }],
      ['no_such_tool', {}],
    ];
    for (const [name, args] of bad) {
      const failure = await fails(client, name, args);
      expect(failure.code, `${name} ${JSON.stringify(args)}`).toBe('BAD_INPUT');
    }
    expect((await fails(client, 'read_metrics', { postId: 'post_unknown' })).code).toBe('NOT_FOUND');
    expect((await fails(client, 'delete_post', { account: 'alice', postId: 'post_unknown' })).code).toBe('NOT_FOUND');
    const interaction = await fails(client, 'simulate_interaction', { postId: 'post_unknown', type: 'view' });
    expect(interaction).toMatchObject({ code: 'NOT_FOUND', postId: 'post_unknown' });
  });

  it('delivers signed webhooks, batching interactions that come within 250 ms', async () => {
    const p = await post(client, 'hank', 'hooks');
    await sleep(400); // let interactions of earlier tests go out in their own batch
    await ok(client, 'simulate_interaction', { postId: p.postId, type: 'like', author: '@ann' });
    await ok(client, 'simulate_interaction', { postId: p.postId, type: 'view' });
    const comment = await ok<{ commentId: string }>(client, 'simulate_interaction', {
      postId: p.postId,
      type: 'comment',
      text: 'rude!',
      reported: true,
    });
    const [batch] = await until('the first batch', () =>
      receiver.forPost(p.postId).length ? receiver.forPost(p.postId) : undefined,
    );
    verifySignature(batch as Delivery);
    const event = (batch as Delivery).event;
    expect(event).toMatchObject({ platform: 'social', type: 'interactions' });
    expect(event.id).toMatch(/^evt_[0-9a-f]+$/);
    expect(event.interactions.every((i) => i.postId === p.postId)).toBe(true);
    expect(event.interactions.map((i) => [i.type, i.data])).toEqual([
      ['like', { author: '@ann' }],
      ['view', { author: '@audience' }],
      ['comment', { author: '@audience', text: 'rude!', commentId: comment.commentId, reported: true }],
    ]);
    await sleep(400);
    await ok(client, 'simulate_interaction', { postId: p.postId, type: 'click' });
    const all = await until('the second batch', () => {
      const found = receiver.forPost(p.postId);
      return found.length >= 2 ? found : undefined;
    });
    expect(all).toHaveLength(2);
    expect(all[1]?.event.id).not.toBe(event.id);
    expect(all[1]?.event.interactions.map((i) => i.type)).toEqual(['click']);
  });

  it('retries a delivery answered 503 with the same event id and body, and does not retry a 400', async () => {
    const retried = await post(client, 'ivan', 'retry me');
    const rejected = await post(client, 'ivan', 'reject me');
    receiver.respond = (event, previous) => {
      if (event.interactions.some((i) => i.postId === rejected.postId)) return 400;
      if (event.interactions.some((i) => i.postId === retried.postId) && previous === 0) return 503;
      return 200;
    };
    await ok(client, 'simulate_interaction', { postId: retried.postId, type: 'share' });
    await sleep(300);
    await ok(client, 'simulate_interaction', { postId: rejected.postId, type: 'share' });
    const attempts = await until('the redelivery', () => {
      const found = receiver.forPost(retried.postId);
      return found.length >= 2 ? found : undefined;
    });
    expect(attempts.map((d) => d.status)).toEqual([503, 200]);
    expect(attempts[1]?.event.id).toBe(attempts[0]?.event.id);
    expect(attempts[1]?.body).toBe(attempts[0]?.body);
    expect((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(900);
    for (const attempt of attempts) verifySignature(attempt);
    await sleep(1500);
    expect(receiver.forPost(rejected.postId).map((d) => d.status)).toEqual([400]);
    expect(sandbox.output()).toMatch(/rejected \(HTTP 400\), not retried/);
    receiver.respond = () => 200;
  });
});

describe('the post quota', () => {
  it('allows SOCIAL_POST_QUOTA posts per sliding window, replies included, duplicates not counted', async () => {
    const sandbox = await start(stateFile(), {
      SOCIAL_POST_QUOTA: '2',
      SOCIAL_QUOTA_WINDOW_MS: '3000',
      SOCIAL_PUBLIC_URL: 'https://social.example/',
    });
    const client = await connect(sandbox.url);
    const first = await post(client, 'quinn', 'one', 'k1');
    expect(first.url).toBe(`https://social.example/posts/${first.postId}`);
    expect((await post(client, 'quinn', 'one', 'k1')).duplicate).toBe(true);
    await post(client, 'quinn', 'two');
    const over = await fails(client, 'post_content', { account: 'quinn', text: 'three' });
    expect(over).toMatchObject({ code: 'QUOTA_EXCEEDED', limit: 2, windowMs: 3000 });
    const retryAfterMs = over.retryAfterMs as number;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(3000);
    // A retried call with a known key still gets its post, over quota or not.
    expect(await post(client, 'quinn', 'one', 'k1')).toEqual({ ...first, duplicate: true });
    const quota = await ok<Record<string, unknown>>(client, 'get_quota', { account: 'quinn' });
    expect(quota).toEqual({
      account: 'quinn',
      limit: 2,
      windowMs: 3000,
      used: 2,
      remaining: 0,
      resetAt: new Date(Date.parse(first.postedAt) + 3000).toISOString(),
    });
    expect(await ok(client, 'get_quota', { account: 'nobody' })).toMatchObject({
      used: 0,
      remaining: 2,
      resetAt: null,
    });

    const own = await post(client, 'rita', 'question time');
    const { commentId } = await ok<{ commentId: string }>(client, 'simulate_interaction', {
      postId: own.postId,
      type: 'comment',
      text: '@rita why?',
    });
    await ok(client, 'reply_to_comment', { account: 'rita', commentId, text: 'because' });
    const replyOver = await fails(client, 'reply_to_comment', { account: 'rita', commentId, text: 'and more' });
    expect(replyOver.code).toBe('QUOTA_EXCEEDED');

    await sleep(retryAfterMs + 50);
    expect((await post(client, 'quinn', 'three, later')).duplicate).toBe(false);
  });
});

describe('restarts and crashes', () => {
  it('keeps idempotency keys across kill -9 and a restart', async () => {
    const file = stateFile();
    const before = await start(file);
    const original = await post(await connect(before.url), 'jill', 'survives', 'restart-key');
    expect((await before.stop('SIGKILL')).signal).toBe('SIGKILL');
    const after = await start(file);
    const again = await post(await connect(after.url), 'jill', 'survives', 'restart-key');
    expect(again).toEqual({ ...original, duplicate: true });
    expect((await apiPosts(after)).map((p) => p.id)).toEqual([original.postId]);
  });

  it('keeps a post persisted during SOCIAL_DELAY_AFTER_POST_MS when killed before answering, exactly once', async () => {
    const file = stateFile();
    const slow = await start(file, { SOCIAL_DELAY_AFTER_POST_MS: '20000' });
    const client = await connect(slow.url);
    const abort = new AbortController();
    let answered = false;
    const call = invoke(
      client,
      'post_content',
      { account: 'kim', text: 'in flight', idempotencyKey: 'crash-key' },
      { signal: abort.signal, timeout: 30_000 },
    ).then(() => {
      answered = true;
    });
    const persisted = await until('the post to be persisted', async () => {
      const posts = await apiPosts(slow);
      return posts.length > 0 ? posts : undefined;
    });
    await slow.stop('SIGKILL');
    abort.abort();
    await expect(call).rejects.toThrow();
    expect(answered).toBe(false);

    const restarted = await start(file);
    expect((await apiPosts(restarted)).map((p) => p.id)).toEqual([persisted[0]?.id]);
    const retry = await post(await connect(restarted.url), 'kim', 'in flight', 'crash-key');
    expect(retry).toMatchObject({ postId: persisted[0]?.id, duplicate: true });
    expect(await apiPosts(restarted)).toHaveLength(1);
  });

  it('resends undelivered webhook events after a restart, with the same event id', async () => {
    const receiver = await startReceiver();
    receiver.respond = () => 503;
    const file = stateFile();
    const env = { SOCIAL_WEBHOOK_URL: receiver.url, SOCIAL_WEBHOOK_SECRET: SECRET };
    const first = await start(file, env);
    const client = await connect(first.url);
    const p = await post(client, 'lena', 'flaky receiver');
    await ok(client, 'simulate_interaction', { postId: p.postId, type: 'like' });
    const [failed] = await until('a failed delivery', () =>
      receiver.deliveries.length ? receiver.deliveries : undefined,
    );
    expect((await first.stop('SIGTERM')).code).toBe(0);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as State;
    expect(saved.outbox.events.map((e) => e.id)).toEqual([failed?.event.id]);

    receiver.respond = () => 200;
    await start(file, env);
    const resent = await until('the resent event', () => receiver.deliveries.find((d) => d.status === 200));
    expect(resent.event.id).toBe(failed?.event.id);
    expect(resent.body).toBe(failed?.body);
    verifySignature(resent);
    await until('the outbox to empty', () => {
      const state = JSON.parse(readFileSync(file, 'utf8')) as State;
      return state.outbox.events.length === 0 ? true : undefined;
    });
  });

  it('refuses to start on a corrupt state file (exit code 1) and leaves the file untouched', async () => {
    for (const content of ['{"version":1,"posts":[', '{"version":1,"posts":"nope"}']) {
      const path = join(tempDir(), 'state.json');
      writeFileSync(path, content);
      const child = spawnRaw({ stateFile: path, args: ['--transport', 'http', '--port', '0'] });
      let stderr = '';
      let stdout = '';
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect(code).toBe(1);
      expect(stderr).toMatch(/state file .* is corrupt/);
      expect(stdout).toBe('');
      expect(readFileSync(path, 'utf8')).toBe(content);
    }
  });
});

describe('the simulated audience', () => {
  it('reacts to new top-level posts over SOCIAL_AUDIENCE_SPAN_MS, reproducibly, with webhooks and comments', async () => {
    const receiver = await startReceiver();
    const span = 1500;
    const sandbox = await start(stateFile(), {
      SOCIAL_AUDIENCE: 'on',
      SOCIAL_AUDIENCE_SPAN_MS: String(span),
      SOCIAL_WEBHOOK_URL: receiver.url,
      SOCIAL_WEBHOOK_SECRET: SECRET,
    });
    const client = await connect(sandbox.url);
    const p = await post(client, 'mona', 'hello audience');
    const plan = planAudience(p.postId, 'mona', span);
    expect(planAudience(p.postId, 'mona', span)).toEqual(plan);
    const planned = (type: string) => plan.filter((i) => i.type === type).length;
    expect(planned('view')).toBeGreaterThanOrEqual(10);
    expect(planned('view')).toBeLessThanOrEqual(30);
    expect(planned('comment')).toBeGreaterThanOrEqual(1);

    const { mentions } = await until('a first comment', async () => {
      const found = await ok<{ mentions: Mention[] }>(client, 'read_mentions', { account: 'mona' });
      return found.mentions.length > 0 ? found : undefined;
    });
    const reply = await ok<PostAnswer>(client, 'reply_to_comment', {
      account: 'mona',
      commentId: mentions[0]?.commentId,
      text: 'thank you!',
    });
    const repliedAt = Date.now();

    const metrics = await until('the whole plan', async () => {
      const m = await ok<Metrics>(client, 'read_metrics', { postId: p.postId });
      return m.views + m.likes + m.comments + m.shares + m.clicks === plan.length ? m : undefined;
    });
    expect(metrics).toMatchObject({
      views: planned('view'),
      likes: planned('like'),
      comments: planned('comment'),
      shares: planned('share'),
      clicks: planned('click'),
    });
    const interactions = await until('all webhooks', () => {
      const all = receiver.deliveries.flatMap((d) => d.event.interactions).filter((i) => i.postId === p.postId);
      return all.length === plan.length ? all : undefined;
    });
    for (const delivery of receiver.deliveries) verifySignature(delivery);
    expect(receiver.deliveries.length).toBeLessThan(plan.length);
    const comments = interactions.filter((i) => i.type === 'comment');
    expect(comments.map((c) => c.data.text)).toEqual(plan.filter((i) => i.type === 'comment').map((i) => i.text));
    expect(comments.every((c) => c.data.commentId?.startsWith('cmt_') && c.data.author.startsWith('@'))).toBe(true);

    // Replies get no audience of their own.
    await sleep(Math.max(0, repliedAt + span + 200 - Date.now()));
    const replyMetrics = await ok<Metrics>(client, 'read_metrics', { postId: reply.postId });
    expect(replyMetrics).toMatchObject({ views: 0, likes: 0, comments: 0 });

    // Pending audience timers do not hold the process up on SIGTERM.
    await post(client, 'mona', 'one more');
    const stopping = Date.now();
    expect((await sandbox.stop('SIGTERM')).code).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(span);
  });
});

describe('the social sandbox over stdio', () => {
  it('speaks MCP on stdin/stdout, with sandbox:// post URLs and the same state file', async () => {
    const file = stateFile();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', SERVER_ENTRY, '--transport', 'stdio'],
      cwd: REPO_ROOT,
      env: sandboxEnv(file),
      stderr: 'pipe',
    });
    (transport.stderr as Readable | null)?.resume(); // logs are not checked here; keep the pipe drained
    const client = new Client({ name: 'social-test', version: '1.0.0' });
    const protocolErrors: Error[] = [];
    client.onerror = (error) => protocolErrors.push(error); // e.g. a stdout line that is not JSON-RPC
    await client.connect(transport);
    cleanups.push(() => client.close().catch(() => undefined));
    const pid = transport.pid as number;
    const answer = await post(client, 'nina', 'over stdio', 'stdio-key');
    expect(answer.url).toBe(`sandbox://social/posts/${answer.postId}`);
    expect((await post(client, 'nina', 'over stdio', 'stdio-key')).duplicate).toBe(true);
    expect((await ok<Metrics>(client, 'read_metrics', { postId: answer.postId })).views).toBe(0);
    await client.close();
    expect(protocolErrors).toEqual([]);
    await until('the server process to exit', () => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    });
    const saved = JSON.parse(readFileSync(file, 'utf8')) as State;
    expect(saved.posts.map((p) => p.id)).toEqual([answer.postId]);
  });
});
