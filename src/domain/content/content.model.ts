// Content vocabulary and the allowed status transitions (the spec's CHECK constraints as code).

export const CONTENT_TYPES = ['text', 'image', 'video', 'audio'] as const;
export const CONTENT_STATUSES = ['draft', 'approved', 'published', 'rejected'] as const;

export type ContentType = (typeof CONTENT_TYPES)[number];
export type ContentStatus = (typeof CONTENT_STATUSES)[number];

/**
 * draft → approved | rejected; approved → published | rejected (approval withdrawn before publishing);
 * rejected → draft (reopened for revision). Published content is final: it is out in the world.
 */
const TRANSITIONS: Record<ContentStatus, readonly ContentStatus[]> = {
  draft: ['approved', 'rejected'],
  approved: ['published', 'rejected'],
  rejected: ['draft'],
  published: [],
};

export function allowedContentTransitions(from: ContentStatus): readonly ContentStatus[] {
  return TRANSITIONS[from];
}

export function contentStatusOf(stored: string | null): ContentStatus {
  return (stored ?? 'draft') as ContentStatus;
}
