// Runs a bundled MCP server (mcp-servers/*) as a child process and waits until it says where it listens: the
// servers print one JSON line {"event":"listening","url":…} on stdout in HTTP mode. Used by the run command (the
// social sandbox beside the API) and by tests that need the servers as real processes.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:4100/mcp. */
  url: string;
  /** Everything else the server said in its listening line (e.g. the sandbox's "ui"). */
  info: Record<string, unknown>;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface ChildServerOptions {
  command: string;
  args: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  startTimeoutMs?: number;
  onLog?: (line: string) => void;
}

export function startChildServer(options: ChildServerOptions): Promise<ChildServer> {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > 20) stderr.shift();
    options.onLog?.(line);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (graceMs = 3_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop(0);
      reject(new Error(`${options.args.join(' ')} did not start within ${options.startTimeoutMs ?? 20_000} ms`));
    }, options.startTimeoutMs ?? 20_000);
    const early = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      reject(new Error(`${options.args.join(' ')} exited (${code ?? signal}) before listening: ${stderr.join(' | ')}`));
    };
    child.once('exit', early);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        options.onLog?.(line);
        return;
      }
      if (event.event !== 'listening' || typeof event.url !== 'string') return;
      clearTimeout(timer);
      child.off('exit', early);
      resolve({ url: event.url, info: event, process: child, stop });
    });
  });
}
