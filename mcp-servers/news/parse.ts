// Feed parsing entry point: detects RSS 2.0 / RSS 1.0, Atom 1.0 or JSON Feed 1.x by content (never by file
// extension) and normalizes every entry to the ParsedItem shape.
import { parseJsonFeed } from './jsonfeed.js';
import { collapseWhitespace, parseDate, sha256, truncate, uniqueStrings } from './text.js';
import { FeedParseError, type ParsedFeed, type ParsedItem, type RawItem } from './types.js';
import { parseXmlFeed } from './xml.js';

export const SUMMARY_MAX_CHARS = 1000;

/** Parses a feed document. `baseUrl` (the feed's own URL, when it has one) resolves relative links. */
export function parseFeed(document: string, baseUrl: string | null = null): ParsedFeed {
  const text = document.replace(/^\uFEFF/, '').trim();
  if (text === '') throw new FeedParseError('empty document');
  const raw = text.startsWith('{') || text.startsWith('[') ? parseJsonFeed(text, baseUrl) : parseXmlFeed(text, baseUrl);
  const items: ParsedItem[] = [];
  const ids = new Set<string>();
  for (const entry of raw.items) {
    const item = normalizeItem(entry);
    if (item === null || ids.has(item.id)) continue;
    ids.add(item.id);
    items.push(item);
  }
  const title = raw.title === null ? '' : collapseWhitespace(raw.title);
  return { format: raw.format, title: title === '' ? null : title, link: raw.link, items };
}

/** The contract's normalization; null for an entry without a title (those are dropped). */
export function normalizeItem(raw: RawItem): ParsedItem | null {
  const title = collapseWhitespace(raw.title ?? '');
  if (title === '') return null;
  const url = raw.url;
  const id = collapseWhitespace(raw.id ?? '') || url || sha256(`${title}\n${raw.date?.trim() ?? ''}`);
  const author = collapseWhitespace(raw.author ?? '');
  return {
    id,
    title,
    summary: truncate(collapseWhitespace(raw.summary ?? ''), SUMMARY_MAX_CHARS),
    url,
    publishedAt: parseDate(raw.date),
    categories: uniqueStrings(raw.categories),
    author: author === '' ? null : author,
  };
}
