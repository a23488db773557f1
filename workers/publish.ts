// The publish stage (approved content to its platforms, through the MCP hub) as a process of its own. Wiring in src/swarm.
import { loadConfigWithSecrets } from '../src/config.js';
import { runStagesUntilSignalled } from '../src/swarm/process.js';

runStagesUntilSignalled(loadConfigWithSecrets(), ['publish']);
