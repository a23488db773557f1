// The embedded VectorStore: LanceDB files under one directory (VECTOR_STORE_DIR, default ./data/vectors). One table
// per collection, a meta table naming each collection's table and the embedding model of its vectors (a store opened
// for another model fails with EMBEDDING_MISMATCH), cosine distance, SQL filters built from validated values.
//
// Search: without a vector index every search is exact. Once optimize() has built one, a filtered search first counts
// the rows that pass (fast: scalar indexes) and, when they are few, searches them exactly — an approximate index
// probes only some partitions and would miss most of a narrow filter's rows; wide filters and no filter use the index.
import { Index, type Table } from '@lancedb/lancedb';
import type { EmbeddingModelId } from '../embeddings/embeddings.js';
import {
  Catalog,
  checkModel,
  isMissingTable,
  mismatchError,
  modelOf,
  newTableName,
  storeError,
} from './lancedb-catalog.js';
import {
  fromRow,
  idSql,
  type MetaRow,
  recordColumns,
  SCALAR_INDEXES,
  toRow,
  toSql,
  VECTOR_COLUMN,
} from './lancedb-rows.js';
import {
  checkCollection,
  checkId,
  checkLimit,
  checkRecord,
  checkVector,
  compileDeleteFilter,
  compileFilter,
} from './records.js';
import {
  COLLECTIONS,
  type CollectionName,
  type CollectionRebuild,
  type FilterOf,
  type OptimizeReport,
  type RecordOf,
  type SearchHit,
  type SearchOptions,
  type VectorItem,
  type VectorStore,
  VectorStoreError,
  type VectorStoreMaintenance,
} from './vector-store.js';

export interface LanceDbTuning {
  /** optimize() indexes the filter columns of a table with at least this many rows (default 1,000). */
  scalarIndexMinRows?: number;
  /** optimize() builds the vector index of a table with at least this many rows (default 10,000). */
  vectorIndexMinRows?: number;
  /** With a vector index, a filtered search whose filter passes at most this many rows is exact (default 10,000). */
  exactSearchMaxRows?: number;
  /** optimize() removes table versions older than this (default one hour). */
  keepVersionsMs?: number;
}

export interface LanceDbStoreOptions extends LanceDbTuning {
  /** The directory (created if missing). */
  dir: string;
  /** The model whose vectors this store takes. */
  model: EmbeddingModelId;
  /** How often to re-read the meta table, to notice another process's re-index (default 5 s). */
  metaRefreshMs?: number;
  /** Attempts of a write that keeps losing commit races to other processes (default 10). */
  commitAttempts?: number;
}

/** Rows per merge-insert commit. */
const WRITE_CHUNK = 5_000;
const SCAN_BATCH = 500;
/** Probes and refinement of an approximate search (LanceDB's defaults are 20 and none). Refining the best 20 × limit
 * candidates by their exact distance is what recall needs: measured on 100k clustered 512-d vectors, recall@10 went
 * from 61 % (×5) to 94 % (×20) for ~2 ms; more probes changed nothing. */
const NPROBES = 20;
const REFINE_FACTOR = 20;

interface Bound {
  row: MetaRow;
  table: Table;
  vectorIndex?: { present: boolean; checkedAt: number };
}

function dedupeById<C extends CollectionName>(items: { record: RecordOf[C]; vector: number[] }[]) {
  const byId = new Map<string, { record: RecordOf[C]; vector: number[] }>();
  for (const item of items) byId.set((item.record as { id: string }).id, item);
  return [...byId.values()];
}

async function* scanTable<C extends CollectionName>(collection: C, table: Table, batchSize = SCAN_BATCH) {
  const size = Math.max(1, Math.trunc(batchSize));
  let pending: RecordOf[C][] = [];
  for await (const batch of table.query().select(recordColumns(collection))) {
    for (let i = 0; i < batch.numRows; i++) {
      const row = batch.get(i);
      if (row) pending.push(fromRow(collection, row.toJSON() as Record<string, unknown>));
      if (pending.length >= size) {
        yield pending;
        pending = [];
      }
    }
  }
  if (pending.length > 0) yield pending;
}

function checkItems<C extends CollectionName>(collection: C, items: readonly VectorItem<C>[], dimension: number) {
  if (!Array.isArray(items)) throw new VectorStoreError('BAD_RECORD', 'upsert takes a list of { record, vector }.');
  return dedupeById(
    items.map((item, i) => ({
      record: checkRecord(collection, item?.record),
      vector: checkVector(item?.vector, dimension, `${collection} item ${i}'s vector`, 'BAD_RECORD'),
    })),
  );
}

async function mergeRows<C extends CollectionName>(
  catalog: Catalog,
  table: Table,
  collection: C,
  items: { record: RecordOf[C]; vector: number[] }[],
) {
  for (let start = 0; start < items.length; start += WRITE_CHUNK) {
    const rows = items.slice(start, start + WRITE_CHUNK).map((i) => toRow(collection, i.record, i.vector));
    await catalog.retrying(`writing to ${collection}`, () =>
      table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(rows),
    );
  }
}

class LanceDbStore implements VectorStore {
  readonly kind = 'lancedb' as const;
  private readonly bound = new Map<CollectionName, Bound>();
  /** Collections another process re-indexed for another model while this store was open. */
  private readonly moved = new Map<CollectionName, MetaRow>();
  private checkedAt = 0;
  private readonly refreshMs: number;
  private readonly tuning: Required<LanceDbTuning>;

  constructor(
    private readonly catalog: Catalog,
    readonly model: EmbeddingModelId,
    options: LanceDbStoreOptions,
  ) {
    this.refreshMs = options.metaRefreshMs ?? 5_000;
    this.tuning = {
      scalarIndexMinRows: options.scalarIndexMinRows ?? 1_000,
      vectorIndexMinRows: options.vectorIndexMinRows ?? 10_000,
      exactSearchMaxRows: options.exactSearchMaxRows ?? 10_000,
      keepVersionsMs: options.keepVersionsMs ?? 3_600_000,
    };
  }

  /** Binds every collection to its table (claiming the ones that do not exist yet for this store's model). */
  async refresh(force: boolean): Promise<void> {
    if (!force && Date.now() - this.checkedAt < this.refreshMs) return;
    const meta = await this.catalog.readMeta();
    for (const collection of COLLECTIONS) {
      const row = meta.get(collection) ?? (await this.catalog.claim(collection, this.model));
      try {
        checkModel(collection, row, this.model, this.catalog.dir);
      } catch (err) {
        this.moved.set(collection, row);
        this.bound.delete(collection);
        if (force && this.checkedAt === 0) throw err;
        continue;
      }
      this.moved.delete(collection);
      if (this.bound.get(collection)?.row.tableName !== row.tableName) {
        this.bound.set(collection, { row, table: await this.catalog.openTable(row) });
      }
    }
    this.checkedAt = Date.now();
  }

  private async bind(collection: CollectionName): Promise<Bound> {
    checkCollection(collection);
    await this.refresh(false);
    const moved = this.moved.get(collection);
    if (moved) throw mismatchError(collection, moved, this.model, this.catalog.dir);
    return this.bound.get(collection) as Bound;
  }

  /** Runs an operation on a collection's table; once more on a fresh binding if the table vanished (re-indexed). */
  private async on<T>(collection: CollectionName, what: string, fn: (b: Bound) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.bind(collection));
    } catch (err) {
      if (!isMissingTable(err)) throw storeError(err, what);
      await this.refresh(true);
      try {
        return await fn(await this.bind(collection));
      } catch (again) {
        throw storeError(again, what);
      }
    }
  }

  async upsert<C extends CollectionName>(collection: C, items: readonly VectorItem<C>[]): Promise<void> {
    checkCollection(collection);
    const checked = checkItems(collection, items, this.model.dimension);
    if (checked.length === 0) return;
    await this.on(collection, `upsert into ${collection}`, (b) =>
      mergeRows(this.catalog, b.table, collection, checked),
    );
  }

  private async hasVectorIndex(b: Bound): Promise<boolean> {
    if (b.vectorIndex && Date.now() - b.vectorIndex.checkedAt < this.refreshMs) return b.vectorIndex.present;
    const present = (await b.table.listIndices()).some((i) => i.columns.includes(VECTOR_COLUMN));
    b.vectorIndex = { present, checkedAt: Date.now() };
    return present;
  }

  async search<C extends CollectionName>(
    collection: C,
    vector: readonly number[],
    opts: SearchOptions<C>,
  ): Promise<SearchHit<C>[]> {
    checkCollection(collection);
    const query = Float32Array.from(checkVector(vector, this.model.dimension, 'The query vector', 'BAD_FILTER'));
    const limit = checkLimit(opts?.limit);
    const where = toSql(compileFilter(collection, opts?.filter));
    return this.on(collection, `search in ${collection}`, async (b) => {
      if (where === 'FALSE') return [];
      const run = async (mode: 'exact' | 'ann') => {
        let q = b.table
          .vectorSearch(query)
          .distanceType('cosine')
          .select([...recordColumns(collection), '_distance'])
          .limit(limit);
        if (where) q = q.where(where);
        q = mode === 'exact' ? q.bypassVectorIndex() : q.nprobes(NPROBES).refineFactor(REFINE_FACTOR);
        return (await q.toArray()) as Record<string, unknown>[];
      };
      let rows: Record<string, unknown>[];
      if (!(await this.hasVectorIndex(b))) {
        rows = await run('exact');
      } else if (where) {
        const passing = await b.table.countRows(where);
        rows = passing <= this.tuning.exactSearchMaxRows ? await run('exact') : await run('ann');
        if (rows.length < Math.min(limit, passing)) rows = await run('exact');
      } else {
        rows = await run('ann');
      }
      return rows.map((row) => ({
        record: fromRow(collection, row),
        score: Math.max(-1, Math.min(1, 1 - Number(row._distance))),
      }));
    });
  }

  async get<C extends CollectionName>(collection: C, id: string): Promise<RecordOf[C] | null> {
    checkCollection(collection);
    const where = idSql(checkId(id, collection));
    return this.on(collection, `get from ${collection}`, async (b) => {
      const rows = (await b.table.query().where(where).select(recordColumns(collection)).limit(1).toArray()) as Record<
        string,
        unknown
      >[];
      return rows[0] ? fromRow(collection, rows[0]) : null;
    });
  }

  async count<C extends CollectionName>(collection: C, filter?: FilterOf[C]): Promise<number> {
    checkCollection(collection);
    const where = toSql(compileFilter(collection, filter));
    return this.on(collection, `count in ${collection}`, async (b) =>
      where === 'FALSE' ? 0 : b.table.countRows(where),
    );
  }

  async deleteWhere<C extends CollectionName>(collection: C, filter: FilterOf[C]): Promise<number> {
    checkCollection(collection);
    const where = toSql(compileDeleteFilter(collection, filter)) as string;
    return this.on(collection, `delete from ${collection}`, async (b) => {
      if (where === 'FALSE') return 0;
      const res = await this.catalog.retrying(`deleting from ${collection}`, () => b.table.delete(where));
      return res.numDeletedRows;
    });
  }

  async *scan<C extends CollectionName>(collection: C, batchSize = SCAN_BATCH): AsyncIterable<RecordOf[C][]> {
    const b = await this.bind(collection);
    try {
      yield* scanTable(collection, b.table, batchSize);
    } catch (err) {
      throw storeError(err, `scanning ${collection}`);
    }
  }

  async optimize(): Promise<OptimizeReport> {
    const report = { collections: {} } as OptimizeReport;
    for (const collection of COLLECTIONS) {
      report.collections[collection] = await this.on(collection, `optimizing ${collection}`, (b) =>
        this.optimizeTable(collection, b),
      );
    }
    return report;
  }

  private async optimizeTable(collection: CollectionName, b: Bound) {
    const actions: string[] = [];
    const table = b.table;
    const rows = await table.countRows();
    const indexes = await table.listIndices();
    const indexed = new Set(indexes.flatMap((i) => i.columns));
    if (rows >= this.tuning.scalarIndexMinRows) {
      for (const [column, type] of Object.entries(SCALAR_INDEXES[collection])) {
        if (indexed.has(column)) continue;
        const config = type === 'btree' ? Index.btree() : type === 'bitmap' ? Index.bitmap() : Index.labelList();
        await this.catalog.retrying(`indexing ${collection}.${column}`, () =>
          table.createIndex(column, { config, replace: false }),
        );
        indexed.add(column);
        actions.push(`${type} index on ${column}`);
      }
    }
    if (rows >= this.tuning.vectorIndexMinRows && !indexed.has(VECTOR_COLUMN)) {
      const dim = this.model.dimension;
      const numSubVectors = dim % 16 === 0 ? dim / 16 : dim % 8 === 0 ? dim / 8 : 1;
      const numPartitions = Math.max(1, Math.min(4096, Math.round(Math.sqrt(rows))));
      await this.catalog.retrying(`building the vector index of ${collection}`, () =>
        table.createIndex(VECTOR_COLUMN, {
          config: Index.ivfPq({ distanceType: 'cosine', numPartitions, numSubVectors }),
          replace: false,
        }),
      );
      indexed.add(VECTOR_COLUMN);
      actions.push(`IVF_PQ vector index (${numPartitions} partitions, ${numSubVectors} sub-vectors)`);
    }
    // Compacts small files, folds rows written since into the existing indexes, drops old versions.
    const stats = await this.catalog.retrying(`compacting ${collection}`, () =>
      table.optimize({ cleanupOlderThan: new Date(Date.now() - this.tuning.keepVersionsMs) }),
    );
    if (stats.compaction.fragmentsRemoved > 0) {
      actions.push(`compacted ${stats.compaction.fragmentsRemoved} fragments into ${stats.compaction.fragmentsAdded}`);
    }
    b.vectorIndex = undefined;
    return {
      rows,
      vectorIndex: indexed.has(VECTOR_COLUMN),
      scalarIndexes: [...indexed].filter((c) => c !== VECTOR_COLUMN).sort(),
      actions,
    };
  }

  async close(): Promise<void> {
    for (const b of this.bound.values()) b.table.close();
    this.bound.clear();
    this.catalog.close();
  }
}

/** Opens (creating if needed) the LanceDB store under `dir` for `model`; EMBEDDING_MISMATCH if it holds another's. */
export async function openLanceDbStore(
  options: LanceDbStoreOptions,
): Promise<VectorStore & Required<Pick<VectorStore, 'optimize'>>> {
  const catalog = await Catalog.open(options);
  const store = new LanceDbStore(catalog, options.model, options);
  try {
    await store.refresh(true);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** Opens the LanceDB store under `dir` without a model: to inspect it and rebuild collections (re-indexing). */
export async function openLanceDbMaintenance(options: {
  dir: string;
  commitAttempts?: number;
}): Promise<VectorStoreMaintenance> {
  const catalog = await Catalog.open(options);
  const live = async (collection: CollectionName) => {
    checkCollection(collection);
    const row = (await catalog.readMeta()).get(collection);
    return row ? { row, table: await catalog.openTable(row) } : null;
  };
  return {
    kind: 'lancedb',
    async models() {
      const meta = await catalog.readMeta();
      return Object.fromEntries(
        COLLECTIONS.map((c) => {
          const row = meta.get(c);
          return [c, row ? modelOf(row) : null];
        }),
      ) as Record<CollectionName, EmbeddingModelId | null>;
    },
    async count(collection) {
      const t = await live(collection);
      return t ? t.table.countRows() : 0;
    },
    async *scan<C extends CollectionName>(collection: C, batchSize?: number) {
      const t = await live(collection);
      if (t) yield* scanTable(collection, t.table, batchSize);
    },
    async rebuild<C extends CollectionName>(collection: C, model: EmbeddingModelId): Promise<CollectionRebuild<C>> {
      const from = (await live(collection))?.row.tableName;
      const name = newTableName(collection);
      const table = await catalog.createTable(collection, name, model.dimension);
      let done = false;
      return {
        collection,
        model,
        async write(items) {
          await mergeRows(catalog, table, collection, checkItems(collection, items, model.dimension));
        },
        async commit() {
          if (done) return;
          done = true;
          table.close();
          if (from === undefined) {
            const held = await catalog.claim(collection, model, name);
            if (held.tableName !== name) {
              await catalog.dropTable(name);
              throw new VectorStoreError(
                'CONFLICT',
                `${collection} was created by another process during the rebuild.`,
              );
            }
            return;
          }
          try {
            await catalog.swap(collection, from, name, model);
          } catch (err) {
            await catalog.dropTable(name);
            throw err;
          }
          await catalog.dropTable(from);
        },
        async abort() {
          if (done) return;
          done = true;
          table.close();
          await catalog.dropTable(name);
        },
      };
    },
    async close() {
      catalog.close();
    },
  };
}
