// Shapes the news MCP server hands out: normalized items, per-feed status, and their zod schemas (the tool's
// outputSchema is built from them, so the SDK checks every search result against the documented contract).
import { z } from 'zod';

export const newsItemSchema = z.object({
  id: z.string(),
  title: z.string(),
  summary: z.string(),
  url: z.string().nullable(),
  publishedAt: z.string().nullable(),
  source: z.object({ feedId: z.string(), title: z.string(), url: z.string().nullable() }),
  categories: z.array(z.string()),
  author: z.string().nullable(),
});

export type NewsItem = z.infer<typeof newsItemSchema>;

/** An item as parsed from one document, before the store attaches its source. */
export type ParsedItem = Omit<NewsItem, 'source'>;

export interface ParsedFeed {
  format: 'rss' | 'atom' | 'json';
  title: string | null;
  /** The site the feed belongs to (RSS channel link, Atom alternate link, JSON Feed home_page_url). */
  link: string | null;
  items: ParsedItem[];
}

/** One entry as a format parser found it; text fields are already plain text. */
export interface RawItem {
  id: string | null;
  title: string | null;
  summary: string | null;
  url: string | null;
  date: string | null;
  categories: string[];
  author: string | null;
}

export interface RawFeed {
  format: ParsedFeed['format'];
  title: string | null;
  link: string | null;
  items: RawItem[];
}

export class FeedParseError extends Error {
  override name = 'FeedParseError';
}

/** Where a feed is read from. `replay` is only ever true for the bundled sample files. */
export interface FeedSource {
  id: string;
  kind: 'file' | 'url';
  /** Absolute file path or http(s) URL. */
  location: string;
  replay: boolean;
}

export interface FeedInfo {
  id: string;
  title: string;
  url: string;
  itemCount: number;
  lastFetchedAt: string | null;
  error: string | null;
}
