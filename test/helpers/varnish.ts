// A real Varnish (with varnish-modules' xkey) in front of a test API: the shipped VCL (deploy/varnish/chimera.vcl)
// with its backend pointed at the API's port, in a working directory of its own, on free ports. Debian's packages
// `varnish` and `varnish-modules` provide it (.ci/run and scripts/bootstrap.sh install them where they can).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const VCL = fileURLToPath(new URL('../../deploy/varnish/chimera.vcl', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export function varnishdPath(): string {
  for (const candidate of ['/usr/sbin/varnishd', '/usr/local/sbin/varnishd']) {
    try {
      execFileSync(candidate, ['-V'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(
    'varnishd is not installed: apt-get install -y varnish varnish-modules (scripts/bootstrap.sh does it)',
  );
}

export interface Varnish {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startVarnish(opts: { backendPort: number; port?: number; pin?: string }): Promise<Varnish> {
  const dir = mkdtempSync(join(tmpdir(), 'chimera-varnish-'));
  const port = opts.port ?? (await freePort());
  const admin = await freePort();
  const vcl = readFileSync(VCL, 'utf8').replace('.port = "4000";', `.port = "${opts.backendPort}";`);
  if (!vcl.includes(`.port = "${opts.backendPort}"`)) throw new Error('the VCL has no backend port to point at');
  writeFileSync(join(dir, 'chimera.vcl'), vcl, { mode: 0o644 });
  // varnishd drops root for its own user, which must reach the working directory and read the VCL.
  chmodSync(dir, 0o755);
  const argv = [
    '-F',
    '-n',
    dir,
    '-a',
    `127.0.0.1:${port}`,
    '-T',
    `127.0.0.1:${admin}`,
    '-f',
    join(dir, 'chimera.vcl'),
    '-s',
    'malloc,32m',
  ];
  // `pin`: run on these cores (taskset), as the benchmark does.
  const child = opts.pin
    ? spawn('taskset', ['-c', opts.pin, varnishdPath(), ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(varnishdPath(), argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`varnishd exited: ${output}`);
    const up = await fetch(`${url}/health`).then(
      (r) => r.status > 0,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`varnishd did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    process: child,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
