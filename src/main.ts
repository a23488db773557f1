// Starts the local chain (CHAIN_EMBEDDED: anvil, on in development when no BLOCKCHAIN_RPC_URL is set), the API, the
// bundled social sandbox (SOCIAL_SANDBOX, on in development) and (EMBEDDED_WORKERS, on in development) the swarm's
// stages beside it.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { demoUsers } from '../prisma/seed-users.js';
import { DEMO_RECIPIENT, seedDemoWallet } from '../prisma/seed-wallet.js';
import { createApp } from './app.js';
import { type Config, ConfigError, loadConfigWithSecrets } from './config.js';
import { ANVIL_CHAIN_ID, type Anvil, startAnvil } from './platform/chain/anvil.js';
import { createEvmChain, type EvmChain } from './platform/chain/evm.js';
import { type Logger, redactSecretText } from './platform/log/logger.js';
import { type ChildServer, startChildServer } from './platform/mcp/child-server.js';
import { SWARM_STAGES } from './swarm/engine.js';
import { onShutdownSignal, runStages } from './swarm/process.js';

async function main(): Promise<void> {
  const loaded = await loadConfigWithSecrets();
  const anvil = await startEmbeddedChain(loaded);
  const config: Config = anvil ? { ...loaded, chain: { ...loaded.chain, rpcUrl: anvil.url } } : loaded;
  const app = createApp(config);
  const url = await app.listen();
  const sandbox = config.socialSandbox.enabled ? await startSocialSandbox(config, url, app.logger) : null;
  // Locally the swarm runs beside the API; in production workers/*.ts run it (EMBEDDED_WORKERS=false).
  // Beside the API they count into its /metrics, and the API's system monitor watches the process.
  const swarm = config.embeddedWorkers
    ? runStages(config, SWARM_STAGES, { metrics: app.observability.metrics, monitor: false })
    : null;
  app.logger.info({ url: `${url}/graphql` }, 'Chimera API listening');
  if (process.stdout.isTTY || config.env === 'development') {
    const [agent] = await app.services.agents.list({ active: true }, { take: 1, select: { id: true } });
    const sandboxUi = typeof sandbox?.info.ui === 'string' ? sandbox.info.ui : null;
    process.stdout.write(
      banner(url, config.graphiql, sandboxUi, agent ? encodeGlobalID('Agent', agent.id) : undefined),
    );
    if (config.env === 'development') process.stdout.write(await demoCredentials(app));
    if (config.env === 'development' && app.chain) process.stdout.write(await demoWallet(app, app.chain));
  }

  // The API stops taking requests and finishes those in flight, then the stages finish their running jobs.
  onShutdownSignal(app.logger, async () => {
    await app.close();
    await swarm?.close();
    await sandbox?.stop();
    await anvil?.stop();
  });
}

/**
 * The local chain: anvil on CHAIN_EMBEDDED_PORT, its state kept in CHAIN_STATE_FILE so wallets keep their funds
 * across restarts. If a node already answers on that port (another Chimera's), it is used instead.
 */
async function startEmbeddedChain(config: Config): Promise<(Anvil & { started: boolean }) | null> {
  if (!config.chain.embedded.enabled || config.chain.rpcUrl) return null;
  const url = `http://127.0.0.1:${config.chain.embedded.port}`;
  try {
    await createEvmChain({ rpcUrl: url, timeoutMs: 500 }).chainId();
    return { url, port: config.chain.embedded.port, stop: async () => undefined, started: false };
  } catch {
    // Nothing there yet: start one.
  }
  const anvil = await startAnvil({ port: config.chain.embedded.port, stateFile: config.chain.embedded.stateFile });
  return { ...anvil, started: true };
}

/**
 * The demo agent's wallet, funded on a local development chain (anvil's, chain 31337, whose development accounts are
 * funded and public), and how to ask for a transfer from it. On any other chain nothing is funded.
 */
async function demoWallet(app: ReturnType<typeof createApp>, chain: EvmChain): Promise<string> {
  try {
    if ((await chain.chainId()) !== ANVIL_CHAIN_ID) return '';
    const wallet = await seedDemoWallet(app.services, chain);
    return `  Local chain      ${app.config.chain.rpcUrl}   (anvil; chain ${await app.services.wallets.chainKey()})
    Demo wallet    ${wallet.address}   ${wallet.balance} ETH
    As the operator:  mutation { requestTransfer(input: { walletId: "${encodeGlobalID('Wallet', wallet.walletId)}",
      amount: "0.01", recipient: "${DEMO_RECIPIENT.address}", reason: "Pay the demo vendor" }) { id status } }
    Then as the cfo:  mutation { stepUpWithTotp(code: "<the next code>") { validUntil } }
                      mutation { approveTransfer(id: "<the transfer's id>") { status transaction { transactionHash } } }

`;
  } catch (err) {
    app.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'the demo wallet could not be set up');
    return '';
  }
}

/** The demo sign-ins the seed created (development only), one per role. */
async function demoCredentials(app: ReturnType<typeof createApp>): Promise<string> {
  const known = demoUsers('', '');
  const present = new Set(
    (await app.db.user.findMany({ where: { email: { in: known.map((u) => u.email) } }, select: { email: true } })).map(
      (u) => u.email,
    ),
  );
  const rows = known.filter((u) => present.has(u.email));
  if (rows.length === 0) return '';
  const lines = rows.map(
    (u) =>
      `    ${u.roles.join(',').padEnd(17)} ${u.email.padEnd(24)} ${u.password.padEnd(24)}${u.totpSecret ? ` TOTP secret ${u.totpSecret} (npm run totp -- ${u.totpSecret})` : ''}`,
  );
  return `  Demo sign-ins (mutation { login(input: { email, password, totp }) { accessToken } }, then send
  "Authorization: Bearer <accessToken>" — in GraphiQL under Headers):

${lines.join('\n')}

`;
}

/**
 * The bundled social-platform sandbox (mcp-servers/social) beside the API: it posts what Chimera publishes and
 * sends its (simulated) audience's interactions back to /webhooks/social. If its port is taken (a sandbox already
 * runs), Chimera goes on without starting another.
 */
async function startSocialSandbox(config: Config, apiUrl: string, logger: Logger): Promise<ChildServer | null> {
  try {
    return await startChildServer({
      command: process.execPath,
      args: [
        '--import',
        'tsx',
        'mcp-servers/social/server.ts',
        '--transport',
        'http',
        '--port',
        String(config.socialSandbox.port),
      ],
      cwd: new URL('..', import.meta.url).pathname,
      env: {
        SOCIAL_STATE_FILE: config.socialSandbox.stateFile,
        SOCIAL_AUDIENCE: config.socialSandbox.audience ? 'on' : 'off',
        SOCIAL_WEBHOOK_URL: `${apiUrl}/webhooks/social`,
        SOCIAL_WEBHOOK_SECRET: config.webhooks.secrets.social,
      },
      onLog: (line) => logger.debug({ server: 'social' }, line),
    });
  } catch (err) {
    logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'the social sandbox did not start');
    return null;
  }
}

function banner(url: string, graphiql: boolean, sandboxUi: string | null, agentId = '<an agent id>'): string {
  return `
  Chimera is running.

    GraphQL API      ${url}/graphql${graphiql ? '   (open it in a browser for GraphiQL)' : ''}
    MCP endpoint     ${url}/mcp   (Streamable HTTP; Authorization: Bearer <accessToken>)
    Social sandbox   ${sandboxUi ?? '(not started)'}   (where approved posts appear)
    Liveness         ${url}/health
    Readiness        ${url}/ready

  Paste into GraphiQL:

    query { agents(first: 5) { edges { node { id name persona { name voiceTone { descriptors } } } } } }

    query { trends(filter: { minRelevance: 0.5 }) { edges { node { topic relevanceScore } } } }

    mutation { submitGoal(input: { agentId: "${agentId}",
      goalDescription: "Post about this week's top trend in our voice" }) { id status } }

    subscription { taskUpdated(agentId: "${agentId}") { id taskType status } }   (in a second tab)

`;
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    // Censored: a driver's error can quote a connection string or a resolved secret.
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`Chimera failed to start: ${redactSecretText(text)}\n`);
  }
  process.exit(1);
});
