// Entry point of the news MCP server:
//   npx tsx mcp-servers/news/server.ts [--transport stdio|http] [--port N] [--host H]
// stdio (default) speaks MCP on stdin/stdout; http serves stateless Streamable HTTP at /mcp (plus GET /health) and
// prints {"event":"listening","url":...} on stdout once listening. Logs go to stderr. See README.md.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { loadConfig } from './config.js';
import { errorMessage, log } from './log.js';
import { createNewsServer } from './mcp.js';
import { NewsStore } from './store.js';

const USAGE = 'usage: server.ts [--transport stdio|http] [--port N] [--host H]';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

interface Options {
  transport: 'stdio' | 'http';
  port: number;
  host: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      transport: { type: 'string', default: 'stdio' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (values.transport !== 'stdio' && values.transport !== 'http')
    throw new Error(`unknown transport ${values.transport}`);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`invalid port ${values.port}`);
  return { transport: values.transport, port, host: values.host };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** Bound to loopback, only loopback Host headers are served (DNS rebinding protection). */
function hostAllowed(req: IncomingMessage, boundHost: string): boolean {
  if (!LOOPBACK.has(boundHost)) return true;
  try {
    return LOOPBACK.has(new URL(`http://${req.headers.host ?? ''}`).hostname);
  } catch {
    return false;
  }
}

async function handleHttp(req: IncomingMessage, res: ServerResponse, store: NewsStore, host: string): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (!hostAllowed(req, host)) return sendJson(res, 403, { error: 'forbidden host' });
  if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) return sendJson(res, 200, { ok: true });
  if (path !== '/mcp') return sendJson(res, 404, { error: 'not found' });
  if (req.method !== 'POST') {
    // Stateless server: no sessions to resume (GET) or end (DELETE).
    const error = { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null };
    return sendJson(res, 405, error, { allow: 'POST' });
  }
  const server = createNewsServer(store);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res);
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${errorMessage(error)}\n${USAGE}\n`);
    process.exit(2);
  }
  const config = loadConfig();
  for (const warning of config.warnings) log('warn', warning);
  const store = new NewsStore(config.sources, { refreshMs: config.refreshMs, startedAt: new Date() });
  const feeds = config.sources.map((s) => s.id);
  let closing: (() => Promise<void>) | undefined;
  const shutdown = (reason: string): void => {
    log('info', 'shutting down', { reason });
    const done = () => process.exit(0);
    setTimeout(done, 2000).unref();
    (closing?.() ?? Promise.resolve()).catch(() => undefined).finally(done);
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  if (options.transport === 'stdio') {
    const server = createNewsServer(store);
    closing = () => server.close();
    await server.connect(new StdioServerTransport());
    process.stdin.once('end', () => shutdown('stdin closed'));
    log('info', 'news MCP server on stdio', { feeds, refreshMs: config.refreshMs, replay: config.replay });
    return;
  }

  const http = createServer((req, res) => {
    handleHttp(req, res, store, options.host).catch((error: unknown) => {
      log('error', 'request failed', { error: errorMessage(error) });
      if (!res.headersSent) {
        sendJson(res, 500, { jsonrpc: '2.0', error: { code: -32603, message: 'Internal server error' }, id: null });
      } else res.end();
    });
  });
  closing = () =>
    new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
  http.on('error', (error) => {
    log('error', 'http server error', { error: errorMessage(error) });
    process.exit(1);
  });
  http.listen(options.port, options.host, () => {
    const { port } = http.address() as AddressInfo;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    const url = `http://${host}:${port}/mcp`;
    process.stdout.write(`${JSON.stringify({ event: 'listening', url })}\n`);
    log('info', 'news MCP server listening', { url, feeds, refreshMs: config.refreshMs, replay: config.replay });
  });
}

main().catch((error: unknown) => {
  log('error', 'news server failed', { error: errorMessage(error) });
  process.exit(1);
});
