// The MCP client hub against real servers: Streamable HTTP (in-process) and stdio (a child process). Resources by
// the spec's mcp:// URIs, tool results and tool errors, time limits, and reconnection after a server went away.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpHub, type McpHub, routeResource } from '../../src/platform/mcp/hub.js';
import { echoServer } from './fixtures/echo-server.js';

let http: Server;
let port: number;
const hubs: McpHub[] = [];

function listen(at = 0): Promise<Server> {
  const server = createServer(async (req, res) => {
    const mcp = echoServer('demo');
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void mcp.close());
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  return new Promise((resolve) => server.listen(at, '127.0.0.1', () => resolve(server)));
}
const close = (s: Server) =>
  new Promise<void>((resolve) => {
    s.closeAllConnections();
    s.close(() => resolve());
  });

function hub(timeoutMs = 2_000, reconnectBackoffMs = 200) {
  const h = createMcpHub({
    timeoutMs,
    reconnectBackoffMs,
    servers: [
      { name: 'demo', transport: 'http', url: `http://127.0.0.1:${port}/mcp` },
      {
        name: 'local',
        transport: 'stdio',
        command: process.execPath,
        args: ['--import', 'tsx', 'test/mcp/fixtures/echo-server.ts', '--stdio', 'local'],
      },
    ],
  });
  hubs.push(h);
  return h;
}

beforeAll(async () => {
  http = await listen();
  port = (http.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const h of hubs) await h.close();
  await close(http);
});

describe('routeResource', () => {
  it('reads mcp://<server>/<path> and <server>://<path> as the same resource of that server', () => {
    expect(routeResource('mcp://news/latest')).toEqual({ server: 'news', uri: 'news://latest' });
    expect(routeResource('news://latest')).toEqual({ server: 'news', uri: 'news://latest' });
    expect(routeResource('mcp://news/feeds/ai-tools')).toEqual({ server: 'news', uri: 'news://feeds/ai-tools' });
    expect(routeResource('not a uri')).toBeNull();
    expect(routeResource('mcp:///latest')).toBeNull();
  });
});

describe('the MCP hub', () => {
  it('reads resources and calls tools over Streamable HTTP and stdio', async () => {
    const h = hub();
    const viaSpec = await h.readResource('mcp://demo/latest');
    expect(viaSpec).toMatchObject({ server: 'demo', uri: 'demo://latest', mimeType: 'application/json' });
    expect(JSON.parse(viaSpec.text)).toMatchObject({ items: [{ title: 'hello' }] });
    expect((await h.callTool('demo', 'echo', { text: 'hi' })).value).toMatchObject({ said: 'hi' });
    const local = await h.callTool('local', 'echo', { text: 'over stdio' });
    expect(local.value).toMatchObject({ said: 'over stdio' });
    // Pooled: the same process answers every call.
    const again = await h.callTool('local', 'echo', { text: 'again' });
    expect((again.value as { pid: number }).pid).toBe((local.value as { pid: number }).pid);
  });

  it('turns a tool’s reported failure into TOOL_ERROR with its payload', async () => {
    await expect(hub().callTool('demo', 'fail', {})).rejects.toMatchObject({
      name: 'McpHubError',
      code: 'TOOL_ERROR',
      server: 'demo',
      details: { code: 'QUOTA_EXCEEDED', retryAfterMs: 1234 },
      message: 'MCP server "demo": fail: too many posts',
    });
  });

  it('names what is wrong: an unknown server, resource or tool, bad arguments', async () => {
    const h = hub();
    await expect(h.readResource('mcp://nowhere/latest')).rejects.toMatchObject({ code: 'UNKNOWN_SERVER' });
    await expect(h.readResource('demo://missing')).rejects.toMatchObject({ code: 'REJECTED' });
    await expect(h.callTool('demo', 'no_such_tool', {})).rejects.toMatchObject({
      code: expect.stringMatching(/REJECTED|TOOL_ERROR/),
    });
    await expect(h.callTool('demo', 'echo', { text: 42 })).rejects.toMatchObject({
      code: expect.stringMatching(/REJECTED|TOOL_ERROR/),
    });
  });

  it('never hangs: a call the server does not answer is a TIMEOUT within the limit', async () => {
    const h = hub(300);
    const started = Date.now();
    await expect(h.callTool('demo', 'hang', {})).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(5_000);
    // The hub is still usable afterwards.
    expect((await h.callTool('demo', 'echo', { text: 'after' })).value).toMatchObject({ said: 'after' });
  });

  it('fails fast while a server is down, and reconnects once it is back', async () => {
    const h = hub(1_000, 300);
    expect((await h.callTool('demo', 'echo', { text: 'up' })).value).toMatchObject({ said: 'up' });
    await close(http);
    await expect(h.callTool('demo', 'echo', { text: 'down' })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    http = await listen(port);
    await new Promise((r) => setTimeout(r, 400));
    expect((await h.callTool('demo', 'echo', { text: 'back' })).value).toMatchObject({ said: 'back' });
  });

  it('starts a stdio server again after its process died', async () => {
    const h = hub(2_000, 100);
    const first = (await h.callTool('local', 'echo', { text: 'a' })).value as { pid: number };
    process.kill(first.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    let second: { pid: number } | undefined;
    for (let i = 0; i < 20 && !second; i++) {
      second = await h
        .callTool('local', 'echo', { text: 'b' })
        .then((r) => r.value as { pid: number })
        .catch(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), 200)));
    }
    expect(second?.pid).toBeGreaterThan(0);
    expect(second?.pid).not.toBe(first.pid);
  });
});
