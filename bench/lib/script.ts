// Each bench is both a script of its own (npm run bench:<name>) and a module bench/run.ts imports.
import { realpathSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** True when the module at `moduleUrl` is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** Runs `main` when the module is the started script: exits with its code (0 by default), 1 when it throws. */
export function runAsScript(moduleUrl: string, main: () => Promise<number | undefined> | Promise<void>): void {
  if (!isMain(moduleUrl)) return;
  main().then(
    (code) => process.exit(code ?? 0),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

/** Writes bench/results/<name>.md and <name>.json (the directory is made when missing). */
export async function writeResults(name: string, markdown: string, json: string): Promise<void> {
  const dir = new URL('../results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  await writeFile(new URL(`${name}.md`, dir), markdown);
  await writeFile(new URL(`${name}.json`, dir), json);
}
