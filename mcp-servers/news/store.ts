// The feed store: reads each configured feed (file or URL) at most once per refresh interval, keeps the last good
// items when a re-read fails, rebases the bundled samples' dates, and answers the queries behind the resources
// and the search tool. One broken feed never affects the others.
import { readFile } from 'node:fs/promises';
import { errorMessage, log } from './log.js';
import { parseFeed } from './parse.js';
import type { FeedInfo, FeedSource, NewsItem } from './types.js';

export const LATEST_LIMIT = 50;
const FETCH_TIMEOUT_MS = 10_000;
const MAX_DOCUMENT_CHARS = 10_000_000;
/** The newest replayed sample item is dated this long before the server started. */
const REPLAY_LAG_MS = 5 * 60_000;

export interface StoreOptions {
  refreshMs: number;
  /** The server's start time, the anchor of sample replay. */
  startedAt: Date;
  fetchTimeoutMs?: number;
}

interface FeedState {
  source: FeedSource;
  title: string | null;
  link: string | null;
  items: NewsItem[];
  lastFetchedAt: Date | null;
  error: string | null;
  pending: Promise<void> | null;
}

export interface LatestNews {
  generatedAt: string;
  items: NewsItem[];
  errors: { feedId: string; message: string }[];
}

/** Newest first; items without a date last; otherwise the order of the input (Array.prototype.sort is stable). */
export function byNewest(a: NewsItem, b: NewsItem): number {
  if (a.publishedAt === b.publishedAt) return 0;
  if (a.publishedAt === null) return 1;
  if (b.publishedAt === null) return -1;
  return Date.parse(b.publishedAt) - Date.parse(a.publishedAt);
}

/** Drops items whose id or url was already seen (the earlier item wins). */
export function dedupe(items: NewsItem[]): NewsItem[] {
  const ids = new Set<string>();
  const urls = new Set<string>();
  return items.filter((item) => {
    if (ids.has(item.id) || (item.url !== null && urls.has(item.url))) return false;
    ids.add(item.id);
    if (item.url !== null) urls.add(item.url);
    return true;
  });
}

/** Shifts all dates so the newest is `anchor`, keeping the spacing between items. */
export function replayDates(items: NewsItem[], anchor: number): NewsItem[] {
  const times = items.flatMap((item) => (item.publishedAt === null ? [] : [Date.parse(item.publishedAt)]));
  if (times.length === 0) return items;
  const offset = anchor - Math.max(...times);
  return items.map((item) =>
    item.publishedAt === null
      ? item
      : { ...item, publishedAt: new Date(Date.parse(item.publishedAt) + offset).toISOString() },
  );
}

async function fetchText(url: string, timeoutMs: number): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        accept: 'application/feed+json, application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.8',
        'user-agent': 'chimera-news-mcp/0.1',
      },
    });
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError') throw new Error(`timed out after ${timeoutMs} ms`);
    throw error;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  }
  const text = await response.text();
  if (text.length > MAX_DOCUMENT_CHARS) throw new Error(`document larger than ${MAX_DOCUMENT_CHARS} characters`);
  return text;
}

async function readSource(source: FeedSource, timeoutMs: number): Promise<string> {
  if (source.kind === 'url') return fetchText(source.location, timeoutMs);
  try {
    return await readFile(source.location, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : undefined;
    if (code === 'ENOENT') throw new Error(`file not found: ${source.location}`);
    throw error;
  }
}

export class NewsStore {
  private readonly states: FeedState[];

  constructor(
    sources: FeedSource[],
    private readonly options: StoreOptions,
  ) {
    this.states = sources.map((source) => ({
      source,
      title: null,
      link: null,
      items: [],
      lastFetchedAt: null,
      error: null,
      pending: null,
    }));
  }

  /** Feed ids and their titles as far as known, without reading anything. */
  known(): { id: string; title: string }[] {
    return this.states.map((s) => ({ id: s.source.id, title: s.title ?? s.source.id }));
  }

  async latest(limit = LATEST_LIMIT): Promise<LatestNews> {
    await this.refreshAll();
    const errors = this.states.flatMap((s) => (s.error === null ? [] : [{ feedId: s.source.id, message: s.error }]));
    return { generatedAt: new Date().toISOString(), items: this.allItems().slice(0, limit), errors };
  }

  async feeds(): Promise<{ feeds: FeedInfo[] }> {
    await this.refreshAll();
    return { feeds: this.states.map((s) => this.info(s)) };
  }

  /** One feed's status and items (newest first); null for an unknown id. */
  async feed(id: string): Promise<{ feed: FeedInfo; items: NewsItem[] } | null> {
    const state = this.states.find((s) => s.source.id === id);
    if (!state) return null;
    await this.refresh(state);
    return { feed: this.info(state), items: [...state.items].sort(byNewest) };
  }

  /** Items whose title or summary contains every word of the query (case-insensitive), newest first. */
  async search(query: string, limit: number): Promise<NewsItem[]> {
    await this.refreshAll();
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length === 0) return [];
    return this.allItems()
      .filter((item) => {
        const text = `${item.title}\n${item.summary}`.toLowerCase();
        return words.every((word) => text.includes(word));
      })
      .slice(0, limit);
  }

  private allItems(): NewsItem[] {
    return dedupe(this.states.flatMap((s) => s.items).sort(byNewest));
  }

  private info(state: FeedState): FeedInfo {
    return {
      id: state.source.id,
      title: state.title ?? state.source.id,
      url: state.source.location,
      itemCount: state.items.length,
      lastFetchedAt: state.lastFetchedAt?.toISOString() ?? null,
      error: state.error,
    };
  }

  private async refreshAll(): Promise<void> {
    await Promise.all(this.states.map((s) => this.refresh(s)));
  }

  private refresh(state: FeedState): Promise<void> {
    if (state.pending) return state.pending;
    const last = state.lastFetchedAt?.getTime();
    if (last !== undefined && Date.now() - last < this.options.refreshMs) return Promise.resolve();
    state.pending = this.load(state).finally(() => {
      state.pending = null;
    });
    return state.pending;
  }

  private async load(state: FeedState): Promise<void> {
    const { source } = state;
    try {
      const document = await readSource(source, this.options.fetchTimeoutMs ?? FETCH_TIMEOUT_MS);
      const parsed = parseFeed(document, source.kind === 'url' ? source.location : null);
      state.title = parsed.title;
      state.link = parsed.link;
      const sourceInfo = {
        feedId: source.id,
        title: parsed.title ?? source.id,
        url: parsed.link ?? (source.kind === 'url' ? source.location : null),
      };
      const items = parsed.items.map((item) => ({ ...item, source: sourceInfo }));
      state.items = source.replay ? replayDates(items, this.options.startedAt.getTime() - REPLAY_LAG_MS) : items;
      state.error = null;
    } catch (error) {
      // Keep the last good items: a feed that was readable before stays useful while its source is down.
      state.error = errorMessage(error);
      log('warn', 'feed could not be read', { feedId: source.id, source: source.location, error: state.error });
    }
    state.lastFetchedAt = new Date();
  }
}
