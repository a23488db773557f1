// The maintenance stage (post-publication monitoring, vector-store upkeep) as a process of its own. Wiring in src/swarm.
import { loadConfigWithSecrets } from '../src/config.js';
import { runStagesUntilSignalled } from '../src/swarm/process.js';

runStagesUntilSignalled(loadConfigWithSecrets(), ['maintenance']);
