// npm run user:create -- --email you@example.com --role super_admin …: `chimera create-user`.
import { runCli } from '../src/cli/main.js';

process.exitCode = await runCli(['create-user', ...process.argv.slice(2)]);
