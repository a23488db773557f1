// The moderation pipeline as both faces use it: the offline checks, the external model when one is configured, and
// copyright_violation against the content every other agent has published (the memory service's index).
import type { ExternalModeration } from '../../platform/moderation/moderation.js';
import type { MemoryService } from '../memory/memory.service.js';
import { createModerator, type ModeratorDeps } from './pipeline.js';

export function moderatorWithKnownContent(
  deps: Pick<ModeratorDeps, 'embedder'> & { memory?: MemoryService; external?: ExternalModeration | undefined },
) {
  const { memory } = deps;
  return createModerator({
    embedder: deps.embedder,
    external: deps.external,
    findSimilar: memory
      ? async (text, scope) =>
          (await memory.knownContent(text, scope)).map((h) => ({
            score: h.score,
            ref: `content:${h.record.contentId}`,
          }))
      : undefined,
  });
}
