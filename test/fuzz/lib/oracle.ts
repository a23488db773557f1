// What the GraphQL fuzzer checks about each response: the HTTP status is never 5xx, every error carries a string
// extensions.code, a rejected request changed no table (a checksum of every table but those a read legitimately
// writes), and no object the caller's role may not read appears in the data — decided by the permission matrix the
// matrix test runs (test/auth/matrix.ts, OBJECT_TYPES), not by a second copy of the rules.
import { Kind, type OperationDefinitionNode, parse } from 'graphql';
import pg from 'pg';
import { type Cell, OBJECT_TYPES, type PrincipalKind } from '../../auth/matrix.js';

/**
 * Tables a request may write even when it is refused or only reads, and why:
 *   security_audit_logs  every refusal (shield denial, rejected token, failed login) is recorded (permissions.ts denied)
 *   security_alerts      a refusal of restricted data or an administration field raises an alert (permissions.ts)
 *   sessions             authenticate() touches sessions.last_seen_at on use (auth.service.ts)
 *   api_keys             authenticate() touches api_keys.last_used_at on use (auth.service.ts)
 *   schema_migrations / _prisma_migrations   bookkeeping, never written by the API
 */
export const WRITTEN_BY_READS: ReadonlySet<string> = new Set([
  'security_audit_logs',
  'security_alerts',
  'sessions',
  'api_keys',
  'schema_migrations',
  '_prisma_migrations',
]);

export interface Checksums {
  /** Table → md5 of its rows (text form, sorted). */
  tables: Record<string, string>;
}

/** A checksum of every public table except WRITTEN_BY_READS, in one statement. */
export async function openChecksummer(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  // The database is dropped with the app; a connection still open then must not crash the run.
  client.on('error', () => {});
  await client.connect();
  const { rows } = await client.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const tables = rows.map((r) => r.table_name).filter((t) => !WRITTEN_BY_READS.has(t));
  const sql = `SELECT ${tables
    .map((t) => `(SELECT md5(coalesce(string_agg(x::text, '' ORDER BY x::text), '')) FROM "${t}" x) AS "${t}"`)
    .join(', ')}`;
  return {
    tables,
    async take(): Promise<Checksums> {
      const res = await client.query<Record<string, string>>(sql);
      return { tables: res.rows[0] ?? {} };
    },
    close: () => client.end(),
  };
}

export function changedTables(before: Checksums, after: Checksums): string[] {
  return Object.keys(after.tables).filter((t) => before.tables[t] !== after.tables[t]);
}

// ─── Responses ──────────────────────────────────────────────────────────────────────────────────────────────

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: unknown[];
}

/** Problems with a response's errors: each must be an object with a message and a string extensions.code. */
export function errorProblems(body: GraphQLBody): string[] {
  const problems: string[] = [];
  if (body.errors !== undefined && !Array.isArray(body.errors)) return ['"errors" is not a list'];
  for (const e of body.errors ?? []) {
    const err = e as { message?: unknown; extensions?: { code?: unknown } };
    if (typeof err?.message !== 'string') problems.push(`an error without a message: ${short(e)}`);
    if (typeof err?.extensions?.code !== 'string')
      problems.push(`an error without a string extensions.code: ${short(e)}`);
  }
  return problems;
}

/**
 * A request the API refused as a whole: an error for the request itself (no path: parse, validation, limits,
 * authentication), or an error at every root field. Not merely `data: null`: mutation payloads are non-null, so when
 * one root field of a multi-field mutation fails, GraphQL nulls `data` although the fields before it ran (and
 * committed) — that document was not rejected, it partly succeeded. Likewise an error inside a root field's payload
 * (an invalid argument of a sub-field) comes after the field itself ran.
 */
export function isRejected(body: GraphQLBody, rootKeys: readonly string[] | null): boolean {
  const errors = (body.errors ?? []) as { path?: unknown[] }[];
  if (!errors.length) return false;
  if (errors.some((e) => !Array.isArray(e.path) || e.path.length === 0)) return true;
  if (rootKeys === null) return body.data == null;
  // Only an error at the root field itself: one deeper in its payload means the field ran (and, for a mutation,
  // committed) before its selection failed.
  const failed = new Set(errors.filter((e) => e.path?.length === 1).map((e) => e.path?.[0]));
  return rootKeys.every((k) => failed.has(k));
}

/** The response keys (alias or name) of the operation's root fields, or null when the document does not parse. */
export function rootKeysOf(requestBody: string): string[] | null {
  try {
    const { query, operationName } = JSON.parse(requestBody) as { query?: unknown; operationName?: unknown };
    if (typeof query !== 'string') return null;
    const ops = parse(query).definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    const op = typeof operationName === 'string' ? ops.find((o) => o.name?.value === operationName) : ops[0];
    if (!op) return null;
    return op.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.alias?.value ?? s.name.value] : []));
  } catch {
    return null;
  }
}

// ─── Leaks ──────────────────────────────────────────────────────────────────────────────────────────────────

/** What a caller may reach under the matrix's conditional cells (the fixtures the conditions name). */
export interface Scope {
  /** Global ids of the agents assigned to the scoped callers (agent A). */
  agents: ReadonlySet<string>;
  /** Global ids of the personas reachable by them (agent A's persona). */
  personas: ReadonlySet<string>;
  /** Global ids of objects that belong to an agent the scoped callers are not assigned to (agent B's rows). */
  otherAgentsRows: ReadonlySet<string>;
  /** Global ids of sensitive content (only for moderators). */
  sensitiveContent: ReadonlySet<string>;
}

const CELLS = new Map<string, Record<PrincipalKind, Cell>>(OBJECT_TYPES.map((row) => [row.type, row.cells]));

/**
 * Objects in `data` the caller may not see. Each object that names its type (__typename; the generator selects it
 * everywhere) is judged by its type's cell for the caller's kind: 'deny' — no field but __typename may carry a value;
 * a condition on the caller's agents — no row of another agent, no unassigned agent or persona; on content
 * sensitivity — no sensitive content.
 */
export function leaks(data: unknown, kind: PrincipalKind, scope: Scope): string[] {
  const found: string[] = [];
  const walk = (value: unknown, path: string) => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        walk(v, `${path}[${i}]`);
      });
      return;
    }
    if (!value || typeof value !== 'object') return;
    const obj = value as Record<string, unknown>;
    const type = typeof obj.__typename === 'string' ? obj.__typename : null;
    const cell = type ? CELLS.get(type)?.[kind] : undefined;
    if (type && cell !== undefined && cell !== 'allow') {
      const id = typeof obj.id === 'string' ? obj.id : null;
      const shown = Object.keys(obj).filter((k) => k !== '__typename' && obj[k] !== null);
      if (cell === 'deny') {
        if (shown.length) found.push(`${kind} read ${type} (${shown.join(', ')}) at ${path}, which the matrix denies`);
      } else if (id !== null) {
        const when = cell.when;
        if (when.startsWith('own agents') || when === 'personas of own agents or attributes.personaIds') {
          if (scope.otherAgentsRows.has(id)) found.push(`${kind} read ${type} ${id} of an unassigned agent at ${path}`);
          if (type === 'Agent' && !scope.agents.has(id)) found.push(`${kind} read unassigned Agent ${id} at ${path}`);
          if (type === 'Persona' && !scope.personas.has(id))
            found.push(`${kind} read unreachable Persona ${id} at ${path}`);
        }
        if (when.includes('safe content only') && scope.sensitiveContent.has(id)) {
          found.push(`${kind} read sensitive Content ${id} at ${path}`);
        }
      }
    }
    for (const [k, v] of Object.entries(obj)) walk(v, `${path}.${k}`);
  };
  walk(data, 'data');
  return found;
}

/** How many objects of a matrix type (Node types) the data holds: what the leak check had to judge. */
export function typedObjects(data: unknown): number {
  if (Array.isArray(data)) return data.reduce((n: number, v) => n + typedObjects(v), 0);
  if (!data || typeof data !== 'object') return 0;
  const obj = data as Record<string, unknown>;
  const own = typeof obj.__typename === 'string' && CELLS.has(obj.__typename) ? 1 : 0;
  return Object.values(obj).reduce((n: number, v) => n + typedObjects(v), own);
}

export function short(value: unknown, max = 300): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return s === undefined ? String(value) : s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
}
