// JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1) to RawFeed.
import { absoluteUrl, collapseWhitespace, htmlToText } from './text.js';
import { FeedParseError, type RawFeed, type RawItem } from './types.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function str(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/** JSON Feed 1.1 `authors`, or 1.0's single `author`: names joined by ", ". */
function authorNames(object: Json): string | null {
  const list = Array.isArray(object.authors) ? object.authors : isObject(object.author) ? [object.author] : [];
  const names = list.flatMap((a) => {
    const name = isObject(a) ? str(a.name) : null;
    return name?.trim() ? [name.trim()] : [];
  });
  return names.length > 0 ? names.join(', ') : null;
}

export function parseJsonFeed(text: string, baseUrl: string | null): RawFeed {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new FeedParseError(`invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isObject(document)) throw new FeedParseError('not a JSON Feed: the document is not an object');
  const version = str(document.version);
  if (!(version?.includes('jsonfeed.org/version/') || Array.isArray(document.items))) {
    throw new FeedParseError('not a JSON Feed: no "version" or "items"');
  }
  if (!Array.isArray(document.items)) throw new FeedParseError('JSON Feed without an "items" array');
  const link = absoluteUrl(str(document.home_page_url), baseUrl);
  const base = baseUrl ?? link;
  const feedAuthor = authorNames(document);
  const items: RawItem[] = document.items.filter(isObject).map((item) => {
    const title = str(item.title);
    return {
      id: str(item.id),
      title: title === null ? null : htmlToText(title),
      summary:
        htmlToText(str(item.summary) ?? '') ||
        collapseWhitespace(str(item.content_text) ?? '') ||
        htmlToText(str(item.content_html) ?? ''),
      url: absoluteUrl(str(item.url), base) ?? absoluteUrl(str(item.external_url), base),
      date: str(item.date_published) ?? str(item.date_modified),
      categories: Array.isArray(item.tags) ? item.tags.flatMap((t) => (typeof t === 'string' ? [t] : [])) : [],
      author: authorNames(item) ?? feedAuthor,
    };
  });
  return { format: 'json', title: str(document.title), link, items };
}
