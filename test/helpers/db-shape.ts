// The shape of a live PostgreSQL database (public schema), read from the system catalogs, in the same terms as
// schema-shape.ts builds from schema.prisma.
import type pg from 'pg';
import { emptyShape, renderForeignKey, renderIndex, type SchemaShape } from './schema-shape.js';
import { normalizeDefault } from './sql-defaults.js';

const ACTIONS: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

const TABLE_KINDS: Record<string, string> = { r: 'table', p: 'table', v: 'view', m: 'materialized view', f: 'table' };

/** timestamp/time without a precision is precision 6, which Prisma spells @db.Timestamptz(6). */
const normalizeType = (type: string): string => type.replace(/^(timestamp|time)( with(?:out)? time zone)$/, '$1(6)$2');

export interface DatabaseShapeOptions {
  /**
   * Index predicates schema.prisma cannot carry (the DMMF has no `where` for indexes), by index name. An index with
   * exactly this predicate is compared without it; any other partial index is reported.
   */
  knownPredicates?: Record<string, string>;
}

export async function databaseShape(
  client: pg.Client,
  options: DatabaseShapeOptions = {},
): Promise<{ shape: SchemaShape; predicatesSeen: Record<string, string> }> {
  const shape = emptyShape();
  const predicatesSeen: Record<string, string> = {};
  const relations = await client.query<{ name: string; kind: string }>(
    `SELECT relname AS name, relkind AS kind FROM pg_class
     WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'f')
       AND relname <> '_prisma_migrations'`,
  );
  for (const r of relations.rows) {
    shape.tables.set(r.name, { origin: `${TABLE_KINDS[r.kind] ?? 'relation'} ${r.name}`, columns: new Map() });
  }
  const columns = await client.query<{
    table: string;
    column: string;
    type: string;
    nullable: boolean;
    default: string | null;
    identity: string;
    generated: string;
  }>(
    `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
            NOT a.attnotnull AS nullable, pg_get_expr(d.adbin, d.adrelid) AS default,
            a.attidentity AS identity, a.attgenerated AS generated
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       AND c.relname <> '_prisma_migrations' AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY c.relname, a.attnum`,
  );
  for (const c of columns.rows) {
    let value = normalizeDefault(c.default);
    if (c.identity !== '') value = 'autoincrement()';
    if (c.generated !== '') value = `GENERATED ALWAYS AS ${c.default ?? '?'}`;
    shape.tables.get(c.table)?.columns.set(c.column, {
      origin: `column ${c.table}.${c.column}`,
      type: normalizeType(c.type),
      nullable: c.nullable,
      default: value,
    });
  }
  const fks = await client.query<{
    name: string;
    table: string;
    ref_table: string;
    columns: string[];
    ref_columns: string[];
    on_delete: string;
    on_update: string;
  }>(
    `SELECT con.conname AS name, c.relname AS table, rc.relname AS ref_table,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i)::text[] AS columns,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i)::text[] AS ref_columns,
       con.confdeltype AS on_delete, con.confupdtype AS on_update
     FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_class rc ON rc.oid = con.confrelid
     WHERE con.contype = 'f' AND con.connamespace = 'public'::regnamespace
     ORDER BY con.conname <> c.relname || '_' || array_to_string(ARRAY(SELECT a.attname FROM unnest(con.conkey)
       WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i),
       '_') || '_fkey', con.conname`,
  );
  for (const fk of fks.rows) {
    const sql = renderForeignKey({
      table: fk.table,
      columns: fk.columns,
      refTable: fk.ref_table,
      refColumns: fk.ref_columns,
      onDelete: ACTIONS[fk.on_delete] ?? fk.on_delete,
      onUpdate: ACTIONS[fk.on_update] ?? fk.on_update,
    });
    // Keyed like schema-shape.ts; a second constraint on the same columns is reported under its own name.
    const key = `${fk.table}(${fk.columns.join(', ')})`;
    shape.foreignKeys.set(shape.foreignKeys.has(key) ? `${key} [${fk.name}]` : key, {
      origin: `constraint ${fk.name}`,
      sql,
    });
  }
  const indexes = await client.query<{
    name: string;
    table: string;
    method: string;
    primary: boolean;
    unique: boolean;
    valid: boolean;
    columns: string[];
    options: number[];
    opclasses: string[];
    key_count: number;
    predicate: string | null;
  }>(
    `SELECT ic.relname AS name, c.relname AS table, am.amname AS method, i.indisprimary AS primary,
       i.indisunique AS unique, i.indisvalid AS valid, i.indnkeyatts AS key_count,
       ARRAY(SELECT COALESCE(a.attname::text, '(expression)') FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS columns,
       i.indoption::int2[] AS options,
       ARRAY(SELECT CASE WHEN oc.opcdefault THEN '' ELSE oc.opcname::text END
             FROM unnest(i.indclass::oid[]) WITH ORDINALITY k(id, o) JOIN pg_opclass oc ON oc.oid = k.id
             ORDER BY k.o)::text[] AS opclasses,
       pg_get_expr(i.indpred, i.indrelid) AS predicate
     FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
     JOIN pg_am am ON am.oid = ic.relam
     WHERE c.relnamespace = 'public'::regnamespace AND c.relname <> '_prisma_migrations'`,
  );
  for (const ix of indexes.rows) {
    const keys = ix.columns.slice(0, ix.key_count).map((column, i) => {
      const option = ix.options[i] ?? 0;
      const desc = (option & 1) !== 0;
      const nullsFirst = (option & 2) !== 0;
      const ops = ix.opclasses[i] ? ` ${ix.opclasses[i]}` : '';
      const nulls = nullsFirst === desc ? '' : nullsFirst ? ' NULLS FIRST' : ' NULLS LAST';
      return `${column}${ops}${desc ? ' DESC' : ''}${nulls}`;
    });
    const kind = ix.primary ? 'PRIMARY KEY' : ix.unique ? 'UNIQUE' : 'INDEX';
    let sql = renderIndex({ kind, table: ix.table, method: ix.method, columns: keys });
    if (ix.columns.length > ix.key_count) sql += ` INCLUDE (${ix.columns.slice(ix.key_count).join(', ')})`;
    if (ix.predicate !== null) {
      if (options.knownPredicates?.[ix.name] === ix.predicate) predicatesSeen[ix.name] = ix.predicate;
      else sql += ` WHERE ${ix.predicate}`;
    }
    if (!ix.valid) sql += ' (INVALID: a failed CREATE INDEX CONCURRENTLY)';
    shape.indexes.set(ix.name, { origin: `index ${ix.name}`, sql });
  }
  const enums = await client.query<{ name: string; values: string[] }>(
    `SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS values
     FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
     WHERE t.typnamespace = 'public'::regnamespace GROUP BY t.typname`,
  );
  for (const e of enums.rows) shape.enums.set(e.name, { origin: `enum type ${e.name}`, values: e.values });
  return { shape, predicatesSeen };
}
