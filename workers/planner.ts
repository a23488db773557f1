// The planner stage of the swarm, as a process of its own (scale it horizontally). All wiring is in src/swarm.
import { loadConfigWithSecrets } from '../src/config.js';
import { runStagesUntilSignalled } from '../src/swarm/process.js';

runStagesUntilSignalled(loadConfigWithSecrets(), ['planner']);
