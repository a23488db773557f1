// How records live in LanceDB tables: one Arrow column per record field (same names; dates as epoch milliseconds,
// lists as List<…>), the vector as FixedSizeList<Float32>[dimension]; and how filter conditions become the SQL
// `where` LanceDB evaluates. Column names are ours (quoted with backticks); every value is escaped or numeric.
import { Field, FixedSizeList, Float32, Float64, Int32, Int64, List, Schema, Utf8 } from 'apache-arrow';
import type { Condition, FieldKind } from './records.js';
import { FIELDS } from './records.js';
import type { CollectionName, RecordOf } from './vector-store.js';

export const VECTOR_COLUMN = 'vector';

function arrowType(kind: FieldKind) {
  switch (kind) {
    case 'uuid':
    case 'text':
      return new Utf8();
    case 'number':
      return new Float64();
    case 'date':
      return new Int64();
    case 'texts':
      return new List(new Field('item', new Utf8(), true));
    case 'numbers':
      return new List(new Field('item', new Float64(), true));
  }
}

const fieldsOf = (collection: CollectionName) => Object.entries(FIELDS[collection]) as [string, FieldKind][];

export function tableSchema(collection: CollectionName, dimension: number): Schema {
  return new Schema([
    new Field('id', new Utf8(), false),
    ...fieldsOf(collection).map(([name, kind]) => new Field(name, arrowType(kind), false)),
    new Field(VECTOR_COLUMN, new FixedSizeList(dimension, new Field('item', new Float32(), true)), false),
  ]);
}

/** Every column but the vector: what reads select. */
export const recordColumns = (collection: CollectionName) => ['id', ...fieldsOf(collection).map(([name]) => name)];

/** A (validated) record and its vector as a row. */
export function toRow<C extends CollectionName>(collection: C, record: RecordOf[C], vector: number[]) {
  const source = record as unknown as Record<string, unknown>;
  const row: Record<string, unknown> = { id: source.id };
  for (const [name, kind] of fieldsOf(collection)) {
    row[name] = kind === 'date' ? (source[name] as Date).getTime() : source[name];
  }
  row[VECTOR_COLUMN] = vector;
  return row;
}

const listOf = (value: unknown): unknown[] =>
  value === null || value === undefined ? [] : Array.from(value as Iterable<unknown>);

/** A row as LanceDB returns it (strings, numbers, bigints, Arrow vectors for lists) back to a record. */
export function fromRow<C extends CollectionName>(collection: C, row: Record<string, unknown>): RecordOf[C] {
  const out: Record<string, unknown> = { id: String(row.id) };
  for (const [name, kind] of fieldsOf(collection)) {
    const value = row[name];
    switch (kind) {
      case 'uuid':
      case 'text':
        out[name] = String(value ?? '');
        break;
      case 'number':
        out[name] = Number(value);
        break;
      case 'date':
        out[name] = new Date(Number(value));
        break;
      case 'texts':
        out[name] = listOf(value).map(String);
        break;
      case 'numbers':
        out[name] = listOf(value).map(Number);
        break;
    }
  }
  return out as unknown as RecordOf[C];
}

// --- SQL ---

const ident = (name: string) => `\`${name}\``;
/** A SQL string literal: single quotes doubled (LanceDB's SQL has no backslash escapes). */
export const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;
const list = (values: readonly string[]) => values.map(literal).join(', ');

function conditionSql(c: Condition): string {
  switch (c.op) {
    case 'eq':
      return `${ident(c.field)} = ${literal(c.value)}`;
    case 'in':
      return `${ident(c.field)} IN (${list(c.values)})`;
    case 'notIn':
      return `${ident(c.field)} NOT IN (${list(c.values)})`;
    case 'gte':
      return `${ident(c.field)} >= ${Number(c.value)}`;
    case 'dateGte':
      return `${ident(c.field)} >= ${Math.trunc(c.value.getTime())}`;
    case 'dateLte':
      return `${ident(c.field)} <= ${Math.trunc(c.value.getTime())}`;
    case 'anyOf':
      return `array_has_any(${ident(c.field)}, [${list(c.values)}])`;
    case 'none':
      return 'FALSE';
  }
}

/** The SQL `where` of the conditions (AND), or undefined when there are none. */
export function toSql(conditions: readonly Condition[]): string | undefined {
  if (conditions.length === 0) return undefined;
  if (conditions.some((c) => c.op === 'none')) return 'FALSE';
  return conditions.map(conditionSql).join(' AND ');
}

// --- The meta table: which table holds each collection, and the model its vectors were made with. ---

export const META_TABLE = 'chimera_meta';

export interface MetaRow {
  collection: CollectionName;
  tableName: string;
  provider: string;
  model: string;
  dimension: number;
  /** When this row was first written (ms); of two rows for one collection (a race), the older one holds. */
  claimedAt: number;
}

export const metaSchema = new Schema([
  new Field('collection', new Utf8(), false),
  new Field('tableName', new Utf8(), false),
  new Field('provider', new Utf8(), false),
  new Field('model', new Utf8(), false),
  new Field('dimension', new Int32(), false),
  new Field('claimedAt', new Int64(), false),
]);

export const idSql = (id: string) => `${ident('id')} = ${literal(id)}`;
export const metaCollectionSql = (collection: string) => `${ident('collection')} = ${literal(collection)}`;
export const metaTableSql = (tableName: string) => `${ident('tableName')} = ${literal(tableName)}`;

/** Scalar indexes on the filter columns (and on id, for upserts and get): btree for ranges and equality, bitmap for
 * the few values of an enum, label lists for "any of these tags". */
export const SCALAR_INDEXES: Record<CollectionName, Record<string, 'btree' | 'bitmap' | 'labelList'>> = {
  AgentMemory: {
    id: 'btree',
    agentId: 'btree',
    memoryType: 'bitmap',
    importance: 'btree',
    timestamp: 'btree',
    tags: 'labelList',
  },
  TrendAnalysis: { id: 'btree', trendId: 'btree', sentiment: 'bitmap', detectedAt: 'btree', platforms: 'labelList' },
  ContentEmbedding: {
    id: 'btree',
    agentId: 'btree',
    contentId: 'btree',
    contentType: 'bitmap',
    createdAt: 'btree',
    tags: 'labelList',
  },
};
