// npm run db:migrate [-- status | resolve --rolled-back NAME | resolve --applied NAME]: `chimera migrate`.
import { runCli } from '../src/cli/main.js';

process.exitCode = await runCli(['migrate', ...process.argv.slice(2)]);
