// The embedded chain: a local anvil node (Foundry), whose binary ships in the @foundry-rs/anvil npm packages. The
// run command starts one (its state kept in a file, so wallets keep their funds across restarts); tests start one
// each on a free port. Anvil's development accounts are funded and their keys are public: they fund demo wallets.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Hex } from 'viem';

/** Anvil's first development account (from its public test mnemonic): 10,000 ETH on every fresh anvil chain. */
export const ANVIL_DEV_KEY: Hex = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

/** The chain id anvil (and Hardhat) run under by default. */
export const ANVIL_CHAIN_ID = 31337;

export interface Anvil {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface AnvilOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Load the chain from this file at start and save it there (every few seconds and at exit). */
  stateFile?: string;
  /** Seconds between blocks; unset: a block per transaction, at once. */
  blockTime?: number;
  startTimeoutMs?: number;
}

/** Where the anvil binary is: the platform package @foundry-rs/anvil installs, else `anvil` on the PATH. */
export function anvilBinary(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const name = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
  try {
    return createRequire(import.meta.url).resolve(`@foundry-rs/anvil-${process.platform}-${arch}/bin/${name}`);
  } catch {
    return name;
  }
}

export async function startAnvil(opts: AnvilOptions = {}): Promise<Anvil> {
  const host = opts.host ?? '127.0.0.1';
  // Not --silent: that hides the line saying where it listens, which is how a free port is learnt.
  const args = ['--host', host, '--port', String(opts.port ?? 0)];
  if (opts.stateFile) {
    mkdirSync(dirname(opts.stateFile), { recursive: true });
    // A missing file is a new chain; an empty one (a crash while creating it) is refused by anvil, so it goes.
    if (existsSync(opts.stateFile) && statSync(opts.stateFile).size === 0) unlinkSync(opts.stateFile);
    args.push('--state', opts.stateFile, '--state-interval', '5');
  }
  if (opts.blockTime) args.push('--block-time', String(opts.blockTime));
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`anvil did not start within ${opts.startTimeoutMs ?? 10_000} ms: ${out.slice(-500)}`));
    }, opts.startTimeoutMs ?? 10_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Listening on [^\s:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        // Keep draining its output so anvil never blocks on a full pipe.
        child.stdout?.resume();
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not run anvil (${anvilBinary()}): ${err.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`anvil exited (code ${code}) before it listened: ${out.slice(-500)}`));
    });
  });
  return { url: `http://${host}:${port}`, port, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    // SIGTERM: anvil writes its state file before it exits.
    child.kill('SIGTERM');
  });
}
