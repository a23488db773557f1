// Small builders for Prisma where-clauses. Prisma ignores `undefined`, so an absent filter adds no condition.

export function oneOf<T>(values: readonly T[] | null | undefined): { in: T[] } | undefined {
  return values?.length ? { in: [...values] } : undefined;
}

/** Half-open time range [after, before). */
export function timeRange(after?: Date | null, before?: Date | null): { gte?: Date; lt?: Date } | undefined {
  if (!after && !before) return undefined;
  return { ...(after ? { gte: after } : {}), ...(before ? { lt: before } : {}) };
}

export function orUndefined<T>(value: T | null | undefined): T | undefined {
  return value ?? undefined;
}

export function containsInsensitive(text: string | null | undefined) {
  return text ? { contains: text, mode: 'insensitive' as const } : undefined;
}

/**
 * Matches a nullable status column against a set of statuses. The spec's DDL gives status a DEFAULT but no NOT NULL,
 * so NULL reads as the default and is matched when the default is asked for.
 */
export function statusIn<S extends string>(
  statuses: readonly S[] | null | undefined,
  columnDefault: S,
): { OR: ({ status: { in: S[] } } | { status: null })[] } | Record<string, never> {
  if (!statuses?.length) return {};
  return {
    OR: [{ status: { in: [...statuses] } }, ...(statuses.includes(columnDefault) ? [{ status: null }] : [])],
  };
}

/**
 * An agent-id condition that also respects an access scope: `within` (when set) is the set of agents the caller may
 * reach, so a filter for an agent outside it matches nothing.
 */
export function agentIdWithin(
  agentId: string | null | undefined,
  within: readonly string[] | undefined,
): string | { in: string[] } | undefined {
  if (!within) return orUndefined(agentId);
  if (agentId) return within.includes(agentId) ? agentId : { in: [] };
  return { in: [...within] };
}
