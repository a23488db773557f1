// How long each part of the schema may be cached, and what a result depends on. The spec's cache section sets trends
// at 1 hour, personas at 24 hours and content at 6 hours; the rest are chosen here. A result lives as long as the
// shortest TTL of everything it selects; a TTL of 0 means never cached (live state, per-user and security data).
// Writes invalidate by tag (src/domain/cache/invalidation.ts), so long TTLs do not mean stale reads.
import {
  type DocumentNode,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { ALL_TAG, entityTag, listTag } from '../domain/cache/invalidation.js';

const HOUR = 3_600;

export const TYPE_TTL_SECONDS: Readonly<Record<string, number>> = {
  Trend: HOUR,
  PublicTrend: HOUR,
  Persona: 24 * HOUR,
  Content: 6 * HOUR,
  PublicPost: 6 * HOUR,
  Agent: 10 * 60,
  Task: 5 * 60,
  Goal: 5 * 60,
  Interaction: 10 * 60,
  Publication: 10 * 60,
  Wallet: 60,
  Transaction: 60,
  Transfer: 60,
  AuditLog: 10 * 60,
  // Never cached: who is asking, security records, live state.
  User: 0,
  ApiKey: 0,
  SecurityAlert: 0,
  SecurityAuditLog: 0,
  AgentState: 0,
  ReviewItem: 0,
};

export const FIELD_TTL_SECONDS: Readonly<Record<string, number>> = {
  'Query.me': 0,
  'Query.swarmMetrics': 0,
  'Query.reviewItems': 0,
  'Agent.state': 0,
  // Read from the chain, which has no change feed; the daily window slides with the clock.
  'Wallet.balance': 0,
  'Wallet.spending': 0,
  // Quotas move with every post; semantic search follows the vector store, which has no change feed.
  'Agent.platforms': 30,
  'Agent.memories': 30,
  'Content.similar': 60,
  'Query.relatedTrends': 60,
  // Aggregates over whole tables: a minute old is fresh enough, and spares the database.
  'Query.dataIntegrity': 60,
  'Query.taskThroughput': 60,
};

/** When nothing in the result says otherwise. */
export const DEFAULT_TTL_SECONDS = 5 * 60;

/** Public views of a type: their lists are the type's lists (a new post is a new PublicPost too). */
const LIST_TYPE_OF: Readonly<Record<string, string>> = { PublicPost: 'Content', PublicTrend: 'Trend' };

export interface CachePolicy {
  cacheable: boolean;
  /** A mutation: it may change what caches hold. */
  write: boolean;
  ttlSeconds: number;
  /** The list tags of the lists it selects (`list:Task`), and ALL_TAG. */
  tags: string[];
}

function operationOf(document: DocumentNode, name?: string | null): OperationDefinitionNode | undefined {
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return name ? ops.find((o) => o.name?.value === name) : ops[0];
}

/** The operation's policy, from the document alone: only queries are cached, for their shortest TTL. */
export function policyOf(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): CachePolicy {
  const operation = operationOf(document, operationName);
  if (operation?.operation !== 'query') {
    return { cacheable: false, write: operation?.operation === 'mutation', ttlSeconds: 0, tags: [] };
  }
  const typeInfo = new TypeInfo(schema);
  let ttl = Number.POSITIVE_INFINITY;
  const tags = new Set<string>([ALL_TAG]);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(field) {
        const parent = typeInfo.getParentType();
        const type = typeInfo.getType();
        if (!parent || !type) return;
        const named = getNamedType(type);
        ttl = Math.min(
          ttl,
          FIELD_TTL_SECONDS[`${parent.name}.${field.name.value}`] ?? Number.POSITIVE_INFINITY,
          TYPE_TTL_SECONDS[named.name] ?? Number.POSITIVE_INFINITY,
        );
        if (isObjectType(named) && named.name.endsWith('Connection')) {
          const node = named.name.slice(0, -'Connection'.length);
          tags.add(listTag(LIST_TYPE_OF[node] ?? node));
        } else if (isListType(getNullableType(type)) && isObjectType(named)) {
          const lists =
            LIST_TYPE_OF[named.name] ?? (named.getInterfaces().some((i) => i.name === 'Node') ? named.name : null);
          if (lists) tags.add(listTag(lists));
        }
      },
    }),
  );
  const ttlSeconds = Number.isFinite(ttl) ? ttl : DEFAULT_TTL_SECONDS;
  return { cacheable: ttlSeconds > 0, write: false, ttlSeconds, tags: [...tags] };
}

const GLOBAL_ID = /^([A-Z][A-Za-z]*):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** The entity tags of a result: every `id` that is a Relay global ID (`Task:<uuid>`, public views included). */
export function entityTagsOf(result: unknown): string[] {
  const tags = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'id' && typeof x === 'string') {
        const m = GLOBAL_ID.exec(Buffer.from(x, 'base64').toString('utf8'));
        if (m?.[1] && m[2]) tags.add(entityTag(m[1], m[2]));
      } else if (x && typeof x === 'object') {
        walk(x);
      }
    }
  };
  walk(result);
  return [...tags];
}
