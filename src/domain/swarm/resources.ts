// The resources a task names in context.required_resources (e.g. mcp://news/latest), read through the MCP hub and
// turned into context for the language model. A source that fails fails the attempt (the job is retried, then
// dead-lettered with the hub's message); without a hub the resources are skipped and the result says so.
import type { ContextItem } from '../../platform/llm/llm.js';
import type { SwarmDeps } from './events.js';

/** How much of one resource reaches the model. */
const MAX_RESOURCE_TEXT = 1_200;
const MAX_ITEMS = 5;

export interface ResourceReport {
  uri: string;
  /** "read" (with how many characters), or why not. */
  status: 'read' | 'skipped';
  chars?: number;
  reason?: string;
}

/** A resource's text as context: the titles of a list of items (a news feed), else the text itself, clipped. */
export function contextOfResource(text: string): string {
  try {
    const value = JSON.parse(text) as { items?: { title?: unknown; summary?: unknown }[] };
    if (Array.isArray(value.items)) {
      const lines = value.items
        .slice(0, MAX_ITEMS)
        .map((i) => [i.title, i.summary].filter((x): x is string => typeof x === 'string' && x.length > 0).join(' — '))
        .filter(Boolean);
      if (lines.length) return lines.join('\n').slice(0, MAX_RESOURCE_TEXT);
    }
  } catch {
    // Not JSON: use the text as it is.
  }
  return text.slice(0, MAX_RESOURCE_TEXT);
}

export async function resolveResources(
  deps: Pick<SwarmDeps, 'mcp' | 'externalCalls'>,
  agentId: string | null,
  uris: readonly string[],
): Promise<{ context: ContextItem[]; report: ResourceReport[] }> {
  const context: ContextItem[] = [];
  const report: ResourceReport[] = [];
  for (const uri of uris) {
    if (!deps.mcp) {
      report.push({ uri, status: 'skipped', reason: 'no MCP hub is configured' });
      continue;
    }
    await deps.externalCalls?.spend(agentId, `reading ${uri}`);
    const resource = await deps.mcp.readResource(uri);
    const text = contextOfResource(resource.text);
    context.push({ kind: 'fact', text });
    report.push({ uri, status: 'read', chars: text.length });
  }
  return { context, report };
}
