// The VectorStore on Weaviate (weaviate-client 3.12, Weaviate ≥ 1.23.7 with its gRPC port): the spec's classes
// AgentMemory, TrendAnalysis and ContentEmbedding with the spec's properties (plus the ones the contract needs:
// AgentMemory.tags, TrendAnalysis.trendId, ContentEmbedding.agentId and createdAt), no vectorizer (Chimera sends its
// own vectors), cosine distance, no tenants. The embedding model of a class is kept in its description
// (`… · chimera-embedding-model={json}`); a store opened for another model fails with EMBEDDING_MISMATCH.
// Re-indexing builds `<Class>Reindex<stamp>`, then replaces the class and copies the objects back.
import weaviate, {
  ApiKey,
  type Collection,
  type Filter,
  Filters,
  type FilterValue,
  type WeaviateClient,
} from 'weaviate-client';
import { describeModel, type EmbeddingModelId, sameModel } from '../embeddings/embeddings.js';
import {
  type Condition,
  checkCollection,
  checkId,
  checkLimit,
  checkRecord,
  checkVector,
  compileDeleteFilter,
  compileFilter,
  FIELDS,
  type FieldKind,
} from './records.js';
import {
  COLLECTIONS,
  type CollectionName,
  type CollectionRebuild,
  type FilterOf,
  type OptimizeReport,
  REINDEX_COMMAND,
  type RecordOf,
  type SearchHit,
  type SearchOptions,
  type VectorItem,
  type VectorStore,
  VectorStoreError,
  type VectorStoreMaintenance,
} from './vector-store.js';

export interface WeaviateConnectionOptions {
  /** http(s)://host:port of the REST endpoint. */
  url: string;
  apiKey?: string | undefined;
  /** The gRPC port (default 50051; the client needs both). */
  grpcPort?: number;
  /** Prepended to every class name (tests use one per run; production none). */
  classPrefix?: string;
}

export interface WeaviateStoreOptions extends WeaviateConnectionOptions {
  model: EmbeddingModelId;
  /** How often to re-read the classes' model, to notice a re-index (default 5 s). */
  metaRefreshMs?: number;
}

const DESCRIPTIONS: Record<CollectionName, string> = {
  AgentMemory: 'Semantic memory for agents',
  TrendAnalysis: 'Trend analysis and patterns',
  ContentEmbedding: 'Content embeddings for similarity search',
};
const MODEL_TAG = ' · chimera-embedding-model=';
const WRITE_CHUNK = 500;
/** Weaviate deletes at most QUERY_MAXIMUM_RESULTS (10,000 by default) objects per request. */
const MAX_DELETE_ROUNDS = 1_000;

type AnyCollection = Collection<undefined, string>;

function property(name: string, kind: FieldKind) {
  const text = (dataType: string, tokenization: 'field' | 'word') => ({ name, dataType: [dataType], tokenization });
  switch (kind) {
    case 'uuid':
      return { name, dataType: ['uuid'] };
    case 'text':
      // Exact-match fields (types, sentiment, persona) are whole tokens; prose is searchable by word.
      return ['content', 'context', 'text'].includes(name) ? text('text', 'word') : text('text', 'field');
    case 'texts':
      return text('text[]', 'field');
    case 'number':
      return { name, dataType: ['number'], indexRangeFilters: true };
    case 'numbers':
      return { name, dataType: ['number[]'] };
    case 'date':
      return { name, dataType: ['date'], indexRangeFilters: true };
  }
}

export function classSchema(className: string, collection: CollectionName, model: EmbeddingModelId) {
  return {
    class: className,
    description: `${DESCRIPTIONS[collection]}${MODEL_TAG}${JSON.stringify(model)}`,
    vectorizer: 'none',
    vectorIndexType: 'hnsw',
    vectorIndexConfig: { distance: 'cosine' },
    properties: (Object.entries(FIELDS[collection]) as [string, FieldKind][]).map(([n, k]) => property(n, k)),
  };
}

export function modelOfDescription(description: string | undefined): EmbeddingModelId | null {
  const at = description?.lastIndexOf(MODEL_TAG) ?? -1;
  if (!description || at < 0) return null;
  try {
    const m = JSON.parse(description.slice(at + MODEL_TAG.length)) as EmbeddingModelId;
    return typeof m.model === 'string' && Number.isInteger(m.dimension) ? m : null;
  } catch {
    return null;
  }
}

/** Builds filters on a class's properties (a collection handle's `filter`). */
export type PropertyFilter = Filter<Record<string, string | number | Date | string[] | number[]>>;

function conditionFilter(filter: PropertyFilter, c: Exclude<Condition, { op: 'none' }>): FilterValue {
  const on = () => filter.byProperty(c.field);
  switch (c.op) {
    case 'eq':
      return on().equal(c.value);
    case 'in':
      return c.values.length === 1
        ? on().equal(c.values[0] as string)
        : Filters.or(...c.values.map((v) => on().equal(v)));
    case 'notIn':
      return c.values.length === 1
        ? on().notEqual(c.values[0] as string)
        : Filters.and(...c.values.map((v) => on().notEqual(v)));
    case 'gte':
    case 'dateGte':
      return on().greaterOrEqual(c.value);
    case 'dateLte':
      return on().lessOrEqual(c.value);
    case 'anyOf':
      return on().containsAny(c.values);
  }
}

/** The Weaviate filter of the conditions; undefined when there are none, 'none' when nothing can match. */
export function weaviateFilter(
  filter: PropertyFilter,
  conditions: readonly Condition[],
): FilterValue | undefined | 'none' {
  const parts: FilterValue[] = [];
  for (const c of conditions) {
    if (c.op === 'none') return 'none';
    parts.push(conditionFilter(filter, c));
  }
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : Filters.and(...parts);
}

function toProperties(collection: CollectionName, record: Record<string, unknown>) {
  const out: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(FIELDS[collection]) as [string, FieldKind][]) {
    out[name] = kind === 'date' ? (record[name] as Date).toISOString() : record[name];
  }
  return out;
}

function fromObject<C extends CollectionName>(
  collection: C,
  uuid: string,
  props: Record<string, unknown>,
): RecordOf[C] {
  const out: Record<string, unknown> = { id: uuid.toLowerCase() };
  for (const [name, kind] of Object.entries(FIELDS[collection]) as [string, FieldKind][]) {
    const v = props[name];
    if (kind === 'date') out[name] = new Date(v as string | Date);
    else if (kind === 'number') out[name] = Number(v);
    else if (kind === 'texts') out[name] = Array.isArray(v) ? v.map(String) : [];
    else if (kind === 'numbers') out[name] = Array.isArray(v) ? v.map(Number) : [];
    else out[name] = v === null || v === undefined ? '' : String(v);
  }
  return out as unknown as RecordOf[C];
}

function storeError(err: unknown, what: string): VectorStoreError {
  if (err instanceof VectorStoreError) return err;
  return new VectorStoreError(
    'UNAVAILABLE',
    `Weaviate: ${what} failed: ${err instanceof Error ? err.message : String(err)}`,
  );
}

async function connectWeaviate(options: WeaviateConnectionOptions): Promise<WeaviateClient> {
  const url = new URL(options.url);
  const secure = url.protocol === 'https:';
  try {
    return await weaviate.connectToCustom({
      httpHost: url.hostname,
      httpPort: Number(url.port) || (secure ? 443 : 80),
      httpPath: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''),
      httpSecure: secure,
      grpcHost: url.hostname,
      grpcPort: options.grpcPort ?? 50051,
      grpcSecure: secure,
      ...(options.apiKey ? { authCredentials: new ApiKey(options.apiKey) } : {}),
      timeout: { init: 10, query: 30, insert: 60 },
    });
  } catch (err) {
    throw storeError(err, `connecting to ${url.origin}`);
  }
}

/** Classes, their models, and the operations both the store and maintenance need. */
class Schema {
  constructor(
    readonly client: WeaviateClient,
    readonly prefix: string,
  ) {}

  className = (collection: CollectionName) => `${this.prefix}${collection}`;
  handle = (className: string): AnyCollection => this.client.collections.use(className);

  /** The model of the class, null if it does not exist; EMBEDDING_MISMATCH for a class without one. */
  async modelOf(collection: CollectionName, className = this.className(collection)): Promise<EmbeddingModelId | null> {
    try {
      if (!(await this.client.collections.exists(className))) return null;
      const model = modelOfDescription((await this.client.collections.export(className)).description);
      if (!model) {
        throw new VectorStoreError(
          'EMBEDDING_MISMATCH',
          `Weaviate class ${className} was not created by Chimera (no embedding model in its description).`,
        );
      }
      return model;
    } catch (err) {
      throw storeError(err, `reading class ${className}`);
    }
  }

  /** Creates the class for `model` unless it exists; returns the model the class holds (a racer's, maybe). */
  async ensure(collection: CollectionName, model: EmbeddingModelId, className = this.className(collection)) {
    const existing = await this.modelOf(collection, className);
    if (existing) return existing;
    try {
      await this.client.collections.createFromSchema(classSchema(className, collection, model));
    } catch (err) {
      // Another process created it first: read what it created.
      const racer = await this.modelOf(collection, className);
      if (!racer) throw storeError(err, `creating class ${className}`);
      return racer;
    }
    return model;
  }

  async insert(collection: CollectionName, className: string, items: { record: unknown; vector: number[] }[]) {
    const handle = this.handle(className);
    for (let start = 0; start < items.length; start += WRITE_CHUNK) {
      const chunk = items.slice(start, start + WRITE_CHUNK).map(({ record, vector }) => ({
        id: (record as { id: string }).id,
        properties: toProperties(collection, record as Record<string, unknown>) as never,
        vectors: vector,
      }));
      let res: Awaited<ReturnType<AnyCollection['data']['insertMany']>>;
      try {
        res = await handle.data.insertMany(chunk);
      } catch (err) {
        throw storeError(err, `writing to ${className}`);
      }
      if (res.hasErrors) {
        const first = Object.values(res.errors)[0];
        throw new VectorStoreError('UNAVAILABLE', `Weaviate: writing to ${className} failed: ${first?.message}`);
      }
    }
  }

  async *scan<C extends CollectionName>(collection: C, className: string, batchSize: number, withVectors = false) {
    const size = Math.max(1, Math.trunc(batchSize));
    let pending: { record: RecordOf[C]; vector: number[] }[] = [];
    try {
      for await (const o of this.handle(className).iterator({ includeVector: withVectors })) {
        const vector = (o.vectors as Record<string, number[]> | undefined)?.default ?? [];
        pending.push({ record: fromObject(collection, o.uuid, o.properties as Record<string, unknown>), vector });
        if (pending.length >= size) {
          yield pending;
          pending = [];
        }
      }
    } catch (err) {
      throw storeError(err, `scanning ${className}`);
    }
    if (pending.length > 0) yield pending;
  }

  async count(className: string, where?: FilterValue): Promise<number> {
    try {
      const res = await this.handle(className).aggregate.overAll(where ? { filters: where } : {});
      return res.totalCount;
    } catch (err) {
      throw storeError(err, `counting ${className}`);
    }
  }

  async drop(className: string): Promise<void> {
    try {
      if (await this.client.collections.exists(className)) await this.client.collections.delete(className);
    } catch (err) {
      throw storeError(err, `deleting class ${className}`);
    }
  }
}

function checkItems<C extends CollectionName>(collection: C, items: readonly VectorItem<C>[], dimension: number) {
  if (!Array.isArray(items)) throw new VectorStoreError('BAD_RECORD', 'upsert takes a list of { record, vector }.');
  const byId = new Map<string, { record: RecordOf[C]; vector: number[] }>();
  items.forEach((item, i) => {
    const record = checkRecord(collection, item?.record);
    const vector = checkVector(item?.vector, dimension, `${collection} item ${i}'s vector`, 'BAD_RECORD');
    byId.set((record as { id: string }).id, { record, vector });
  });
  return [...byId.values()];
}

class WeaviateStore implements VectorStore {
  readonly kind = 'weaviate' as const;
  private checkedAt = 0;
  private readonly moved = new Map<CollectionName, EmbeddingModelId>();

  constructor(
    private readonly schema: Schema,
    readonly model: EmbeddingModelId,
    private readonly refreshMs: number,
  ) {}

  async refresh(force: boolean): Promise<void> {
    if (!force && Date.now() - this.checkedAt < this.refreshMs) return;
    for (const collection of COLLECTIONS) {
      const held = await this.schema.ensure(collection, this.model);
      if (sameModel(held, this.model)) this.moved.delete(collection);
      else this.moved.set(collection, held);
    }
    this.checkedAt = Date.now();
  }

  private async bind(collection: CollectionName): Promise<AnyCollection> {
    checkCollection(collection);
    await this.refresh(false);
    const held = this.moved.get(collection);
    if (held) {
      throw new VectorStoreError(
        'EMBEDDING_MISMATCH',
        `The Weaviate class ${this.schema.className(collection)} holds vectors of ${describeModel(held)}, but this ` +
          `process embeds with ${describeModel(this.model)}. Run \`${REINDEX_COMMAND}\` with the new model ` +
          'configured to re-embed the stored records (or configure the model the store was built with).',
      );
    }
    return this.schema.handle(this.schema.className(collection));
  }

  private where<C extends CollectionName>(collection: C, handle: AnyCollection, filter: FilterOf[C] | undefined) {
    return weaviateFilter(handle.filter, compileFilter(collection, filter));
  }

  async upsert<C extends CollectionName>(collection: C, items: readonly VectorItem<C>[]): Promise<void> {
    checkCollection(collection);
    const checked = checkItems(collection, items, this.model.dimension);
    if (checked.length === 0) return;
    await this.bind(collection);
    await this.schema.insert(collection, this.schema.className(collection), checked);
  }

  async search<C extends CollectionName>(
    collection: C,
    vector: readonly number[],
    opts: SearchOptions<C>,
  ): Promise<SearchHit<C>[]> {
    checkCollection(collection);
    const query = checkVector(vector, this.model.dimension, 'The query vector', 'BAD_FILTER');
    const limit = checkLimit(opts?.limit);
    const handle = await this.bind(collection);
    const where = this.where(collection, handle, opts?.filter);
    if (where === 'none') return [];
    try {
      const res = await handle.query.nearVector(query, {
        limit,
        ...(where ? { filters: where } : {}),
        returnMetadata: ['distance'],
      });
      return res.objects.map((o) => ({
        record: fromObject(collection, o.uuid, o.properties as Record<string, unknown>),
        score: Math.max(-1, Math.min(1, 1 - Number(o.metadata?.distance ?? 1))),
      }));
    } catch (err) {
      throw storeError(err, `searching ${collection}`);
    }
  }

  async get<C extends CollectionName>(collection: C, id: string): Promise<RecordOf[C] | null> {
    checkCollection(collection);
    const uuid = checkId(id, collection);
    const handle = await this.bind(collection);
    try {
      const o = await handle.query.fetchObjectById(uuid);
      return o ? fromObject(collection, o.uuid, o.properties as Record<string, unknown>) : null;
    } catch (err) {
      throw storeError(err, `reading from ${collection}`);
    }
  }

  async count<C extends CollectionName>(collection: C, filter?: FilterOf[C]): Promise<number> {
    checkCollection(collection);
    const handle = await this.bind(collection);
    const where = this.where(collection, handle, filter);
    if (where === 'none') return 0;
    return this.schema.count(this.schema.className(collection), where);
  }

  async deleteWhere<C extends CollectionName>(collection: C, filter: FilterOf[C]): Promise<number> {
    checkCollection(collection);
    const conditions = compileDeleteFilter(collection, filter);
    const handle = await this.bind(collection);
    const where = weaviateFilter(handle.filter, conditions);
    if (where === 'none' || where === undefined) return 0;
    let deleted = 0;
    try {
      for (let round = 0; round < MAX_DELETE_ROUNDS; round++) {
        const res = await handle.data.deleteMany(where);
        deleted += res.successful;
        if (res.failed > 0) throw new Error(`${res.failed} objects could not be deleted`);
        if (res.matches === 0 || res.successful === 0) break;
      }
    } catch (err) {
      throw storeError(err, `deleting from ${collection}`);
    }
    return deleted;
  }

  async *scan<C extends CollectionName>(collection: C, batchSize = 500): AsyncIterable<RecordOf[C][]> {
    await this.bind(collection);
    for await (const batch of this.schema.scan(collection, this.schema.className(collection), batchSize)) {
      yield batch.map((b) => b.record);
    }
  }

  /** Weaviate indexes as it writes (HNSW, filterable and range indexes): this only reports. */
  async optimize(): Promise<OptimizeReport> {
    const report = { collections: {} } as OptimizeReport;
    for (const collection of COLLECTIONS) {
      await this.bind(collection);
      const rows = await this.schema.count(this.schema.className(collection));
      report.collections[collection] = {
        rows,
        vectorIndex: true,
        scalarIndexes: Object.keys(FIELDS[collection]).sort(),
        actions: [],
      };
    }
    return report;
  }

  async close(): Promise<void> {
    await this.schema.client.close();
  }
}

/** Opens (creating the classes if needed) the Weaviate store for `model`; EMBEDDING_MISMATCH if it holds another's. */
export async function openWeaviateStore(options: WeaviateStoreOptions): Promise<VectorStore> {
  const client = await connectWeaviate(options);
  const store = new WeaviateStore(
    new Schema(client, options.classPrefix ?? ''),
    options.model,
    options.metaRefreshMs ?? 5_000,
  );
  try {
    await store.refresh(true);
    for (const collection of COLLECTIONS) await store.count(collection);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** Opens the Weaviate store without a model: to inspect it and rebuild classes (re-indexing). */
export async function openWeaviateMaintenance(options: WeaviateConnectionOptions): Promise<VectorStoreMaintenance> {
  const schema = new Schema(await connectWeaviate(options), options.classPrefix ?? '');
  return {
    kind: 'weaviate',
    async models() {
      const out = {} as Record<CollectionName, EmbeddingModelId | null>;
      for (const c of COLLECTIONS) out[c] = await schema.modelOf(c);
      return out;
    },
    async count(collection) {
      checkCollection(collection);
      return (await schema.modelOf(collection)) ? schema.count(schema.className(collection)) : 0;
    },
    async *scan<C extends CollectionName>(collection: C, batchSize = 500) {
      checkCollection(collection);
      if (!(await schema.modelOf(collection))) return;
      for await (const batch of schema.scan(collection, schema.className(collection), batchSize)) {
        yield batch.map((b) => b.record);
      }
    },
    async rebuild<C extends CollectionName>(collection: C, model: EmbeddingModelId): Promise<CollectionRebuild<C>> {
      checkCollection(collection);
      const live = schema.className(collection);
      const from = await schema.modelOf(collection);
      const temp = `${live}Reindex${Date.now().toString(36)}`;
      await schema.ensure(collection, model, temp);
      let done = false;
      return {
        collection,
        model,
        async write(items) {
          await schema.insert(collection, temp, checkItems(collection, items, model.dimension));
        },
        async commit() {
          if (done) return;
          done = true;
          const now = await schema.modelOf(collection);
          if ((now === null) !== (from === null) || (now && from && !sameModel(now, from))) {
            await schema.drop(temp);
            throw new VectorStoreError('CONFLICT', `${live} was changed by another process during the rebuild.`);
          }
          // Weaviate cannot rename a class: replace the live one and copy the rebuilt objects (with their vectors).
          await schema.drop(live);
          await schema.ensure(collection, model, live);
          for await (const batch of schema.scan(collection, temp, WRITE_CHUNK, true)) {
            await schema.insert(collection, live, batch);
          }
          await schema.drop(temp);
        },
        async abort() {
          if (done) return;
          done = true;
          await schema.drop(temp);
        },
      };
    },
    async close() {
      await schema.client.close();
    },
  };
}
