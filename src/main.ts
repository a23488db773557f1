// Starts the API, and (EMBEDDED_WORKERS, on in development) the swarm's stages beside it.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { demoUsers } from '../prisma/seed-users.js';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { SWARM_STAGES } from './swarm/engine.js';
import { runStages } from './swarm/process.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = createApp(config);
  const url = await app.listen();
  // Locally the swarm runs beside the API; in production workers/*.ts run it (EMBEDDED_WORKERS=false).
  const swarm = config.embeddedWorkers ? runStages(config, SWARM_STAGES) : null;
  app.logger.info({ url: `${url}/graphql` }, 'Chimera API listening');
  if (process.stdout.isTTY || config.env === 'development') {
    const [agent] = await app.services.agents.list({ active: true }, { take: 1, select: { id: true } });
    process.stdout.write(banner(url, config.graphiql, agent ? encodeGlobalID('Agent', agent.id) : undefined));
    if (config.env === 'development') process.stdout.write(await demoCredentials(app));
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down');
    await swarm?.close();
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
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

function banner(url: string, graphiql: boolean, agentId = '<an agent id from the first query>'): string {
  return `
  Chimera is running.

    GraphQL API   ${url}/graphql${graphiql ? '   (open it in a browser for GraphiQL)' : ''}
    Liveness      ${url}/health
    Readiness     ${url}/ready

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
    process.stderr.write(
      `Chimera failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
  process.exit(1);
});
