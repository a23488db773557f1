// The HTTP face of the sandbox: MCP over Streamable HTTP at /mcp (one session, with its own protocol server, per
// client), GET /health, the read-only HTML UI at / and /posts/<id>, and GET /api/posts.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { renderIndex, renderPostPage } from './page.js';
import type { Platform } from './platform.js';

export interface HttpOptions {
  host: string;
  port: number;
  platform: Platform;
  createMcpServer: () => Server;
  log: (message: string) => void;
}

export interface HttpHandle {
  /** `http://host:port`, as clients reach it. */
  origin: string;
  close: () => Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function rpcError(res: ServerResponse, status: number, code: number, message: string): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startHttp(options: HttpOptions): Promise<HttpHandle> {
  const { platform, log } = options;
  const sessions = new Map<string, StreamableHTTPServerTransport>();

  async function handleMcp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const header = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    if (sessionId !== undefined) {
      const transport = sessions.get(sessionId);
      if (!transport) return rpcError(res, 404, -32001, 'Session not found');
      return transport.handleRequest(req, res);
    }
    if (req.method !== 'POST') return rpcError(res, 400, -32000, 'Bad Request: no valid session id provided');
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (error) {
      return rpcError(res, 400, -32700, `Parse error: ${(error as Error).message}`);
    }
    if (!isInitializeRequest(body)) return rpcError(res, 400, -32000, 'Bad Request: no valid session id provided');
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    const server = options.createMcpServer();
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/mcp') return handleMcp(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
    if (path === '/health') return sendJson(res, 200, { ok: true });
    if (path === '/') return send(res, 200, 'text/html; charset=utf-8', renderIndex(platform));
    if (path === '/api/posts') {
      return sendJson(res, 200, { posts: platform.posts(url.searchParams.get('account') ?? undefined) });
    }
    const match = /^\/posts\/([^/]+)$/.exec(path);
    const post = match?.[1] ? platform.findPost(decodeURIComponent(match[1])) : undefined;
    if (post) return send(res, 200, 'text/html; charset=utf-8', renderPostPage(platform, post));
    sendJson(res, 404, { error: 'not found' });
  }

  const http = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      log(`HTTP ${req.method} ${req.url} failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = wildcard ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    origin: `http://${host}:${address.port}`,
    close: async () => {
      await Promise.allSettled([...sessions.values()].map((t) => t.close()));
      sessions.clear();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}
