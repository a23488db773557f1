// The process behind bin/chimera: one invocation, its exit code.
import { runCli } from './main.js';

process.exitCode = await runCli(process.argv.slice(2));
