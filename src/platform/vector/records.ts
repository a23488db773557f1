// What both stores check before anything reaches a backend: the fields of each collection and their kinds, records
// (ids are UUIDs, importance 0–1, dates valid), vectors (the store's dimension, finite, not zero) and filters,
// compiled into backend-neutral conditions that lancedb.ts turns into SQL and weaviate.ts into Weaviate filters.
import {
  COLLECTIONS,
  type CollectionName,
  type FilterOf,
  MEMORY_TYPES,
  type RecordOf,
  VectorStoreError,
} from './vector-store.js';

export type FieldKind = 'uuid' | 'text' | 'number' | 'date' | 'texts' | 'numbers';

/** Every field of each collection but `id` (a UUID), and its kind. */
export const FIELDS = {
  AgentMemory: {
    agentId: 'uuid',
    memoryType: 'text',
    content: 'text',
    context: 'text',
    importance: 'number',
    timestamp: 'date',
    tags: 'texts',
  },
  TrendAnalysis: {
    trendId: 'uuid',
    topic: 'text',
    keywords: 'texts',
    sentiment: 'text',
    platforms: 'texts',
    metrics: 'numbers',
    detectedAt: 'date',
  },
  ContentEmbedding: {
    contentId: 'uuid',
    agentId: 'uuid',
    contentType: 'text',
    text: 'text',
    tags: 'texts',
    persona: 'text',
    createdAt: 'date',
  },
} as const satisfies { [C in CollectionName]: Record<Exclude<keyof RecordOf[C], 'id'>, FieldKind> };

/** The date field each collection's time range applies to. */
export const TIME_FIELD = {
  AgentMemory: 'timestamp',
  TrendAnalysis: 'detectedAt',
  ContentEmbedding: 'createdAt',
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Longest text stored (characters); longer texts are a caller's bug, not something to truncate silently. */
const MAX_TEXT = 100_000;
export const MAX_LIMIT = 1000;

export function checkCollection(collection: string): asserts collection is CollectionName {
  if (!(COLLECTIONS as readonly string[]).includes(collection)) {
    throw new VectorStoreError('BAD_FILTER', `Unknown collection "${collection}" (one of ${COLLECTIONS.join(', ')}).`);
  }
}

type Code = 'BAD_RECORD' | 'BAD_FILTER';

function uuid(value: unknown, what: string, code: Code): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw new VectorStoreError(code, `${what} must be a UUID.`);
  return value.toLowerCase();
}

function text(value: unknown, what: string, code: Code): string {
  if (typeof value !== 'string') throw new VectorStoreError(code, `${what} must be a string.`);
  if (value.length > MAX_TEXT) throw new VectorStoreError(code, `${what} is longer than ${MAX_TEXT} characters.`);
  if (value.includes('\u0000')) throw new VectorStoreError(code, `${what} contains a NUL character.`);
  return value;
}

function finite(value: unknown, what: string, code: Code): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new VectorStoreError(code, `${what} must be a finite number.`);
  }
  return value;
}

function date(value: unknown, what: string, code: Code): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new VectorStoreError(code, `${what} must be a valid Date.`);
  }
  return new Date(value.getTime());
}

function list<T>(value: unknown, what: string, code: Code, item: (v: unknown, what: string) => T): T[] {
  if (!Array.isArray(value)) throw new VectorStoreError(code, `${what} must be a list.`);
  return value.map((v, i) => item(v, `${what}[${i}]`));
}

function field(kind: FieldKind, value: unknown, what: string, code: Code): unknown {
  switch (kind) {
    case 'uuid':
      return uuid(value, what, code);
    case 'text':
      return text(value, what, code);
    case 'number':
      return finite(value, what, code);
    case 'date':
      return date(value, what, code);
    case 'texts':
      return list(value, what, code, (v, w) => text(v, w, code));
    case 'numbers':
      return list(value, what, code, (v, w) => finite(v, w, code));
  }
}

/** A validated copy of a record (ids lower-cased, only the collection's fields), or BAD_RECORD. */
export function checkRecord<C extends CollectionName>(collection: C, record: RecordOf[C]): RecordOf[C] {
  if (typeof record !== 'object' || record === null) {
    throw new VectorStoreError('BAD_RECORD', `A ${collection} record must be an object.`);
  }
  const source = record as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { id: uuid(source.id, `${collection}.id`, 'BAD_RECORD') };
  for (const [name, kind] of Object.entries(FIELDS[collection]) as [string, FieldKind][]) {
    out[name] = field(kind, source[name], `${collection}.${name}`, 'BAD_RECORD');
  }
  if (collection === 'AgentMemory') {
    if (!(MEMORY_TYPES as readonly string[]).includes(out.memoryType as string)) {
      throw new VectorStoreError('BAD_RECORD', `AgentMemory.memoryType must be one of ${MEMORY_TYPES.join(', ')}.`);
    }
    const importance = out.importance as number;
    if (importance < 0 || importance > 1)
      throw new VectorStoreError('BAD_RECORD', 'AgentMemory.importance must be 0–1.');
  }
  return out as unknown as RecordOf[C];
}

export function checkId(id: unknown, collection: CollectionName): string {
  return uuid(id, `${collection} id`, 'BAD_FILTER');
}

/** A vector as float64s; DIMENSION_MISMATCH for the wrong length, `code` for a non-finite or zero vector. */
export function checkVector(
  vector: readonly number[],
  dimension: number,
  what: string,
  code: 'BAD_RECORD' | 'BAD_FILTER',
): number[] {
  if (!Array.isArray(vector) && !ArrayBuffer.isView(vector)) {
    throw new VectorStoreError(code, `${what} must be a list of numbers.`);
  }
  if (vector.length !== dimension) {
    throw new VectorStoreError(
      'DIMENSION_MISMATCH',
      `${what} has ${vector.length} dimensions; this store holds vectors of ${dimension}.`,
    );
  }
  let norm = 0;
  for (const x of vector) {
    if (typeof x !== 'number' || !Number.isFinite(x))
      throw new VectorStoreError(code, `${what} has a non-finite value.`);
    norm += x * x;
  }
  if (norm === 0) throw new VectorStoreError(code, `${what} is all zeros (it has no direction).`);
  return Array.from(vector);
}

export function checkLimit(limit: unknown): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new VectorStoreError('BAD_FILTER', `limit must be an integer from 1 to ${MAX_LIMIT}.`);
  }
  return limit;
}

/** One condition of a filter, on a record field. Every condition of a filter must hold. */
export type Condition =
  | { op: 'eq'; field: string; value: string }
  | { op: 'in'; field: string; values: string[] }
  | { op: 'notIn'; field: string; values: string[] }
  | { op: 'gte'; field: string; value: number }
  | { op: 'dateGte' | 'dateLte'; field: string; value: Date }
  /** A list field holding at least one of the values. */
  | { op: 'anyOf'; field: string; values: string[] }
  /** Matches nothing (a filter with an empty list). */
  | { op: 'none' };

type FilterKey = 'one' | 'oneOf' | 'noneOf' | 'min' | 'after' | 'before' | 'anyTag';

/** Each filter key: what it does, on which field, and the kind of its values. */
const FILTER_KEYS: {
  [C in CollectionName]: Record<keyof FilterOf[C], [FilterKey, string, 'uuid' | 'text' | 'number' | 'date']>;
} = {
  AgentMemory: {
    agentId: ['one', 'agentId', 'uuid'],
    memoryTypes: ['oneOf', 'memoryType', 'text'],
    minImportance: ['min', 'importance', 'number'],
    tags: ['anyTag', 'tags', 'text'],
    after: ['after', 'timestamp', 'date'],
    before: ['before', 'timestamp', 'date'],
  },
  TrendAnalysis: {
    trendIds: ['oneOf', 'trendId', 'uuid'],
    platforms: ['anyTag', 'platforms', 'text'],
    sentiment: ['one', 'sentiment', 'text'],
    after: ['after', 'detectedAt', 'date'],
    before: ['before', 'detectedAt', 'date'],
  },
  ContentEmbedding: {
    agentId: ['one', 'agentId', 'uuid'],
    contentTypes: ['oneOf', 'contentType', 'text'],
    tags: ['anyTag', 'tags', 'text'],
    contentIds: ['oneOf', 'contentId', 'uuid'],
    excludeContentIds: ['noneOf', 'contentId', 'uuid'],
    excludeAgentIds: ['noneOf', 'agentId', 'uuid'],
    after: ['after', 'createdAt', 'date'],
    before: ['before', 'createdAt', 'date'],
  },
};

/**
 * The conditions a filter stands for (empty: no condition, everything passes), or BAD_FILTER for an unknown key, a
 * malformed value or an id that is not a UUID.
 */
export function compileFilter<C extends CollectionName>(collection: C, filter: FilterOf[C] | undefined): Condition[] {
  if (filter === undefined || filter === null) return [];
  if (typeof filter !== 'object' || Array.isArray(filter)) {
    throw new VectorStoreError('BAD_FILTER', `A ${collection} filter must be an object.`);
  }
  const keys = FILTER_KEYS[collection] as Record<string, [FilterKey, string, 'uuid' | 'text' | 'number' | 'date']>;
  const out: Condition[] = [];
  for (const [key, raw] of Object.entries(filter as Record<string, unknown>)) {
    if (raw === undefined) continue;
    const spec = keys[key];
    if (!spec) {
      throw new VectorStoreError(
        'BAD_FILTER',
        `Unknown ${collection} filter "${key}" (known: ${Object.keys(keys).join(', ')}).`,
      );
    }
    const [op, name, kind] = spec;
    const what = `filter.${key}`;
    const one = (v: unknown, w: string) => (kind === 'uuid' ? uuid(v, w, 'BAD_FILTER') : text(v, w, 'BAD_FILTER'));
    switch (op) {
      case 'one':
        out.push({ op: 'eq', field: name, value: one(raw, what) });
        break;
      case 'oneOf':
      case 'anyTag': {
        const values = [...new Set(list(raw, what, 'BAD_FILTER', one))];
        if (collection === 'AgentMemory' && key === 'memoryTypes') {
          for (const v of values) {
            if (!(MEMORY_TYPES as readonly string[]).includes(v)) {
              throw new VectorStoreError(
                'BAD_FILTER',
                `filter.memoryTypes: "${v}" is not one of ${MEMORY_TYPES.join(', ')}.`,
              );
            }
          }
        }
        out.push(values.length === 0 ? { op: 'none' } : { op: op === 'oneOf' ? 'in' : 'anyOf', field: name, values });
        break;
      }
      case 'noneOf': {
        const values = [...new Set(list(raw, what, 'BAD_FILTER', one))];
        if (values.length > 0) out.push({ op: 'notIn', field: name, values });
        break;
      }
      case 'min':
        out.push({ op: 'gte', field: name, value: finite(raw, what, 'BAD_FILTER') });
        break;
      case 'after':
        out.push({ op: 'dateGte', field: name, value: date(raw, what, 'BAD_FILTER') });
        break;
      case 'before':
        out.push({ op: 'dateLte', field: name, value: date(raw, what, 'BAD_FILTER') });
        break;
    }
  }
  return out;
}

/** The conditions of a delete: at least one, or BAD_FILTER (an empty filter would delete the whole collection). */
export function compileDeleteFilter<C extends CollectionName>(collection: C, filter: FilterOf[C]): Condition[] {
  const conditions = compileFilter(collection, filter);
  if (conditions.length === 0) {
    throw new VectorStoreError(
      'BAD_FILTER',
      `deleteWhere(${collection}) needs at least one condition: an empty filter would delete every record.`,
    );
  }
  return conditions;
}
