// Runs the sandbox as a real OS process for tests and local tooling: spawns `server.ts` over HTTP (node with tsx's
// loader, so a signal reaches the server itself, not a wrapper), waits for its `listening` line, and stops it.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SERVER_ENTRY = fileURLToPath(new URL('./server.ts', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SandboxProcess {
  readonly child: ChildProcess;
  /** The MCP endpoint, `http://127.0.0.1:PORT/mcp`. */
  readonly url: string;
  /** The UI origin with a trailing slash, `http://127.0.0.1:PORT/`. */
  readonly ui: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends the signal (SIGTERM by default) unless it already exited, and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  stateFile: string;
  env?: Record<string, string>;
  args?: string[];
  startTimeoutMs?: number;
}

/** The environment a sandbox child gets: PATH and HOME, nothing else from this process, plus `env`. */
export function sandboxEnv(stateFile: string, env: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) base[name] = value;
  }
  return { ...base, SOCIAL_STATE_FILE: stateFile, ...env };
}

/** Starts a process without waiting for it (e.g. to watch it refuse to start). */
export function spawnRaw(options: SpawnOptions): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY, ...(options.args ?? ['--transport', 'http'])], {
    cwd: REPO_ROOT,
    env: sandboxEnv(options.stateFile, options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export async function spawnSandbox(options: SpawnOptions): Promise<SandboxProcess> {
  const child = spawnRaw({ ...options, args: options.args ?? ['--transport', 'http', '--port', '0'] });
  let out = '';
  let stdout = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const listening = new Promise<{ url: string; ui: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the sandbox did not start in time:\n${out}`)),
      options.startTimeoutMs ?? 30_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.includes('"listening"'));
      if (!line) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as { url: string; ui: string });
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the sandbox exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  let address: { url: string; ui: string };
  try {
    address = await listening;
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw error;
  }
  return {
    child,
    url: address.url,
    ui: address.ui,
    output: () => out,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
