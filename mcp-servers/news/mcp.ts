// The MCP surface of the news server: resources news://latest, news://feeds and the template news://feeds/{feedId},
// and the search_news tool. One McpServer per connection (or per request in stateless HTTP), all sharing a store.
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { NewsStore } from './store.js';
import { newsItemSchema } from './types.js';

export const SERVER_INFO = { name: 'chimera-news', version: '0.1.0' };
const JSON_MIME = 'application/json';

function jsonContent(uri: URL, value: unknown): ReadResourceResult {
  return { contents: [{ uri: uri.href, mimeType: JSON_MIME, text: JSON.stringify(value) }] };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function createNewsServer(store: NewsStore): McpServer {
  const server = new McpServer(SERVER_INFO, {
    instructions:
      'News for content ideas. Read news://latest for the newest items across all feeds, news://feeds for the feeds ' +
      'and their health, news://feeds/{feedId} for one feed; call search_news to find items by words.',
  });

  server.registerResource(
    'latest',
    'news://latest',
    {
      title: 'Latest news',
      description: 'Up to 50 items across all feeds, newest first (undated last), deduplicated by id and url.',
      mimeType: JSON_MIME,
    },
    async (uri) => jsonContent(uri, await store.latest()),
  );

  server.registerResource(
    'feeds',
    'news://feeds',
    {
      title: 'News feeds',
      description: 'Every configured feed with item count, last fetch and error.',
      mimeType: JSON_MIME,
    },
    async (uri) => jsonContent(uri, await store.feeds()),
  );

  const feedTemplate = new ResourceTemplate('news://feeds/{feedId}', {
    list: () => ({
      resources: store.known().map(({ id, title }) => ({
        uri: `news://feeds/${id}`,
        name: `feed-${id}`,
        title,
        mimeType: JSON_MIME,
      })),
    }),
    complete: {
      feedId: (value) =>
        store
          .known()
          .map((f) => f.id)
          .filter((id) => id.startsWith(value)),
    },
  });
  server.registerResource(
    'feed',
    feedTemplate,
    { title: 'One news feed', description: "A feed's status and all of its items, newest first.", mimeType: JSON_MIME },
    async (uri, variables) => {
      const raw = variables.feedId;
      const feedId = safeDecode((Array.isArray(raw) ? raw[0] : raw) ?? '');
      const feed = await store.feed(feedId);
      if (!feed) {
        const known = store
          .known()
          .map((f) => f.id)
          .join(', ');
        throw new McpError(ErrorCode.InvalidParams, `Unknown feed "${feedId}". Known feeds: ${known || '(none)'}`);
      }
      return jsonContent(uri, feed);
    },
  );

  server.registerTool(
    'search_news',
    {
      title: 'Search news',
      description:
        'Finds news items whose title or summary contains every word of the query (case-insensitive), newest first.',
      inputSchema: {
        query: z.string().trim().min(1).max(200).describe('Words that must all appear in the title or summary'),
        limit: z.number().int().min(1).max(50).optional().describe('Maximum number of items (default 10)'),
      },
      outputSchema: { items: z.array(newsItemSchema) },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: true },
    },
    async ({ query, limit }) => {
      const result = { items: await store.search(query, limit ?? 10) };
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
    },
  );

  return server;
}
