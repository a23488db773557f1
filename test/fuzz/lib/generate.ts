// A schema-aware GraphQL document generator for the fuzzer: random valid operations (random fields, arguments of the
// right types, aliases, inline and named fragments, variables) read from the schema itself, and invalid requests
// (nesting past the depth limit, alias floods, huge lists and numbers, wrong variable types, unknown fields, syntax
// garbage, unicode, NUL bytes, oversize strings, malformed ids and malformed HTTP bodies). Deterministic for a seed.
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';

// ─── Randomness ─────────────────────────────────────────────────────────────────────────────────────────────

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }
  /** Up to n distinct items, in random order. */
  some<T>(items: readonly T[], n: number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy.slice(0, n);
  }
}

// ─── What a case is ─────────────────────────────────────────────────────────────────────────────────────────

export type CaseKind =
  | 'valid'
  | 'deep'
  | 'aliases'
  | 'huge-list'
  | 'huge-number'
  | 'wrong-variable'
  | 'unknown-field'
  | 'syntax'
  | 'oversize-string'
  | 'malformed-id'
  | 'raw-http';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface FuzzCase {
  kind: CaseKind;
  /** Does the document (if any) contain a mutation operation? */
  mutation: boolean;
  /** Root fields the operation selects (for the report). */
  fields: string[];
  /** A GraphQL request ({ query, variables }) or, for raw-http, the exact request to send. */
  request: { body: string; contentType: string; method: 'POST' | 'GET'; query?: string };
}

/** Known objects the generated ids point at, by type name (global ids). */
export type IdPool = Record<string, string[]>;

/** Root fields never generated: they end the caller's own session (the run would lose its identities). */
const EXCLUDED_ROOT_FIELDS = new Set(['Mutation.logout']);

/** Argument names that name an object of a type (agentId → Agent). */
const ID_HINTS: Record<string, string> = {
  agentId: 'Agent',
  personaId: 'Persona',
  taskId: 'Task',
  goalId: 'Goal',
  contentId: 'Content',
  walletId: 'Wallet',
  transferId: 'Transfer',
  userId: 'User',
};

const STRINGS = [
  '',
  'fuzz',
  'hello world',
  '  padded  ',
  '😀🔥🚀',
  '👩‍👩‍👧‍👦',
  'null\u0000byte',
  '\u202eright-to-left',
  'ñandú Ünïcödé 中文 العربية',
  "' OR 1=1 --",
  '%_\\',
  '<script>alert(1)</script>',
  'fuzz@test.chimera',
  '0.01',
  '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  'mcp://news/latest',
  'https://example.test/x.png',
  '\ud800',
  '\n\t\r',
  '{"a":1}',
];

// ─── The generator ──────────────────────────────────────────────────────────────────────────────────────────

interface Build {
  variables: Record<string, Json>;
  definitions: string[];
  fragments: string[];
  counter: number;
}

export class DocumentGenerator {
  private readonly queryFields: GraphQLField<unknown, unknown>[];
  private readonly mutationFields: GraphQLField<unknown, unknown>[];
  private readonly allIds: string[];
  /** Composite types from which a selection can nest without end. */
  private readonly endless: Set<string>;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rng: Rng,
    private readonly ids: IdPool,
    private readonly limits: { maxDepth: number; maxAliases: number; batchLimit: number },
  ) {
    const fieldsOf = (type: GraphQLObjectType | null | undefined) =>
      Object.values(type?.getFields() ?? {}).filter((f) => !EXCLUDED_ROOT_FIELDS.has(`${type?.name}.${f.name}`));
    this.queryFields = fieldsOf(schema.getQueryType());
    this.mutationFields = fieldsOf(schema.getMutationType());
    this.allIds = Object.values(ids).flat();
    this.endless = this.endlessTypes();
  }

  /** One case: mostly valid operations, the rest spread over the invalid kinds. */
  next(): FuzzCase {
    const r = this.rng.next();
    if (r < 0.6) return this.valid();
    const kinds: (() => FuzzCase)[] = [
      () => this.deep(),
      () => this.aliases(),
      () => this.hugeList(),
      () => this.hugeNumber(),
      () => this.wrongVariable(),
      () => this.unknownField(),
      () => this.syntax(),
      () => this.oversizeString(),
      () => this.malformedId(),
      () => this.rawHttp(),
    ];
    return this.rng.pick(kinds)();
  }

  // ─── Valid operations ───────────────────────────────────────────────────────────────────────────────────

  valid(): FuzzCase {
    const mutation = this.rng.chance(0.3);
    const pool = mutation ? this.mutationFields : this.queryFields;
    const b: Build = { variables: {}, definitions: [], fragments: [], counter: 0 };
    const roots = this.rng.some(pool, this.rng.int(1, 3));
    const depth = this.rng.int(2, Math.min(6, this.limits.maxDepth - 1));
    const selections = roots.map((f, i) => this.fieldSelection(f, depth, b, i > 0 || this.rng.chance(0.2)));
    return this.gql('valid', mutation, roots, this.operation(mutation, b, selections.join(' ')), b.variables);
  }

  private operation(mutation: boolean, b: Build, selection: string): string {
    const defs = b.definitions.length ? `(${b.definitions.join(', ')})` : '';
    const name = this.rng.chance(0.3) ? ` Fuzz${this.rng.int(0, 999)}` : '';
    const head = mutation ? `mutation${name}${defs}` : defs || name ? `query${name}${defs}` : '';
    return `${head} { ${selection} }${b.fragments.length ? `\n${b.fragments.join('\n')}` : ''}`;
  }

  private gql(
    kind: CaseKind,
    mutation: boolean,
    roots: readonly { name: string }[],
    query: string,
    variables: Record<string, Json>,
  ): FuzzCase {
    return {
      kind,
      mutation,
      fields: roots.map((r) => r.name),
      request: { method: 'POST', contentType: 'application/json', body: JSON.stringify({ query, variables }) },
    };
  }

  private fieldSelection(field: GraphQLField<unknown, unknown>, depth: number, b: Build, alias: boolean): string {
    const args = this.argumentsOf(field.args, b);
    const head = `${alias ? `a${b.counter++}: ` : ''}${field.name}${args}`;
    const sub = this.selectionOf(field.type, depth - 1, b);
    return sub ? `${head} ${sub}` : head;
  }

  /** The selection set for an output type ('' for leaves). */
  private selectionOf(type: GraphQLOutputType, depth: number, b: Build): string {
    const named = getNamedType(type);
    if (isLeafType(named)) return '';
    if (isAbstractType(named)) {
      const possible = this.schema.getPossibleTypes(named);
      const parts = ['__typename'];
      for (const t of this.rng.some(possible, this.rng.int(1, 3))) parts.push(this.fragmentOn(t, depth, b));
      return `{ ${parts.join(' ')} }`;
    }
    if (!isObjectType(named)) return '';
    if (this.rng.chance(0.15)) return `{ __typename ${this.fragmentOn(named, depth, b)} }`;
    return `{ ${this.objectFields(named, depth, b)} }`;
  }

  private fragmentOn(type: GraphQLObjectType, depth: number, b: Build): string {
    const body = this.objectFields(type, depth, b);
    if (this.rng.chance(0.5)) return `... on ${type.name} { ${body} }`;
    const name = `F${b.counter++}`;
    b.fragments.push(`fragment ${name} on ${type.name} { ${body} }`);
    return `...${name}`;
  }

  private objectFields(type: GraphQLObjectType, depth: number, b: Build): string {
    const fields = Object.values(type.getFields());
    const parts = ['__typename'];
    if (type.getFields().id) parts.push('id');
    const leaves = fields.filter((f) => isLeafType(getNamedType(f.type)) && f.name !== 'id');
    const objects = fields.filter((f) => !isLeafType(getNamedType(f.type)));
    for (const f of this.rng.some(leaves, this.rng.int(1, 4))) parts.push(this.fieldSelection(f, depth, b, false));
    if (depth > 1) {
      for (const f of this.rng.some(objects, this.rng.int(0, 2))) {
        parts.push(this.fieldSelection(f, depth, b, this.rng.chance(0.1)));
      }
    }
    return parts.join(' ');
  }

  private argumentsOf(args: readonly GraphQLArgument[], b: Build): string {
    const chosen = args.filter((a) => isNonNullType(a.type) || this.rng.chance(0.4));
    if (!chosen.length) return '';
    const parts = chosen.map((a) => {
      const value = this.valueOf(a.type, a.name, 0);
      // A lone surrogate has no GraphQL string literal: it can only travel in a (JSON) variable.
      const loneSurrogate = /\\ud[89a-f]/i.test(JSON.stringify(value));
      if (loneSurrogate || this.rng.chance(0.35)) {
        const v = `v${b.counter++}`;
        b.definitions.push(`$${v}: ${String(a.type)}`);
        b.variables[v] = value;
        return `${a.name}: $${v}`;
      }
      return `${a.name}: ${this.literal(a.type, value)}`;
    });
    return `(${parts.join(', ')})`;
  }

  /** A JSON value for an input type (what a variable would carry). */
  valueOf(type: GraphQLInputType, name: string, depth: number): Json {
    if (isNonNullType(type)) return this.valueOf(type.ofType, name, depth);
    if (depth > 0 && this.rng.chance(0.1)) return null;
    if (isListType(type)) {
      return Array.from({ length: this.rng.int(0, 3) }, () => this.valueOf(type.ofType, name, depth + 1));
    }
    if (isEnumType(type)) return this.rng.pick(type.getValues()).name;
    if (isInputObjectType(type)) {
      const out: Record<string, Json> = {};
      for (const f of Object.values(type.getFields())) {
        if (isNonNullType(f.type) || (depth < 3 && this.rng.chance(0.5)))
          out[f.name] = this.valueOf(f.type, f.name, depth + 1);
      }
      return out;
    }
    return this.scalar(type.name, name);
  }

  private scalar(type: string, name: string): Json {
    const r = this.rng;
    switch (type) {
      case 'ID': {
        const hinted = this.ids[ID_HINTS[name] ?? ''] ?? [];
        if (hinted.length && r.chance(0.7)) return r.pick(hinted);
        return r.chance(0.85) ? r.pick(this.allIds) : this.badId();
      }
      case 'Int':
        if (name === 'first' || name === 'last' || name === 'limit')
          return r.pick([0, 1, 2, 5, 10, 20, 50, 100, 101, -1]);
        return r.pick([0, 1, 2, 7, 24, 100, -1, 2_147_483_647, -2_147_483_648]);
      case 'Float':
        return r.pick([0, 0.5, 1, -1, 0.99, 1.5, 1e10, 1e-10]);
      case 'Boolean':
        return r.chance(0.5);
      case 'DateTime':
        return r.pick([new Date().toISOString(), '2020-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', 'yesterday', '']);
      case 'Decimal':
        return r.pick(['0.01', '1', '0', '0.5', '-1', '1e5', 'abc', '0.0000000000000000001', '99999999999999999999']);
      case 'JSON':
        return r.pick<Json>([
          {},
          { a: 1 },
          [1, 2],
          'x',
          1,
          null,
          { sensitivity: 'sensitive' },
          { nested: { deep: [{}] } },
        ]);
      case 'JSONObject':
        return r.pick<Json>([{}, { a: 1 }, { sensitivity: 'prohibited' }, { nested: { deep: [{}] } }]);
      default:
        if (name === 'email') return r.pick(['fuzz@test.chimera', 'not-an-email', '', 'ÜNI@test.chimera']);
        if (name === 'cursor' || name === 'after' || name === 'before')
          return r.pick(['', 'YXJyYXljb25uZWN0aW9uOjA=', 'junk', '😀']);
        return r.chance(0.9) ? r.pick(STRINGS) : 'x'.repeat(r.pick([1_000, 5_000, 50_001]));
    }
  }

  badId(): string {
    return this.rng.pick([
      '',
      'not-an-id',
      Buffer.from('Agent:not-a-uuid').toString('base64'),
      Buffer.from('Agent:').toString('base64'),
      Buffer.from(':00000000-0000-4000-8000-000000000000').toString('base64'),
      Buffer.from('NoSuchType:00000000-0000-4000-8000-000000000000').toString('base64'),
      Buffer.from('Agent:00000000-0000-4000-8000-000000000000').toString('base64'),
      Buffer.from("Agent:' OR 1=1 --").toString('base64'),
      '😀😀😀',
      'QWdlbnQ6\u0000',
      'A'.repeat(10_000),
      '====',
    ]);
  }

  /** GraphQL literal syntax for a JSON value of an input type. */
  literal(type: GraphQLInputType, value: Json): string {
    if (value === null) return 'null';
    if (isNonNullType(type)) return this.literal(type.ofType, value);
    if (isListType(type)) {
      return Array.isArray(value)
        ? `[${value.map((v) => this.literal(type.ofType, v)).join(', ')}]`
        : this.literal(type.ofType, value);
    }
    if (isEnumType(type)) return String(value);
    if (isInputObjectType(type) && typeof value === 'object' && !Array.isArray(value)) {
      const fields = type.getFields();
      return `{ ${Object.entries(value)
        .map(([k, v]) => `${k}: ${fields[k] ? this.literal(fields[k].type, v) : JSON.stringify(v)}`)
        .join(', ')} }`;
    }
    if (isScalarType(type) && (type.name === 'JSON' || type.name === 'JSONObject')) return jsonLiteral(value);
    return typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value);
  }

  // ─── Invalid requests ───────────────────────────────────────────────────────────────────────────────────

  /** A chain of object fields deeper than the limit (e.g. agents → edges → node → persona → agents …). */
  deep(): FuzzCase {
    const target = this.limits.maxDepth + this.rng.int(1, 12);
    const roots = this.queryFields.filter((f) => this.endless.has(getNamedType(f.type).name));
    const root = this.rng.pick(roots);
    const b: Build = { variables: {}, definitions: [], fragments: [], counter: 0 };
    const path: string[] = [];
    let type: GraphQLNamedType = getNamedType(root.type);
    for (let depth = 1; depth < target; ) {
      if (isAbstractType(type)) {
        const concrete: GraphQLObjectType = this.rng.pick(
          this.schema.getPossibleTypes(type).filter((t) => this.endless.has(t.name)),
        );
        path.push(`... on ${concrete.name} {`);
        type = concrete;
        continue;
      }
      const f: GraphQLField<unknown, unknown> = this.rng.pick(this.deepEdges(type as GraphQLObjectType));
      path.push(`${f.name} {`);
      type = getNamedType(f.type);
      depth++;
    }
    const head = `${root.name}${this.argumentsOf(root.args, b)} { ${path.join(' ')} __typename ${'}'.repeat(path.length)} }`;
    return this.gql('deep', false, [root], this.operation(false, b, head), b.variables);
  }

  /** Fields of a type (no required arguments) that lead to a type from which paths go on for ever. */
  private deepEdges(type: GraphQLObjectType): GraphQLField<unknown, unknown>[] {
    return Object.values(type.getFields()).filter(
      (f) => this.endless.has(getNamedType(f.type).name) && f.args.every((a) => !isNonNullType(a.type)),
    );
  }

  /** A fixpoint: start from every composite type, drop those with no way onward until none is dropped. */
  private endlessTypes(): Set<string> {
    const composite = Object.values(this.schema.getTypeMap()).filter(
      (t) => !t.name.startsWith('__') && (isObjectType(t) || isAbstractType(t)),
    );
    const alive = new Set(composite.map((t) => t.name));
    for (let changed = true; changed; ) {
      changed = false;
      for (const t of composite) {
        if (!alive.has(t.name)) continue;
        const onward = isAbstractType(t)
          ? this.schema.getPossibleTypes(t).some((p) => alive.has(p.name))
          : Object.values((t as GraphQLObjectType).getFields()).some(
              (f) => alive.has(getNamedType(f.type).name) && f.args.every((a) => !isNonNullType(a.type)),
            );
        if (!onward) {
          alive.delete(t.name);
          changed = true;
        }
      }
    }
    for (const name of ['Query', 'Mutation', 'Subscription']) alive.delete(name);
    return alive;
  }

  aliases(): FuzzCase {
    const n = this.limits.maxAliases + this.rng.int(1, 200);
    const body = Array.from({ length: n }, (_, i) => `x${i}: __typename`).join(' ');
    const mutation = this.rng.chance(0.3);
    if (mutation) {
      const f = this.rng.pick(this.mutationFields);
      const b: Build = { variables: {}, definitions: [], fragments: [], counter: 0 };
      const many = Array.from({ length: n }, () => this.fieldSelection(f, 2, b, true)).join(' ');
      return this.gql('aliases', true, [f], this.operation(true, b, many), b.variables);
    }
    return this.gql('aliases', false, [{ name: '__typename' }], `{ ${body} }`, {});
  }

  hugeList(): FuzzCase {
    const r = this.rng;
    const n = r.pick([200, 20_000, 100_000]);
    const variant = r.int(0, 3);
    if (variant === 0) {
      const ids = Array.from({ length: n }, () => r.pick(this.allIds));
      return this.gql(
        'huge-list',
        false,
        [{ name: 'nodes' }],
        'query ($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }',
        { ids },
      );
    }
    if (variant === 1) {
      const list = this.queryFields.filter((f) => f.args.some((a) => a.name === 'first'));
      const f = r.pick(list);
      const size = r.pick([1_000, 1_000_000, 2_147_483_647]);
      const b: Build = { variables: {}, definitions: [], fragments: [], counter: 0 };
      return this.gql('huge-list', false, [f], `{ ${f.name}(first: ${size}) ${this.selectionOf(f.type, 3, b)} }`, {});
    }
    if (variant === 2) {
      return this.gql(
        'huge-list',
        false,
        [{ name: 'publicPosts' }],
        `{ publicPosts(limit: ${r.pick([51, 10_000, 2_147_483_647])}) { __typename } }`,
        {},
      );
    }
    // A batch bigger than the batch limit.
    const batch = Array.from({ length: this.limits.batchLimit + r.int(1, 40) }, () => ({ query: '{ __typename }' }));
    return {
      kind: 'huge-list',
      mutation: false,
      fields: ['batch'],
      request: { method: 'POST', contentType: 'application/json', body: JSON.stringify(batch) },
    };
  }

  hugeNumber(): FuzzCase {
    const r = this.rng;
    const n = r.pick([
      '99999999999999999999',
      '2147483648',
      '-2147483649',
      '1e400',
      '-1e400',
      '9007199254740993',
      '0.1e-400',
      '1.7976931348623157e309',
    ]);
    const f = r.pick(this.queryFields.filter((q) => q.args.some((a) => getNamedType(a.type).name === 'Int')));
    const arg = f.args.find((a) => getNamedType(a.type).name === 'Int') as GraphQLArgument;
    const b: Build = { variables: {}, definitions: [], fragments: [], counter: 0 };
    const sel = this.selectionOf(f.type, 2, b);
    if (r.chance(0.5)) return this.gql('huge-number', false, [f], `{ ${f.name}(${arg.name}: ${n}) ${sel} }`, {});
    // As a variable, raw in the JSON body (JSON.parse reads 1e400 as Infinity).
    const query = `query ($n: Int) { ${f.name}(${arg.name}: $n) ${sel} }`;
    return {
      kind: 'huge-number',
      mutation: false,
      fields: [f.name],
      request: {
        method: 'POST',
        contentType: 'application/json',
        body: `{"query":${JSON.stringify(query)},"variables":{"n":${n}}}`,
      },
    };
  }

  wrongVariable(): FuzzCase {
    const r = this.rng;
    const mutation = r.chance(0.5);
    const candidates = (mutation ? this.mutationFields : this.queryFields).filter((f) => f.args.length > 0);
    const f = r.pick(candidates);
    const b: Build = { variables: {}, definitions: [], fragments: [], counter: 0 };
    const parts = f.args.map((a, i) => {
      b.definitions.push(`$w${i}: ${String(a.type)}`);
      b.variables[`w${i}`] = this.wrongValue(a.type);
      return `${a.name}: $w${i}`;
    });
    const sel = `${f.name}(${parts.join(', ')}) ${this.selectionOf(f.type, 2, b)}`;
    return this.gql('wrong-variable', mutation, [f], this.operation(mutation, b, sel), b.variables);
  }

  /** A value of the wrong shape for the type: null for non-null, strings for numbers, objects for scalars… */
  private wrongValue(type: GraphQLInputType): Json {
    const r = this.rng;
    const named = getNamedType(type);
    const pool: Json[] = [
      null,
      'a string',
      42,
      4.2,
      true,
      [],
      [[1]],
      {},
      { nested: { x: [null] } },
      '\u0000',
      '😀'.repeat(100),
    ];
    if (isInputObjectType(named)) {
      const good = this.valueOf(named, '', 1);
      if (good && typeof good === 'object' && !Array.isArray(good) && r.chance(0.5)) {
        const keys = Object.keys(good);
        if (keys.length && r.chance(0.5)) good[r.pick(keys)] = r.pick(pool);
        else good.__unknownField = 'x';
        return good;
      }
    }
    return r.pick(pool);
  }

  unknownField(): FuzzCase {
    const c = this.valid();
    const body = JSON.parse(c.request.body) as { query: string; variables: Record<string, Json> };
    const bogus = this.rng.pick([
      'bogusField',
      'password',
      'passwordHash',
      'secretHash',
      'totpSecretEncrypted',
      '__schema',
      'privateKey',
    ]);
    const at = body.query.lastIndexOf('__typename');
    body.query = at >= 0 ? `${body.query.slice(0, at)}${bogus} ${body.query.slice(at)}` : `${body.query} { ${bogus} }`;
    return { ...c, kind: 'unknown-field', request: { ...c.request, body: JSON.stringify(body) } };
  }

  syntax(): FuzzCase {
    const r = this.rng;
    const c = this.valid();
    const body = JSON.parse(c.request.body) as { query: string; variables: Record<string, Json> };
    const q = body.query;
    const at = r.int(0, Math.max(0, q.length - 1));
    const junk = r.pick([
      '{',
      '}',
      '(',
      ')',
      '"',
      '\u0000',
      '😀',
      '$',
      '...',
      '#',
      '\\',
      'query',
      ':',
      '@skip',
      '@include(if: $nope)',
      '\ud800',
    ]);
    const variants = [
      `${q.slice(0, at)}${junk}${q.slice(at)}`,
      `${q.slice(0, at)}${q.slice(at + 1)}`,
      q.slice(0, at),
      `${q} ${q}`,
      junk.repeat(r.int(1, 5_000)),
      '',
      '\u0000\u0000\u0000',
      `{ ${'a: '.repeat(r.int(2, 50))}__typename }`,
      `query { __typename } mutation { __typename }`,
      `subscription { trendDetected { id } }`,
      `{ __typename @deprecated }`,
      `{ __typename ${'@skip(if: false) '.repeat(r.int(50, 500))} }`,
    ];
    body.query = r.pick(variants);
    return { ...c, kind: 'syntax', request: { ...c.request, body: JSON.stringify(body) } };
  }

  oversizeString(): FuzzCase {
    const r = this.rng;
    const size = r.pick([50_001, 200_000, 1_000_000, 11 * 1_048_576]);
    const fill = r.pick(['x', '😀', '\u0000', 'é']);
    const text = fill.repeat(Math.ceil(size / fill.length));
    const withString = (r.chance(0.5) ? this.mutationFields : this.queryFields).filter((f) =>
      f.args.some((a) => getNamedType(a.type).name === 'String' || isInputObjectType(getNamedType(a.type))),
    );
    const f = r.pick(withString);
    const b: Build = { variables: {}, definitions: [], fragments: [], counter: 0 };
    const mutation = this.schema.getMutationType()?.getFields()[f.name] === f;
    const parts = f.args
      .filter((a) => isNonNullType(a.type) || getNamedType(a.type).name === 'String')
      .map((a, i) => {
        const value = stuffStrings(
          this.valueOf(a.type, a.name, 0),
          getNamedType(a.type).name === 'String' ? text : text,
        );
        b.definitions.push(`$s${i}: ${String(a.type)}`);
        b.variables[`s${i}`] = getNamedType(a.type).name === 'String' ? text : value;
        return `${a.name}: $s${i}`;
      });
    const sel = `${f.name}${parts.length ? `(${parts.join(', ')})` : ''} ${this.selectionOf(f.type, 2, b)}`;
    return this.gql('oversize-string', mutation, [f], this.operation(mutation, b, sel), b.variables);
  }

  malformedId(): FuzzCase {
    const r = this.rng;
    const withId = [...this.queryFields, ...this.mutationFields].filter((f) =>
      f.args.some((a) => getNamedType(a.type).name === 'ID'),
    );
    const f = r.pick(withId);
    const mutation = this.schema.getMutationType()?.getFields()[f.name] === f;
    const b: Build = { variables: {}, definitions: [], fragments: [], counter: 0 };
    const parts = f.args
      .filter((a) => isNonNullType(a.type) || getNamedType(a.type).name === 'ID')
      .map((a, i) => {
        const value =
          getNamedType(a.type).name === 'ID'
            ? isListType(isNonNullType(a.type) ? a.type.ofType : a.type)
              ? [this.badId()]
              : this.badId()
            : this.valueOf(a.type, a.name, 0);
        b.definitions.push(`$m${i}: ${String(a.type)}`);
        b.variables[`m${i}`] = value;
        return `${a.name}: $m${i}`;
      });
    const sel = `${f.name}(${parts.join(', ')}) ${this.selectionOf(f.type, 2, b)}`;
    return this.gql('malformed-id', mutation, [f], this.operation(mutation, b, sel), b.variables);
  }

  rawHttp(): FuzzCase {
    const r = this.rng;
    const raw = (
      body: string,
      contentType = 'application/json',
      method: 'POST' | 'GET' = 'POST',
      query?: string,
    ): FuzzCase => ({
      kind: 'raw-http',
      mutation: /mutation/.test(body + (query ?? '')),
      fields: ['raw'],
      request: { body, contentType, method, query },
    });
    const variants: (() => FuzzCase)[] = [
      () => raw('{"query": "{ __typename }"'),
      () => raw(''),
      () => raw('null'),
      () => raw('[]'),
      () => raw('"just a string"'),
      () => raw('{"query": 5}'),
      () => raw('{"query": null}'),
      () => raw('{"query": "{ __typename }", "variables": "not an object"}'),
      () => raw('{"query": "{ __typename }", "variables": [1, 2]}'),
      () => raw('{"query": "{ __typename }", "operationName": 7}'),
      () => raw('{"query": "query A { __typename } query B { __typename }"}'),
      () => raw('{"query": "query A { __typename }", "operationName": "Nope"}'),
      () => raw('{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "deadbeef"}}}'),
      () => raw('{"query": "{ __typename }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": 5}}}'),
      () => raw(`${'['.repeat(r.int(1_000, 100_000))}${']'.repeat(r.int(0, 10))}`),
      () => raw(`{"query": "{ __typename }", "variables": ${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`),
      () => raw('\u0000\u0001\u0002'),
      () => raw('{"query": "{ __typename }"}', 'text/plain'),
      () => raw('query=%7B__typename%7D', 'application/x-www-form-urlencoded'),
      () => raw('{"query": "{ __typename }"}', 'application/graphql'),
      () =>
        raw(
          '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"{ __typename }"}\r\n--x--',
          'multipart/form-data; boundary=x',
        ),
      () => raw('', 'application/json', 'GET', `query=${encodeURIComponent('{ __typename }')}`),
      () => raw('', 'application/json', 'GET', `query=${encodeURIComponent('mutation { logout }')}`),
      () => raw('', 'application/json', 'GET', 'query=%E0%A4%A'),
      () => raw('', 'application/json', 'GET', `query=${encodeURIComponent('{ me { id } }')}&variables=%7Bbad`),
      () => raw(JSON.stringify({ query: '{ __typename }', variables: { a: '\u0000'.repeat(1000) } })),
    ];
    return r.pick(variants)();
  }
}

/** A GraphQL literal for a JSON scalar value (object keys unquoted, as the JSON scalars' literal parser expects). */
function jsonLiteral(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(jsonLiteral).join(', ')}]`;
  if (typeof value === 'object')
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k}: ${jsonLiteral(v)}`)
      .join(', ')} }`;
  return JSON.stringify(value);
}

/** Replaces every string inside a JSON value with `text`. */
function stuffStrings(value: Json, text: string): Json {
  if (typeof value === 'string') return text;
  if (Array.isArray(value)) return value.map((v) => stuffStrings(v, text));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stuffStrings(v, text)]));
  return value;
}
