// `chimera <command>` — the operator's CLI (bin/chimera; `npm run chimera -- <command>`). Each command lives in
// src/cli/commands/; this file parses arguments, loads the configuration once (resolving ${vault:…} references), and
// turns failures into one clear line and an exit code: 0 done, 1 failed, 2 wrong invocation.
import { parseArgs } from 'node:util';
import { type Config, ConfigError, loadConfigWithSecrets } from '../config.js';
import { DomainError } from '../domain/shared/errors.js';
import { MigrationError } from '../platform/db/migration-error.js';
import { type CliCommand, type CliIo, UsageError } from './command.js';
import { backupCommand } from './commands/backup.js';
import { createUserCommand } from './commands/create-user.js';
import { doctorCommand } from './commands/doctor.js';
import { migrateCommand } from './commands/migrate.js';
import { restoreCommand } from './commands/restore.js';
import { retentionCommand } from './commands/retention.js';
import { rotateKeysCommand } from './commands/rotate-keys.js';
import { seedCommand } from './commands/seed.js';
import { validateCommand } from './commands/validate.js';

export const COMMANDS: readonly CliCommand[] = [
  migrateCommand,
  seedCommand,
  createUserCommand,
  backupCommand,
  restoreCommand,
  retentionCommand,
  validateCommand,
  doctorCommand,
  rotateKeysCommand,
];

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: chimera <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'chimera help <command> shows a command’s options. Configuration comes from the environment (README, "Configuration").',
  ].join('\n');
}

export function terminalIo(): CliIo {
  const tty = process.stderr.isTTY;
  let open = false;
  const endLine = () => {
    if (open) process.stderr.write('\n');
    open = false;
  };
  return {
    out: (line) => {
      endLine();
      process.stdout.write(`${line}\n`);
    },
    err: (line) => {
      endLine();
      process.stderr.write(`${line}\n`);
    },
    progress: (label, done, total) => {
      const text = total === undefined ? `${label}: ${done}` : `${label}: ${done}/${total}`;
      if (tty) {
        process.stderr.write(`\r\x1b[2K${text}`);
        open = true;
      } else {
        process.stderr.write(`${text}\n`);
      }
    },
  };
}

/** A failure as one line an operator can act on (never a stack trace for an expected failure). */
export function explain(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  if (error instanceof MigrationError) return `Migration error (${error.code}):\n${error.message}`;
  if (error instanceof DomainError) return `${error.message} (${error.code})`;
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND') {
    return `A dependency is not reachable (${code}): ${(error as Error).message}. Run \`chimera doctor\`.`;
  }
  if (error instanceof Error && code) return `${error.message} (${code})`;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Runs one invocation; returns the exit code. `env` is for tests (default process.env). */
export async function runCli(
  argv: readonly string[],
  io: CliIo = terminalIo(),
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const command = COMMANDS.find((c) => c.name === rest[0]);
    io.out(command ? command.usage : helpText());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`Unknown command: ${name}\n\n${helpText()}`);
    return 2;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...command.options, help: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    const { min, max } = command.positionals ?? { min: 0, max: 0 };
    if (parsed.positionals.length < min || parsed.positionals.length > max) {
      throw new UsageError(`${command.name} takes ${min === max ? min : `${min} to ${max}`} argument(s).`);
    }
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${command.usage}`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(command.usage);
    return 0;
  }
  let config: Promise<Config> | undefined;
  try {
    return await command.run({
      values: parsed.values,
      positionals: parsed.positionals,
      config: () => (config ??= loadConfigWithSecrets(env)),
      io,
    });
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n\n${command.usage}`);
      return 2;
    }
    io.err(explain(err));
    return 1;
  }
}
