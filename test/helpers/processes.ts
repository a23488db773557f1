// The swarm's stages as real operating-system processes (workers/*.ts), pointed at a test app's database and Redis
// prefix: what production runs, so tests can kill them for real.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestApp } from './app.js';
import { within } from './ws-client.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface StageProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote (JSON log lines), for failure messages. */
  output(): string;
  /** Resolves when it logged that its stages run. */
  ready: Promise<void>;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Fast settings for tests: short job locks (a dead worker's job is taken over in seconds), quick reconciling. */
export const FAST_SWARM_ENV = {
  SWARM_JOB_LOCK_MS: '1500',
  SWARM_RECONCILE_INTERVAL_MS: '1000',
  SWARM_HEARTBEAT_MS: '500',
  SWARM_JOB_BACKOFF_MS: '200',
  SWARM_CONCURRENCY: '4',
};

export function spawnStage(
  t: TestApp,
  stage: 'planner' | 'worker' | 'judge' | 'publish' | 'chain' | 'maintenance',
  env: Record<string, string> = {},
): StageProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', `workers/${stage}.ts`], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      CHIMERA_ENV: 'test',
      CHIMERA_LOG_LEVEL: 'info',
      DATABASE_URL: t.database.url,
      DATABASE_POOL_SIZE: '4',
      REDIS_URL: t.app.config.redisUrl,
      REDIS_KEY_PREFIX: t.app.config.redisKeyPrefix,
      LLM_PROVIDER: 'offline',
      ...FAST_SWARM_ENV,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let readyResolve: () => void = () => undefined;
  const readyPromise = new Promise<void>((r) => (readyResolve = r));
  const collect = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes('swarm stages running')) readyResolve();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    ready: within(
      Promise.race([
        readyPromise,
        exited.then((code) => {
          throw new Error(`${stage} process exited (${code}) before it was ready:\n${out}`);
        }),
      ]),
      60_000,
      `the ${stage} process to start`,
    ),
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
