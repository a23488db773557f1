// This process's memory and the memory it may use: the configured limit, else the container's cgroup limit
// (v2 memory.max, v1 memory.limit_in_bytes), else the machine's memory.
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

const CGROUP_LIMIT_FILES = ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'];

/** The cgroup memory limit in bytes, or undefined when there is none ("max", or v1's "unlimited" sentinel). */
export function cgroupMemoryLimit(files: readonly string[] = CGROUP_LIMIT_FILES): number | undefined {
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch {
      continue;
    }
    if (text === 'max') return undefined;
    const bytes = Number(text);
    // cgroup v1 reports "no limit" as a huge page-aligned number (about 2^63).
    if (Number.isFinite(bytes) && bytes > 0 && bytes < 2 ** 60) return bytes;
    return undefined;
  }
  return undefined;
}

export interface MemoryReading {
  usedBytes: number;
  limitBytes: number;
  /** Where the limit came from. */
  limitSource: 'configured' | 'cgroup' | 'machine';
}

/** Reads RSS against the limit; the cgroup file is read once. */
export function createMemoryReader(configuredLimitBytes?: number): () => MemoryReading {
  const cgroup = configuredLimitBytes ? undefined : cgroupMemoryLimit();
  const limitBytes = configuredLimitBytes ?? cgroup ?? totalmem();
  const limitSource = configuredLimitBytes ? 'configured' : cgroup ? 'cgroup' : 'machine';
  return () => ({ usedBytes: process.memoryUsage.rss(), limitBytes, limitSource });
}
