// Configuration of the news server from the environment: NEWS_FEEDS (feed sources), NEWS_REFRESH_MS (per-feed
// cache interval) and NEWS_SAMPLE_REPLAY (rebasing of the bundled sample dates).
import { readdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { slugify } from './text.js';
import type { FeedSource } from './types.js';

/** The bundled sample feeds, next to this module whatever the process's cwd is. */
export const BUNDLED_FEEDS_DIR = fileURLToPath(new URL('./feeds/', import.meta.url));
export const DEFAULT_REFRESH_MS = 60_000;

export interface NewsConfig {
  sources: FeedSource[];
  refreshMs: number;
  replay: boolean;
  /** Problems with the configuration that did not stop the server (logged at start). */
  warnings: string[];
}

function httpUrl(entry: string): URL | null {
  try {
    const url = new URL(entry);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/** A stable slug: the file name without extension, or host and path of a URL. */
export function feedIdOf(kind: FeedSource['kind'], location: string): string {
  if (kind === 'url') {
    const url = new URL(location);
    return slugify(`${url.host}${url.pathname}`) || 'feed';
  }
  return slugify(basename(location, extname(location))) || 'feed';
}

function withUniqueIds(sources: Omit<FeedSource, 'id'>[]): FeedSource[] {
  const taken = new Set<string>();
  return sources.map((source) => {
    const base = feedIdOf(source.kind, source.location);
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    taken.add(id);
    return { id, ...source };
  });
}

function bundledSources(replay: boolean): Omit<FeedSource, 'id'>[] {
  return readdirSync(BUNDLED_FEEDS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({ kind: 'file', location: join(BUNDLED_FEEDS_DIR, name), replay }));
}

function configuredSources(list: string, cwd: string): Omit<FeedSource, 'id'>[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const url = httpUrl(entry);
      if (url) return { kind: 'url', location: url.href, replay: false };
      const path = entry.startsWith('file:') ? fileURLToPath(entry) : resolve(cwd, entry);
      return { kind: 'file', location: path, replay: false };
    });
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): NewsConfig {
  const warnings: string[] = [];
  let refreshMs = DEFAULT_REFRESH_MS;
  const rawRefresh = env.NEWS_REFRESH_MS?.trim();
  if (rawRefresh) {
    const parsed = Number(rawRefresh);
    if (Number.isInteger(parsed) && parsed >= 0) refreshMs = parsed;
    else warnings.push(`NEWS_REFRESH_MS=${rawRefresh} is not a non-negative integer; using ${DEFAULT_REFRESH_MS}`);
  }
  const replay = !/^(false|0|no|off)$/i.test(env.NEWS_SAMPLE_REPLAY?.trim() ?? '');
  const list = env.NEWS_FEEDS?.trim();
  const sources = withUniqueIds(list ? configuredSources(list, cwd) : bundledSources(replay));
  if (sources.length === 0) warnings.push('no feed sources configured');
  return { sources, refreshMs, replay, warnings };
}
