// The MCP client hub: every outside source and platform is an MCP server (stdio command or Streamable HTTP URL), and
// the core reaches them only through this. One pooled connection per server, opened on first use; a connection that
// fails or closes is dropped and opened again on the next call (after a short backoff, so a dead server fails fast
// instead of making every caller wait); every request is time-limited. Failures are McpHubError with a code — a
// caller's task gets a clear error and is retried, never hung.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

export type McpServerConfig =
  | {
      name: string;
      transport: 'stdio';
      command: string;
      args?: string[];
      env?: Record<string, string>;
      cwd?: string;
    }
  | { name: string; transport: 'http'; url: string; headers?: Record<string, string> };

export interface McpHubOptions {
  servers: readonly McpServerConfig[];
  /** Per request (and for connecting to an HTTP server). */
  timeoutMs: number;
  /**
   * For starting a stdio server and its handshake: a process boot (a runtime, a TypeScript loader) on a busy machine
   * takes seconds, more than a request should. Default: the larger of timeoutMs and 15 s.
   */
  startTimeoutMs?: number;
  /** After a failed connection, calls fail at once for this long before the next attempt. */
  reconnectBackoffMs?: number;
  /** Where stdio servers' stderr goes (default: ignored). */
  onServerLog?: (server: string, line: string) => void;
  clientName?: string;
}

export type McpHubErrorCode =
  /** No server of that name is configured, or the URI names none. */
  | 'UNKNOWN_SERVER'
  /** The server cannot be reached or its connection broke. */
  | 'UNAVAILABLE'
  | 'TIMEOUT'
  /** The server answered with a protocol error (unknown resource, bad arguments…). */
  | 'REJECTED'
  /** The tool ran and reported a failure (isError); `details` holds its JSON payload when it sent one. */
  | 'TOOL_ERROR'
  | 'BAD_RESPONSE';

export class McpHubError extends Error {
  override name = 'McpHubError';
  constructor(
    readonly code: McpHubErrorCode,
    readonly server: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(`MCP server "${server}": ${message}`);
  }
}

export interface ResourceContent {
  server: string;
  uri: string;
  mimeType: string | undefined;
  text: string;
}

export interface ToolResult {
  server: string;
  tool: string;
  /** structuredContent when the tool sent it, else the JSON of its first text entry (or that text). */
  value: unknown;
}

/**
 * Which server a resource URI names: `mcp://<server>/<path>` (the spec's form, e.g. mcp://news/latest) or the server's
 * own scheme `<server>://<path>`. Returns the server and the URI to ask it for (always `<server>://<path>`).
 */
export function routeResource(uri: string): { server: string; uri: string } | null {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/i.exec(uri.trim());
  if (!m) return null;
  const [, scheme, host, rest] = m as unknown as [string, string, string, string];
  if (scheme.toLowerCase() === 'mcp') {
    if (!host) return null;
    return { server: host, uri: `${host}://${rest.replace(/^\//, '')}` };
  }
  return { server: scheme.toLowerCase(), uri: `${scheme.toLowerCase()}://${host}${rest}` };
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

interface Pooled {
  client: Promise<Client>;
  transport: Transport | null;
}

export function createMcpHub(options: McpHubOptions) {
  const configs = new Map(options.servers.map((s) => [s.name, s]));
  const pool = new Map<string, Pooled>();
  const failedAt = new Map<string, { at: number; message: string }>();
  const backoffMs = options.reconnectBackoffMs ?? 2_000;
  let closed = false;

  function transportOf(config: McpServerConfig): Transport {
    if (config.transport === 'http') {
      return new StreamableHTTPClientTransport(new URL(config.url), {
        requestInit: config.headers ? { headers: config.headers } : undefined,
      });
    }
    const transport = new StdioClientTransport({
      command: config.command,
      args: config.args ?? [],
      env: { ...(process.env as Record<string, string>), ...config.env },
      cwd: config.cwd,
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim()) options.onServerLog?.(config.name, line);
      }
    });
    return transport;
  }

  function drop(name: string, entry: Pooled) {
    if (pool.get(name) !== entry) return;
    pool.delete(name);
    void entry.client.then((c) => c.close()).catch(() => undefined);
  }

  function connection(name: string): Promise<Client> {
    if (closed) return Promise.reject(new McpHubError('UNAVAILABLE', name, 'the hub is closed'));
    const config = configs.get(name);
    if (!config) {
      const known = [...configs.keys()].join(', ') || 'none';
      return Promise.reject(new McpHubError('UNKNOWN_SERVER', name, `not configured (configured: ${known})`));
    }
    const existing = pool.get(name);
    if (existing) return existing.client;
    const failure = failedAt.get(name);
    if (failure && Date.now() - failure.at < backoffMs) {
      return Promise.reject(new McpHubError('UNAVAILABLE', name, `unreachable (${failure.message}); retrying soon`));
    }
    const entry: Pooled = { client: Promise.resolve(null as never), transport: null };
    entry.client = (async () => {
      const client = new Client({ name: options.clientName ?? 'chimera', version: '1.0.0' });
      const transport = transportOf(config);
      entry.transport = transport;
      client.onclose = () => drop(name, entry);
      client.onerror = () => undefined;
      const timeout =
        config.transport === 'stdio'
          ? (options.startTimeoutMs ?? Math.max(options.timeoutMs, 15_000))
          : options.timeoutMs;
      try {
        await client.connect(transport, { timeout });
      } catch (err) {
        failedAt.set(name, { at: Date.now(), message: describe(err) });
        await client.close().catch(() => undefined);
        throw toHubError(name, err, 'could not connect', timeout);
      }
      failedAt.delete(name);
      return client;
    })();
    pool.set(name, entry);
    entry.client.catch(() => drop(name, entry));
    return entry.client;
  }

  function toHubError(server: string, err: unknown, doing: string, timeoutMs = options.timeoutMs): McpHubError {
    if (err instanceof McpHubError) return err;
    if (err instanceof McpError) {
      if (err.code === ErrorCode.RequestTimeout) {
        return new McpHubError('TIMEOUT', server, `${doing}: no answer within ${timeoutMs} ms`);
      }
      if (err.code === ErrorCode.ConnectionClosed) {
        return new McpHubError('UNAVAILABLE', server, `${doing}: the connection closed`);
      }
      return new McpHubError('REJECTED', server, `${doing}: ${err.message}`, { mcpCode: err.code });
    }
    return new McpHubError('UNAVAILABLE', server, `${doing}: ${describe(err)}`);
  }

  /** Runs `fn` on the server's connection; a broken connection is dropped so the next call reconnects. */
  async function using<T>(server: string, doing: string, fn: (client: Client) => Promise<T>): Promise<T> {
    const client = await connection(server);
    try {
      return await fn(client);
    } catch (err) {
      const hubError = toHubError(server, err, doing);
      if (hubError.code === 'UNAVAILABLE' || hubError.code === 'TIMEOUT') {
        const entry = pool.get(server);
        if (entry) drop(server, entry);
      }
      throw hubError;
    }
  }

  return {
    /** The configured servers' names. */
    servers: () => [...configs.keys()],

    /** Reads a resource by URI (mcp://news/latest or news://latest): the text of its first content entry. */
    async readResource(uri: string): Promise<ResourceContent> {
      const route = routeResource(uri);
      if (!route) throw new McpHubError('UNKNOWN_SERVER', '?', `"${uri}" is not a resource URI`);
      const result = await using(route.server, `reading ${route.uri}`, (c) =>
        c.readResource({ uri: route.uri }, { timeout: options.timeoutMs }),
      );
      const first = result.contents[0];
      if (!first || !('text' in first) || typeof first.text !== 'string') {
        throw new McpHubError('BAD_RESPONSE', route.server, `${route.uri} has no text content`);
      }
      return { server: route.server, uri: route.uri, mimeType: first.mimeType, text: first.text };
    },

    /** Calls a tool; a tool that reports failure (isError) is a TOOL_ERROR with its JSON payload as details. */
    async callTool(server: string, tool: string, args: Record<string, unknown>): Promise<ToolResult> {
      const result = await using(server, `calling ${tool}`, (c) =>
        c.callTool({ name: tool, arguments: args }, undefined, { timeout: options.timeoutMs }),
      );
      const content = Array.isArray(result.content) ? result.content : [];
      const text = content.find((c): c is { type: 'text'; text: string } => c?.type === 'text')?.text;
      const value = result.structuredContent ?? (text === undefined ? null : jsonOrText(text));
      if (result.isError) {
        const details = value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
        const message = typeof details.message === 'string' ? details.message : (text ?? 'the tool failed');
        throw new McpHubError('TOOL_ERROR', server, `${tool}: ${message}`, details);
      }
      return { server, tool, value };
    },

    /** Connects if needed and pings the server (health checks). */
    async ping(server: string): Promise<void> {
      await using(server, 'pinging', (c) => c.ping({ timeout: options.timeoutMs }));
    },

    async close(): Promise<void> {
      closed = true;
      const entries = [...pool.entries()];
      pool.clear();
      await Promise.allSettled(entries.map(async ([, e]) => (await e.client).close()));
    },
  };
}

export type McpHub = ReturnType<typeof createMcpHub>;
