// The LanceDB directory's catalog: the connection, the meta table that says which table holds each collection and
// which embedding model made its vectors, and the retry rule for commits. Several processes may use one directory at
// once: LanceDB commits optimistically (a writer that lost a race gets a conflict error and tries again), the meta
// table decides races deterministically (the oldest claim of a collection holds), and reads always see the latest
// committed version (readConsistencyInterval 0).
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { type Connection, connect, type Table } from '@lancedb/lancedb';
import type { Schema } from 'apache-arrow';
import { describeModel, type EmbeddingModelId, sameModel } from '../embeddings/embeddings.js';
import { META_TABLE, type MetaRow, metaCollectionSql, metaSchema, metaTableSql, tableSchema } from './lancedb-rows.js';
import { checkCollection } from './records.js';
import { type CollectionName, REINDEX_COMMAND, VectorStoreError } from './vector-store.js';

export interface CatalogOptions {
  /** The directory of the LanceDB database (created if missing). */
  dir: string;
  /** Attempts of a write that keeps losing commit races to other writers (default 10). */
  commitAttempts?: number;
}

const CONFLICT = /conflict|retryable|concurrent|version \d+ already exists|already exists at version/i;
const MISSING = /not ?found|does not exist|no such file|was not found/i;

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
/** A table that vanished under us (another process re-indexed and dropped it); also once wrapped as UNAVAILABLE. */
export const isMissingTable = (err: unknown) =>
  !(err instanceof VectorStoreError && err.code !== 'UNAVAILABLE') && MISSING.test(messageOf(err));
const isConflict = (err: unknown) => !(err instanceof VectorStoreError) && CONFLICT.test(messageOf(err));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Any failure of LanceDB itself, as a VectorStoreError (ours pass through). */
export function storeError(err: unknown, what: string): VectorStoreError {
  if (err instanceof VectorStoreError) return err;
  return new VectorStoreError('UNAVAILABLE', `LanceDB: ${what} failed: ${messageOf(err)}`);
}

export const modelOf = (row: MetaRow): EmbeddingModelId => ({
  provider: row.provider as EmbeddingModelId['provider'],
  model: row.model,
  dimension: row.dimension,
});

export function mismatchError(collection: CollectionName, stored: MetaRow, wanted: EmbeddingModelId, dir: string) {
  return new VectorStoreError(
    'EMBEDDING_MISMATCH',
    `The ${collection} vectors in ${dir} were made by ${describeModel(modelOf(stored))}, but this process embeds ` +
      `with ${describeModel(wanted)}. Vectors of different models cannot be compared: run \`${REINDEX_COMMAND}\` ` +
      'with the new model configured to re-embed the stored records (or configure the model the store was built with).',
  );
}

export const newTableName = (collection: CollectionName) =>
  `${collection}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

export class Catalog {
  private meta: Table | undefined;
  private readonly attempts: number;

  private constructor(
    readonly db: Connection,
    readonly dir: string,
    options: CatalogOptions,
  ) {
    this.attempts = options.commitAttempts ?? 10;
  }

  static async open(options: CatalogOptions): Promise<Catalog> {
    const dir = resolve(options.dir);
    try {
      // readConsistencyInterval 0: every read checks for versions other processes committed.
      return new Catalog(await connect(dir, { readConsistencyInterval: 0 }), dir, options);
    } catch (err) {
      throw storeError(err, `opening ${dir}`);
    }
  }

  /** Runs a write, again after a short random pause when it lost a commit race (bounded; then UNAVAILABLE). */
  async retrying<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!isConflict(err) || attempt >= this.attempts) throw storeError(err, what);
        await sleep(Math.min(1_000, 5 * 2 ** attempt) * (0.5 + Math.random()));
      }
    }
  }

  private async metaTable(): Promise<Table> {
    this.meta ??= await this.openOrCreate(META_TABLE, metaSchema, 'collection');
    return this.meta;
  }

  /** Opens a table, creating it (empty, with its key declared) when it does not exist; safe against racing creators. */
  private async openOrCreate(name: string, schema: Schema, key: string): Promise<Table> {
    const table = await this.retrying(`opening ${name}`, async () => {
      try {
        return await this.db.openTable(name);
      } catch (err) {
        if (!isMissingTable(err)) throw err;
      }
      try {
        return await this.db.createEmptyTable(name, schema, { mode: 'create' });
      } catch (err) {
        if (!/already exists/i.test(messageOf(err))) throw err;
        return this.db.openTable(name);
      }
    });
    await this.ensurePrimaryKey(table, key);
    return table;
  }

  /**
   * Declares the table's key column to LanceDB. Without it, two writers merging the same new id at once would both
   * insert it; with it, LanceDB detects the clash and retries the later commit as an update.
   */
  private async ensurePrimaryKey(table: Table, column: string): Promise<void> {
    const field = (await table.schema()).fields.find((f) => f.name === column);
    if ([...(field?.metadata.keys() ?? [])].some((k) => k.includes('primary-key'))) return;
    try {
      await this.retrying(`declaring ${column} the key of ${table.name}`, () => table.setUnenforcedPrimaryKey(column));
    } catch (err) {
      // Another process declared it first.
      if (!/already set|cannot be changed once set/i.test(messageOf(err))) throw err;
    }
  }

  /** The live row of each collection (of racing claims, the oldest; ties by table name). */
  async readMeta(): Promise<Map<CollectionName, MetaRow>> {
    const table = await this.metaTable();
    let rows: Record<string, unknown>[];
    try {
      rows = await table.query().toArray();
    } catch (err) {
      throw storeError(err, 'reading the meta table');
    }
    const out = new Map<CollectionName, MetaRow>();
    for (const r of rows) {
      const collection = String(r.collection);
      checkCollection(collection);
      const row: MetaRow = {
        collection,
        tableName: String(r.tableName),
        provider: String(r.provider),
        model: String(r.model),
        dimension: Number(r.dimension),
        claimedAt: Number(r.claimedAt),
      };
      const held = out.get(collection);
      if (
        !held ||
        row.claimedAt < held.claimedAt ||
        (row.claimedAt === held.claimedAt && row.tableName < held.tableName)
      ) {
        out.set(collection, row);
      }
    }
    return out;
  }

  /** Claims a collection that has no table yet for `model`; returns the row that holds (ours or a racer's). */
  async claim(collection: CollectionName, model: EmbeddingModelId, tableName = newTableName(collection)) {
    const table = await this.metaTable();
    const row = { collection, tableName, ...model, claimedAt: Date.now() };
    await this.retrying(`claiming ${collection}`, () =>
      table.mergeInsert('collection').whenNotMatchedInsertAll().execute([row]),
    );
    const held = (await this.readMeta()).get(collection);
    if (!held) throw new VectorStoreError('UNAVAILABLE', `LanceDB: the claim of ${collection} was not recorded.`);
    if (held.tableName !== tableName) await this.dropStaleRows(collection, held.tableName);
    return held;
  }

  /**
   * Points a collection at another table (compare-and-swap on the table it had): CONFLICT when someone else moved it
   * first. Returns the previous table's name.
   */
  async swap(collection: CollectionName, from: string, to: string, model: EmbeddingModelId): Promise<void> {
    const table = await this.metaTable();
    const where = `${metaCollectionSql(collection)} AND ${metaTableSql(from)}`;
    const res = await this.retrying(`switching ${collection} to ${to}`, () =>
      table.update({
        where,
        values: { tableName: to, provider: model.provider, model: model.model, dimension: model.dimension },
      }),
    );
    if (res.rowsUpdated === 0) {
      throw new VectorStoreError('CONFLICT', `${collection} was changed by another process during the rebuild.`);
    }
    await this.dropStaleRows(collection, to);
  }

  /** Removes the rows of a collection other than the live one (left by racing claims). */
  private async dropStaleRows(collection: CollectionName, live: string): Promise<void> {
    const table = await this.metaTable();
    await this.retrying(`tidying the meta rows of ${collection}`, () =>
      table.delete(`${metaCollectionSql(collection)} AND NOT (${metaTableSql(live)})`),
    );
  }

  /** The table of a meta row, created (empty, with the row's dimension) if it does not exist yet. */
  async openTable(row: MetaRow): Promise<Table> {
    return this.openOrCreate(row.tableName, tableSchema(row.collection, row.dimension), 'id');
  }

  async createTable(collection: CollectionName, tableName: string, dimension: number): Promise<Table> {
    const table = await this.retrying(`creating ${tableName}`, () =>
      this.db.createEmptyTable(tableName, tableSchema(collection, dimension), { mode: 'create' }),
    );
    await this.ensurePrimaryKey(table, 'id');
    return table;
  }

  async dropTable(name: string): Promise<void> {
    try {
      await this.db.dropTable(name);
    } catch (err) {
      if (!isMissingTable(err)) throw storeError(err, `dropping ${name}`);
    }
  }

  close(): void {
    this.meta?.close();
    this.db.close();
  }
}

export function checkModel(collection: CollectionName, row: MetaRow, wanted: EmbeddingModelId, dir: string): void {
  if (!sameModel(modelOf(row), wanted)) throw mismatchError(collection, row, wanted, dir);
}
