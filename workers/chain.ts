// The chain stage (approved transfers signed, sent and confirmed, exactly once) as a process of its own. Wiring in src/swarm.
import { loadConfigWithSecrets } from '../src/config.js';
import { runStagesUntilSignalled } from '../src/swarm/process.js';

runStagesUntilSignalled(loadConfigWithSecrets(), ['chain']);
