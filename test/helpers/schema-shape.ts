// A database's shape as PostgreSQL would print it, built from schema.prisma's data model (what Prisma expects the
// database to be), and the comparison with the shape read from a real database (see db-shape.ts).
import type { Datamodel, DmmfField, DmmfModel } from './prisma-dmmf.js';
import { arrayLiteral, normalizeDefault, sqlString } from './sql-defaults.js';

export interface ColumnShape {
  type: string;
  nullable: boolean;
  /** The default expression, normalized (casts removed), or null. */
  default: string | null;
}

export interface TableShape {
  /** Where it comes from, for messages: `model Task` or `table tasks`. */
  origin: string;
  columns: Map<string, ColumnShape & { origin: string }>;
}

export interface SchemaShape {
  tables: Map<string, TableShape>;
  /** Keyed by `table(columns)`: DMMF does not carry a relation's constraint name (`map:`). */
  foreignKeys: Map<string, { origin: string; sql: string }>;
  indexes: Map<string, { origin: string; sql: string }>;
  enums: Map<string, { origin: string; values: string[] }>;
}

export const emptyShape = (): SchemaShape => ({
  tables: new Map(),
  foreignKeys: new Map(),
  indexes: new Map(),
  enums: new Map(),
});

/** Prisma's PostgreSQL type for a scalar type without @db.* attribute. */
const DEFAULT_TYPES: Record<string, string> = {
  String: 'text',
  Boolean: 'boolean',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};

/** `@db.X(args)` → PostgreSQL's format_type() spelling. */
const NATIVE_TYPES: Record<string, (args: string[]) => string> = {
  Text: () => 'text',
  Char: (a) => `character(${a[0] ?? 1})`,
  VarChar: (a) => (a[0] === undefined ? 'character varying' : `character varying(${a[0]})`),
  Bit: (a) => `bit(${a[0] ?? 1})`,
  VarBit: (a) => (a[0] === undefined ? 'bit varying' : `bit varying(${a[0]})`),
  Uuid: () => 'uuid',
  Xml: () => 'xml',
  Inet: () => 'inet',
  Citext: () => 'citext',
  Integer: () => 'integer',
  SmallInt: () => 'smallint',
  BigInt: () => 'bigint',
  Oid: () => 'oid',
  DoublePrecision: () => 'double precision',
  Real: () => 'real',
  Decimal: (a) => (a.length === 0 ? 'numeric' : `numeric(${a.join(',')})`),
  Money: () => 'money',
  Timestamp: (a) => `timestamp(${a[0] ?? 6}) without time zone`,
  Timestamptz: (a) => `timestamp(${a[0] ?? 6}) with time zone`,
  Date: () => 'date',
  Time: (a) => `time(${a[0] ?? 6}) without time zone`,
  Timetz: (a) => `time(${a[0] ?? 6}) with time zone`,
  Boolean: () => 'boolean',
  Json: () => 'json',
  JsonB: () => 'jsonb',
  ByteA: () => 'bytea',
};

/** Defaults Prisma Client fills in itself: the database has none. */
const CLIENT_SIDE_DEFAULTS = new Set(['uuid', 'cuid', 'nanoid', 'ulid']);

const REFERENTIAL_ACTIONS: Record<string, string> = {
  NoAction: 'NO ACTION',
  Restrict: 'RESTRICT',
  Cascade: 'CASCADE',
  SetNull: 'SET NULL',
  SetDefault: 'SET DEFAULT',
};

function expectedDefault(field: DmmfField): string | null {
  const value = field.default;
  if (value === undefined || value === null) return null;
  // A scalar list default is a PostgreSQL array literal: ["api_user"] is '{api_user}', [true] is '{t}'.
  if (Array.isArray(value)) return arrayLiteral(value);
  // The DMMF gives BigInt (and Decimal) defaults as strings; the database prints numbers bare.
  if (typeof value === 'string' && /^(BigInt|Int|Float|Decimal)$/.test(field.type)) return value;
  if (typeof value === 'string') return sqlString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object' && 'name' in value && typeof value.name === 'string') {
    if (CLIENT_SIDE_DEFAULTS.has(value.name)) return null;
    if (value.name === 'dbgenerated' && 'args' in value && Array.isArray(value.args)) {
      return normalizeDefault(String(value.args[0] ?? ''));
    }
    return normalizeDefault(`${value.name}()`);
  }
  return JSON.stringify(value);
}

const tableOf = (model: DmmfModel): string => model.dbName ?? model.name;
const columnOf = (field: DmmfField): string => field.dbName ?? field.name;

export function renderForeignKey(fk: {
  table: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: string;
  onUpdate: string;
}): string {
  return (
    `FOREIGN KEY ${fk.table}(${fk.columns.join(', ')}) REFERENCES ${fk.refTable}(${fk.refColumns.join(', ')}) ` +
    `ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`
  );
}

export function renderIndex(ix: { kind: string; table: string; method: string; columns: string[] }): string {
  return `${ix.kind} ON ${ix.table} USING ${ix.method} (${ix.columns.join(', ')})`;
}

/** What schema.prisma says the database looks like. */
export function expectedShape(datamodel: Datamodel): SchemaShape {
  const shape = emptyShape();
  const models = new Map(datamodel.models.map((m) => [m.name, m]));
  const enums = new Map(datamodel.enums.map((e) => [e.name, e.dbName ?? e.name]));
  for (const e of datamodel.enums) {
    shape.enums.set(e.dbName ?? e.name, { origin: `enum ${e.name}`, values: e.values.map((v) => v.dbName ?? v.name) });
  }
  for (const model of datamodel.models) {
    const table = tableOf(model);
    const columns: TableShape['columns'] = new Map();
    const column = (fieldName: string): string => {
      const field = model.fields.find((f) => f.name === fieldName);
      return field === undefined ? `?${fieldName}` : columnOf(field);
    };
    for (const field of model.fields) {
      const origin = `${model.name}.${field.name}`;
      if (field.kind === 'scalar' || field.kind === 'enum') {
        let type: string;
        if (field.kind === 'enum') type = enums.get(field.type) ?? field.type;
        else if (field.nativeType) {
          const [name, args] = field.nativeType;
          const render = NATIVE_TYPES[name];
          type = render === undefined ? `unknown native type @db.${name}` : render(args);
        } else type = DEFAULT_TYPES[field.type] ?? `unknown Prisma type ${field.type}`;
        if (field.isList) type += '[]';
        columns.set(columnOf(field), { origin, type, nullable: !field.isRequired, default: expectedDefault(field) });
      }
      if (field.kind === 'object' && (field.relationFromFields?.length ?? 0) > 0) {
        const target = models.get(field.type) as DmmfModel;
        const from = field.relationFromFields ?? [];
        const optional = from.some((f) => model.fields.find((x) => x.name === f)?.isRequired === false);
        const fk = {
          table,
          columns: from.map(column),
          refTable: tableOf(target),
          refColumns: (field.relationToFields ?? []).map((f) =>
            columnOf(target.fields.find((x) => x.name === f) as DmmfField),
          ),
          // Prisma's defaults when the schema says nothing: SetNull/Restrict on delete, Cascade on update.
          onDelete: REFERENTIAL_ACTIONS[field.relationOnDelete ?? (optional ? 'SetNull' : 'Restrict')] ?? '?',
          onUpdate: REFERENTIAL_ACTIONS[field.relationOnUpdate ?? 'Cascade'] ?? '?',
        };
        shape.foreignKeys.set(`${table}(${fk.columns.join(', ')})`, { origin, sql: renderForeignKey(fk) });
      }
    }
    shape.tables.set(table, { origin: `model ${model.name}`, columns });
  }
  for (const index of datamodel.indexes) {
    const model = models.get(index.model) as DmmfModel;
    const table = tableOf(model);
    const fieldColumn = (name: string) => columnOf(model.fields.find((f) => f.name === name) as DmmfField);
    const columnNames = index.fields.map((f) => fieldColumn(f.name));
    const kind = { id: 'PRIMARY KEY', unique: 'UNIQUE', normal: 'INDEX', fulltext: 'FULLTEXT INDEX' }[index.type];
    const suffix = { id: 'pkey', unique: 'key', normal: 'idx', fulltext: 'idx' }[index.type];
    const name =
      index.dbName ?? (index.type === 'id' ? `${table}_pkey` : `${table}_${columnNames.join('_')}_${suffix}`);
    const columns = index.fields.map((f, i) => {
      const ops =
        f.operatorClass === undefined ? '' : ` ${f.operatorClass.replace(/(?<!^)([A-Z])/g, '_$1').toLowerCase()}`;
      return `${columnNames[i]}${ops}${f.sortOrder === 'desc' ? ' DESC' : ''}`;
    });
    const method = (index.algorithm ?? 'BTree').toLowerCase();
    shape.indexes.set(name, { origin: `${model.name} ${kind}`, sql: renderIndex({ kind, table, method, columns }) });
  }
  return shape;
}

/** Every difference between what schema.prisma expects and what the database has, one line each. */
export function diffShapes(expected: SchemaShape, actual: SchemaShape): string[] {
  const out: string[] = [];
  for (const [name, table] of expected.tables) {
    const real = actual.tables.get(name);
    if (real === undefined) {
      out.push(`${table.origin}: table "${name}" is missing from the database`);
      continue;
    }
    for (const [column, want] of table.columns) {
      const have = real.columns.get(column);
      if (have === undefined) {
        out.push(`${want.origin}: column ${name}.${column} is missing from the database`);
        continue;
      }
      const where = `${want.origin} (${name}.${column})`;
      if (want.type !== have.type)
        out.push(`${where}: type is ${want.type} in schema.prisma, ${have.type} in the database`);
      if (want.nullable !== have.nullable) {
        const say = (nullable: boolean) => (nullable ? 'nullable' : 'NOT NULL');
        out.push(`${where}: ${say(want.nullable)} in schema.prisma, ${say(have.nullable)} in the database`);
      }
      if (want.default !== have.default) {
        const say = (d: string | null) => (d === null ? 'no default' : `default ${d}`);
        out.push(`${where}: ${say(want.default)} in schema.prisma, ${say(have.default)} in the database`);
      }
    }
    for (const column of real.columns.keys()) {
      if (!table.columns.has(column))
        out.push(`column ${name}.${column}: in the database, but no field of ${table.origin} maps to it`);
    }
  }
  for (const name of actual.tables.keys()) {
    if (!expected.tables.has(name))
      out.push(`table "${name}": in the database, but no model in schema.prisma maps to it`);
  }
  const compare = (what: string, want: Map<string, { origin: string; sql: string }>, have: typeof want) => {
    for (const [key, w] of want) {
      const h = have.get(key);
      if (h === undefined) out.push(`${w.origin}: ${what} ${key} is missing from the database (expected ${w.sql})`);
      else if (h.sql !== w.sql)
        out.push(`${w.origin}: ${what} ${key} differs:\n    schema.prisma: ${w.sql}\n    database:      ${h.sql}`);
    }
    // In name order: the catalog's order is not stable across databases.
    for (const [key, h] of [...have].sort(([a], [b]) => a.localeCompare(b))) {
      if (!want.has(key)) out.push(`${what} ${key}: in the database (${h.sql}), but not in schema.prisma`);
    }
  };
  compare('foreign key', expected.foreignKeys, actual.foreignKeys);
  compare('index', expected.indexes, actual.indexes);
  for (const [name, e] of expected.enums) {
    const values = actual.enums.get(name)?.values;
    if (values === undefined) out.push(`${e.origin}: enum type "${name}" is missing from the database`);
    else if (values.join() !== e.values.join())
      out.push(`${e.origin}: values are ${e.values.join(', ')} in schema.prisma, ${values.join(', ')} in the database`);
  }
  for (const name of actual.enums.keys()) {
    if (!expected.enums.has(name)) out.push(`enum type "${name}": in the database, but not in schema.prisma`);
  }
  return out;
}
