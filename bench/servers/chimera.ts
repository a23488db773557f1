// Chimera's API as the bench runs it: the whole server (authentication, the permission rules, rate limits, query
// protection, the response cache when RESPONSE_CACHE=true), configured by the environment the bench passes.
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

const app = createApp(loadConfig());
const url = await app.listen();
await app.changeFeed?.listening;
process.stdout.write(`${JSON.stringify({ event: 'listening', url: `${url}/graphql` })}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
