// The `chimera` CLI's command contract: each command is a file in src/cli/commands/ exporting a CliCommand, listed in
// src/cli/main.ts. Commands are a face, like the GraphQL API and the swarm: they parse arguments, call domain services
// and platform adapters, and print; the rules live in src/domain/.
import type { ParseArgsConfig } from 'node:util';
import type { Config } from '../config.js';

/** Output: results on stdout, progress and diagnostics on stderr (so `chimera … > file` stays clean). */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** A progress line for long work ("backup: postgres 3/5"); rewritten in place on a terminal. */
  progress(label: string, done: number, total?: number): void;
}

export type CliValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CliContext {
  values: CliValues;
  positionals: string[];
  /** The configuration, with ${vault:…} references resolved (loaded on first call). */
  config(): Promise<Config>;
  io: CliIo;
}

export interface CliCommand {
  name: string;
  /** One line for `chimera help`. */
  summary: string;
  /** The full usage text for `chimera help <name>` and for a wrong invocation. */
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Positional arguments allowed (default 0). */
  positionals?: { min: number; max: number };
  /** Returns the exit code: 0 done, 1 failed (or found problems), 2 wrong invocation. */
  run(ctx: CliContext): Promise<number>;
}

/** A wrong invocation: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const stringValue = (values: CliValues, name: string): string | undefined => {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
};

export const flag = (values: CliValues, name: string): boolean => values[name] === true;
