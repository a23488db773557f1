// RSS 2.0 (and RSS 1.0) and Atom 1.0 documents to RawFeed. fast-xml-parser runs in preserveOrder mode with entity
// processing off: this module decodes character references itself, exactly once, and keeps CDATA sections raw, so
// escaped HTML and XHTML content are both turned into plain text correctly.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { absoluteUrl, collapseWhitespace, decodeEntities, htmlToText } from './text.js';
import { FeedParseError, type RawFeed, type RawItem } from './types.js';

type XNode = Record<string, unknown>;
const ATTRS = ':@';
const TEXT = '#text';
const CDATA = '#cdata';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  cdataPropName: CDATA,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

const isNode = (value: unknown): value is XNode => typeof value === 'object' && value !== null && !Array.isArray(value);
const nameOf = (node: XNode): string | undefined => Object.keys(node).find((key) => key !== ATTRS);

function childrenOf(node: XNode | undefined): XNode[] {
  const name = node && nameOf(node);
  const value = name && name !== TEXT ? node[name] : undefined;
  return Array.isArray(value) ? value.filter(isNode) : [];
}

const all = (nodes: XNode[], name: string): XNode[] => nodes.filter((node) => nameOf(node) === name);
const first = (nodes: XNode[], name: string): XNode | undefined => nodes.find((node) => nameOf(node) === name);

function attr(node: XNode | undefined, name: string): string | null {
  const attrs = node?.[ATTRS];
  const value = isNode(attrs) ? attrs[name] : undefined;
  return typeof value === 'string' ? decodeEntities(value) : null;
}

/** The character data of an element and its descendants, in document order (CDATA taken literally). */
function textOf(node: XNode | undefined): string | null {
  if (!node) return null;
  const parts: string[] = [];
  const walk = (n: XNode, literal: boolean): void => {
    const name = nameOf(n);
    if (name === TEXT) parts.push(literal ? String(n[TEXT]) : decodeEntities(String(n[TEXT])));
    else for (const child of childrenOf(n)) walk(child, literal || name === CDATA);
  };
  walk(node, false);
  return parts.join('');
}

const escapeHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Re-serializes inline XHTML as HTML markup (namespace prefixes dropped) for htmlToText. */
function markupOf(nodes: XNode[]): string {
  return nodes
    .map((node) => {
      const name = nameOf(node);
      if (name === TEXT || name === CDATA) return escapeHtml(textOf(node) ?? '');
      if (!name) return '';
      const tag = name.replace(/^.*:/, '');
      return `<${tag}>${markupOf(childrenOf(node))}</${tag}>`;
    })
    .join('');
}

/** Text of an element whose content is (possibly escaped) HTML, as RSS fields are in practice. */
const htmlText = (node: XNode | undefined): string | null => {
  const text = textOf(node);
  return text === null ? null : htmlToText(text);
};

/** An Atom text construct (type text, html or xhtml) as plain text. */
function atomText(node: XNode | undefined): string | null {
  if (!node) return null;
  const type = attr(node, 'type') ?? 'text';
  if (type === 'xhtml') return htmlToText(markupOf(childrenOf(node)));
  const text = textOf(node) ?? '';
  return type === 'html' || type === 'text/html' ? htmlToText(text) : collapseWhitespace(text);
}

/** RSS `author` is often "email (Name)": keep the name. */
function rssAuthor(value: string | null): string | null {
  if (value === null) return null;
  const text = collapseWhitespace(value);
  return /^\S+@\S+\s*\((.+)\)$/.exec(text)?.[1] ?? text;
}

function parseRss(root: XNode, baseUrl: string | null): RawFeed {
  const rootChildren = childrenOf(root);
  const channel = childrenOf(first(rootChildren, 'channel'));
  const link = absoluteUrl(textOf(first(channel, 'link')), baseUrl);
  const base = baseUrl ?? link;
  // RSS 2.0 nests items in the channel, RSS 1.0 puts them beside it.
  const items = [...all(channel, 'item'), ...all(rootChildren, 'item')].map((item): RawItem => {
    const c = childrenOf(item);
    const guid = first(c, 'guid');
    const permalink = attr(guid, 'isPermaLink') !== 'false';
    return {
      id: textOf(guid) ?? attr(item, 'rdf:about'),
      title: htmlText(first(c, 'title')),
      summary: htmlText(first(c, 'description')) || htmlText(first(c, 'content:encoded')),
      url: absoluteUrl(textOf(first(c, 'link')), base) ?? (permalink ? absoluteUrl(textOf(guid), null) : null),
      date: textOf(first(c, 'pubDate') ?? first(c, 'dc:date')),
      categories: [...all(c, 'category'), ...all(c, 'dc:subject')].map((node) => htmlText(node) ?? ''),
      author: rssAuthor(textOf(first(c, 'dc:creator') ?? first(c, 'author'))),
    };
  });
  return { format: 'rss', title: htmlText(first(channel, 'title')), link, items };
}

function atomLink(nodes: XNode[], base: string | null): string | null {
  const links = all(nodes, 'link').filter((node) => (attr(node, 'rel') ?? 'alternate') === 'alternate');
  const preferred = links.find((node) => attr(node, 'type')?.includes('html')) ?? links[0];
  return absoluteUrl(attr(preferred, 'href'), base);
}

function atomAuthors(nodes: XNode[]): string | null {
  const names = all(nodes, 'author').flatMap((author) => {
    const name = collapseWhitespace(textOf(first(childrenOf(author), 'name')) ?? '');
    return name === '' ? [] : [name];
  });
  return names.length > 0 ? names.join(', ') : null;
}

function parseAtom(root: XNode, baseUrl: string | null): RawFeed {
  const feed = childrenOf(root);
  const link = atomLink(feed, baseUrl);
  const base = baseUrl ?? link;
  const feedAuthor = atomAuthors(feed);
  const items = all(feed, 'entry').map((entry): RawItem => {
    const c = childrenOf(entry);
    return {
      id: textOf(first(c, 'id')),
      title: atomText(first(c, 'title')),
      summary: atomText(first(c, 'summary')) || atomText(first(c, 'content')),
      url: atomLink(c, base),
      date: textOf(first(c, 'published') ?? first(c, 'updated')),
      categories: all(c, 'category').map((node) => attr(node, 'term') ?? attr(node, 'label') ?? ''),
      author: atomAuthors(c) ?? feedAuthor,
    };
  });
  return { format: 'atom', title: atomText(first(feed, 'title')), link, items };
}

export function parseXmlFeed(text: string, baseUrl: string | null): RawFeed {
  if (!text.startsWith('<')) throw new FeedParseError('unrecognized document: neither XML nor JSON');
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new FeedParseError(`invalid XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  }
  const nodes: unknown = parser.parse(text);
  const root = Array.isArray(nodes) ? nodes.filter(isNode).find((node) => nameOf(node) !== TEXT) : undefined;
  const name = root && nameOf(root);
  if (root && (name === 'rss' || name === 'rdf:RDF')) return parseRss(root, baseUrl);
  if (root && name === 'feed') return parseAtom(root, baseUrl);
  throw new FeedParseError(`unrecognized XML document: root element <${name ?? '?'}> is neither <rss> nor <feed>`);
}
