// Running the external tools of backups (pg_dump, pg_restore, redis-cli) and measuring what streams through.
// A tool's stderr is kept (its tail), scrubbed of the secrets it was given, and summarised in the error when it fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type Readable, Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackupAdapterError, systemCodeOf } from './backup-error.js';

/** Counts the bytes and takes the SHA-256 of what passes through. */
export class Digest extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    done(null, chunk);
  }
  /** The hex digest (call once, after the stream ended). */
  sha256(): string {
    return this.hash.digest('hex');
  }
}

/** Where a tool is: `name` in `binDir` when one is configured, else on PATH. */
export const toolPath = (name: string, binDir: string | undefined) => (binDir ? join(binDir, name) : name);

const STDERR_KEPT = 16_384;

/** The last lines of a tool's stderr, without the secrets it was given. */
export function summarise(stderr: string, secrets: readonly string[]): string {
  let text = stderr;
  for (const s of secrets) if (s.length >= 3) text = text.replaceAll(s, '***');
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const tail = lines.slice(-6).join(' | ');
  return tail.length > 1_200 ? `…${tail.slice(-1_200)}` : tail || '(no output)';
}

export interface ToolRun {
  command: string;
  args: string[];
  env?: Record<string, string | undefined>;
  /** Values to scrub from its output in messages (passwords). */
  secrets?: string[];
  /** Fed to its stdin. */
  stdin?: Readable;
  /** Receives its stdout (the caller's pipeline, e.g. encrypt → file). */
  stdout?: (out: Readable) => Promise<void>;
  /** What the tool is doing, for messages ("pg_dump of chimera"). */
  what: string;
  /** The install hint for a missing tool. */
  hint: string;
}

function started(child: ChildProcess, run: ToolRun): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err) => {
      if (systemCodeOf(err) === 'ENOENT') {
        reject(new BackupAdapterError('BACKUP_TOOL_MISSING', `${run.command} was not found: ${run.hint}`));
      } else {
        reject(
          new BackupAdapterError('BACKUP_TOOL_FAILED', `${run.what}: could not start ${run.command}: ${err.message}`),
        );
      }
    });
  });
}

/** Runs a tool to its end. BACKUP_TOOL_MISSING when it is not installed, BACKUP_TOOL_FAILED when it exits non-zero. */
export async function runTool(run: ToolRun): Promise<void> {
  const child = spawn(run.command, run.args, {
    env: { ...process.env, ...run.env },
    stdio: [run.stdin ? 'pipe' : 'ignore', run.stdout ? 'pipe' : 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    stderr = (stderr + s).slice(-STDERR_KEPT);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  await started(child, run);
  const work: Promise<unknown>[] = [];
  if (run.stdin && child.stdin) {
    // A tool that stops reading (it failed) closes the pipe: EPIPE then, and its exit status tells why.
    work.push(
      pipeline(run.stdin, child.stdin as Writable).catch((err: unknown) => {
        if (systemCodeOf(err) === 'EPIPE' || systemCodeOf(err) === 'ERR_STREAM_PREMATURE_CLOSE') return 'closed';
        child.kill('SIGTERM');
        throw err;
      }),
    );
  }
  if (run.stdout && child.stdout) {
    work.push(
      run.stdout(child.stdout).catch((err: unknown) => {
        child.kill('SIGTERM');
        throw err;
      }),
    );
  }
  const results = await Promise.allSettled(work);
  const { code, signal } = await exited;
  if (code !== 0) {
    const how = code === null ? `was stopped by ${signal}` : `exited with code ${code}`;
    throw new BackupAdapterError(
      'BACKUP_TOOL_FAILED',
      `${run.what} failed: ${run.command} ${how}: ${summarise(stderr, run.secrets ?? [])}`,
    );
  }
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
