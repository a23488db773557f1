// Entry point of the `social` platform sandbox, an MCP server:
//   npx tsx mcp-servers/social/server.ts [--transport http|stdio] [--port N] [--host H]
// It loads the state file, wires platform, webhooks and audience together, serves MCP over Streamable HTTP (plus
// the UI pages) or stdio, and stops cleanly on SIGTERM/SIGINT. See README.md in this directory.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { AudienceSimulator } from './audience.js';
import type { Config } from './config.js';
import { ConfigError, loadConfig } from './config.js';
import type { HttpHandle } from './http.js';
import { startHttp } from './http.js';
import { Platform } from './platform.js';
import { StateFileError, StateStore } from './state.js';
import { createMcpServer } from './tools.js';
import { WebhookDispatcher } from './webhooks.js';

function log(message: string): void {
  process.stderr.write(`[social] ${message}\n`);
}

function fail(message: string): never {
  log(`error: ${message}`);
  process.exit(1);
}

async function main(config: Config): Promise<void> {
  let store: StateStore;
  try {
    store = StateStore.open(config.stateFile);
  } catch (error) {
    if (error instanceof StateFileError) fail(`${error.message}; refusing to start (the file was left untouched)`);
    throw error;
  }

  const platform = new Platform(store, {
    publicBase: config.publicUrl ?? 'sandbox://social',
    postQuota: config.postQuota,
    quotaWindowMs: config.quotaWindowMs,
  });
  const webhooks = new WebhookDispatcher(store, { url: config.webhookUrl, secret: config.webhookSecret, log });
  const audience = new AudienceSimulator(store, {
    enabled: config.audience,
    spanMs: config.audienceSpanMs,
    interact: (input) => platform.interact(input),
    log,
  });
  platform.hooks = {
    onInteraction: (interaction) => webhooks.enqueue(interaction),
    onTopLevelPost: (post) => audience.onTopLevelPost(post),
  };
  platform.seedAccounts(config.accounts);

  const ctx = { platform, delayAfterPostMs: config.delayAfterPostMs };
  let http: HttpHandle | null = null;
  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${reason})`);
    audience.stop();
    webhooks.stop();
    try {
      await http?.close();
      store.save();
    } catch (error) {
      log(`error while stopping: ${(error as Error).message}`);
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  if (config.transport === 'http') {
    http = await startHttp({
      host: config.host,
      port: config.port,
      platform,
      createMcpServer: () => createMcpServer(ctx, log),
      log,
    });
    if (config.publicUrl === null) platform.options.publicBase = http.origin;
  } else {
    const server = createMcpServer(ctx, log);
    const transport = new StdioServerTransport();
    transport.onclose = () => void shutdown('stdio closed');
    process.stdin.once('end', () => void shutdown('stdin ended'));
    await server.connect(transport);
  }

  webhooks.start();
  audience.start();

  const details = [
    `state ${store.file}`,
    `quota ${config.postQuota}/${config.quotaWindowMs} ms`,
    `audience ${config.audience ? `on (${config.audienceSpanMs} ms)` : 'off'}`,
    `webhooks ${config.webhookUrl ?? 'off'}`,
  ].join(', ');
  if (http) {
    log(`listening on ${http.origin} (${details})`);
    process.stdout.write(
      `${JSON.stringify({ event: 'listening', url: `${http.origin}/mcp`, ui: `${http.origin}/` })}\n`,
    );
  } else {
    log(`serving MCP over stdio (${details})`);
  }
}

let config: Config;
try {
  config = loadConfig(process.argv.slice(2), process.env);
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
main(config).catch((error: unknown) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error)));
