// Where the CPU goes during a phase: this process (API + swarm + the bench's clients), PostgreSQL, Redis, and
// everything else on the machine. Read from /proc (Linux); elsewhere only this process is measured.
import { readdir, readFile } from 'node:fs/promises';

/** USER_HZ: the unit of /proc CPU times on Linux. */
const TICKS_PER_SECOND = 100;
const GROUPS = { postgres: 'postgres', redis: 'redis-server' } as const;
type Group = keyof typeof GROUPS;

interface Snapshot {
  at: number;
  /** This process, in CPU seconds. */
  self: number;
  /** CPU seconds per pid, by group (a backend that exits during the phase loses its share). */
  pids: Record<Group, Map<number, number>>;
  /** CPU seconds the whole machine spent busy, or null without /proc/stat. */
  machineBusy: number | null;
}

/** Average cores in use during the phase (CPU seconds ÷ wall seconds), by who used them. */
export interface CpuUse {
  wallSeconds: number;
  bench: number;
  postgres: number | null;
  redis: number | null;
  /** Busy time of the machine not accounted for by the three above (other processes, the kernel). */
  other: number | null;
}

async function processTimes(): Promise<Record<Group, Map<number, number>> | null> {
  const out: Record<Group, Map<number, number>> = { postgres: new Map(), redis: new Map() };
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return null;
  }
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (pid) => {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
        const open = stat.indexOf('(');
        const close = stat.lastIndexOf(')');
        if (open < 0 || close < 0) return;
        const comm = stat.slice(open + 1, close);
        const group = (Object.keys(GROUPS) as Group[]).find((g) => GROUPS[g] === comm);
        if (!group) return;
        // Fields after the command: state(3) … utime(14) stime(15).
        const fields = stat.slice(close + 2).split(' ');
        const ticks = Number(fields[11]) + Number(fields[12]);
        if (Number.isFinite(ticks)) out[group].set(Number(pid), ticks / TICKS_PER_SECOND);
      }),
  );
  return out;
}

async function machineBusy(): Promise<number | null> {
  const stat = await readFile('/proc/stat', 'utf8').catch(() => '');
  const line = stat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

export async function cpuSnapshot(): Promise<Snapshot & { hasProc: boolean }> {
  const usage = process.cpuUsage();
  const pids = await processTimes();
  return {
    at: performance.now(),
    self: (usage.user + usage.system) / 1e6,
    pids: pids ?? { postgres: new Map(), redis: new Map() },
    machineBusy: await machineBusy(),
    hasProc: pids !== null,
  };
}

export function cpuUse(start: Awaited<ReturnType<typeof cpuSnapshot>>, end: Awaited<ReturnType<typeof cpuSnapshot>>) {
  const wallSeconds = (end.at - start.at) / 1000;
  const perCore = (cpuSeconds: number) => cpuSeconds / wallSeconds;
  const delta = (g: Group) => {
    let sum = 0;
    for (const [pid, seconds] of end.pids[g]) sum += seconds - (start.pids[g].get(pid) ?? 0);
    return sum;
  };
  const bench = end.self - start.self;
  const postgres = start.hasProc ? delta('postgres') : null;
  const redis = start.hasProc ? delta('redis') : null;
  const busy = start.machineBusy !== null && end.machineBusy !== null ? end.machineBusy - start.machineBusy : null;
  const other =
    busy !== null && postgres !== null && redis !== null ? Math.max(0, busy - bench - postgres - redis) : null;
  return {
    wallSeconds,
    bench: perCore(bench),
    postgres: postgres === null ? null : perCore(postgres),
    redis: redis === null ? null : perCore(redis),
    other: other === null ? null : perCore(other),
  } satisfies CpuUse;
}
