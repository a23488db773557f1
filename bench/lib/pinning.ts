// Where the bench's processes run: on a machine with taskset and two or more cores, every server under test in a
// process of its own pinned to core 0, and the load generator (this process) on core 1, so the two never compete.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { type ChildServer, startChildServer } from '../../src/platform/mcp/child-server.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const hasTaskset: boolean = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return os.cpus().length >= 2;
  } catch {
    return false;
  }
})();

/**
 * Moves this process (every thread: the load generator and clients) to core 1. Returns the undo, which gives it
 * every core back (bench/run.ts runs in-process benches, the swarm and memory ones, unpinned).
 */
export function pinLoadGenerator(): () => void {
  if (!hasTaskset) return () => undefined;
  execFileSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
  return () => {
    execFileSync('taskset', ['-a', '-cp', `0-${os.cpus().length - 1}`, String(process.pid)], { stdio: 'ignore' });
  };
}

/** The command line that runs `command argv…` on core 0 (or unpinned without taskset). */
export function pinned(command: string, argv: string[]): { command: string; args: string[] } {
  return hasTaskset ? { command: 'taskset', args: ['-c', '0', command, ...argv] } : { command, args: argv };
}

/**
 * Starts a TypeScript server script (it prints {"event":"listening","url":…} on stdout) as `node --import tsx`,
 * pinned to core 0. The child is the node process itself (taskset execs), so `process.pid` is the server's pid.
 */
export function serve(script: string, env: Record<string, string>, startTimeoutMs = 60_000): Promise<ChildServer> {
  const { command, args } = pinned(process.execPath, ['--import', 'tsx', script]);
  return startChildServer({ command, args, env, cwd: ROOT, startTimeoutMs });
}

export function machine() {
  return {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    loadAverage: os.loadavg(),
    pinned: hasTaskset,
  };
}
