// Reading prisma/migrations/NNNN_name/migration.sql the way Prisma does (name order, sha256 of the file's bytes) and
// classifying each script: transactional, or non-transactional because it builds something CONCURRENTLY.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MigrationError } from './migration-error.js';

export interface MigrationFile {
  /** Folder name, e.g. `0003_v1_1_idx_tasks_execution_time`. */
  readonly name: string;
  /** Path of its migration.sql. */
  readonly path: string;
  readonly script: string;
  /** sha256 hex of the file's bytes, as Prisma records it. */
  readonly checksum: string;
  /** False when the script contains CONCURRENTLY: it then runs outside a transaction. */
  readonly transactional: boolean;
  /** The statements of the script, comments removed. */
  readonly statements: readonly string[];
  /** Why the script cannot be applied as written, if it cannot. */
  readonly problem: string | undefined;
}

/** sha256 hex of a migration script, exactly like Prisma's `render_checksum`. */
export function checksumOf(script: string | Uint8Array): string {
  return createHash('sha256').update(script).digest('hex');
}

/**
 * Like Prisma's `script_matches_checksum`: line endings may differ (git may turn LF into CRLF on checkout), and old
 * Prisma versions stored checksums without zero padding.
 */
export function scriptMatchesChecksum(script: string, checksum: string): boolean {
  const variants = [script, script.replaceAll('\r\n', '\n'), script.replaceAll('\n', '\r\n')];
  return variants.some((variant) => {
    const digest = createHash('sha256').update(variant).digest();
    const rendered =
      checksum.length !== 64 && checksum.length > 0
        ? [...digest].map((byte) => byte.toString(16)).join('')
        : digest.toString('hex');
    return rendered === checksum;
  });
}

interface Statement {
  /** The statement with comments removed. */
  readonly sql: string;
  /** The same with the contents of string literals, quoted identifiers and dollar-quoted bodies blanked out. */
  readonly masked: string;
}

const isWordChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_$]/.test(c);

/**
 * Splits a script into statements the way psql would: `;` ends a statement except inside quotes, dollar quotes,
 * comments, or a `BEGIN ATOMIC … END` function body.
 */
export function splitStatements(script: string): Statement[] {
  const out: Statement[] = [];
  let sql = '';
  let masked = '';
  let atomicDepth = 0;
  let lastWord = '';
  const flush = (): void => {
    if (masked.trim() !== '') out.push({ sql: sql.trim(), masked: masked.trim() });
    sql = '';
    masked = '';
  };
  let i = 0;
  while (i < script.length) {
    const c = script[i] as string;
    const next = script[i + 1];
    if (c === '-' && next === '-') {
      const end = script.indexOf('\n', i);
      i = end === -1 ? script.length : end;
      sql += ' ';
      masked += ' ';
    } else if (c === '/' && next === '*') {
      let depth = 1;
      let j = i + 2;
      while (j < script.length && depth > 0) {
        if (script.startsWith('/*', j)) {
          depth++;
          j += 2;
        } else if (script.startsWith('*/', j)) {
          depth--;
          j += 2;
        } else {
          j++;
        }
      }
      i = j;
      sql += ' ';
      masked += ' ';
    } else if (c === "'" || c === '"') {
      const backslashEscapes = c === "'" && /[Ee]/.test(script[i - 1] ?? '') && !isWordChar(script[i - 2]);
      let j = i + 1;
      while (j < script.length) {
        if (backslashEscapes && script[j] === '\\') j += 2;
        else if (script[j] === c && script[j + 1] === c) j += 2;
        else if (script[j] === c) break;
        else j++;
      }
      sql += script.slice(i, j + 1);
      masked += `${c}${c}`;
      i = j + 1;
    } else if (c === '$' && !isWordChar(script[i - 1]) && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(script.slice(i))) {
      const tag = (/^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(script.slice(i)) as RegExpExecArray)[0];
      const end = script.indexOf(tag, i + tag.length);
      const stop = end === -1 ? script.length : end + tag.length;
      sql += script.slice(i, stop);
      masked += '$$$$';
      i = stop;
    } else if (/[A-Za-z_]/.test(c) && !isWordChar(script[i - 1])) {
      let j = i + 1;
      while (isWordChar(script[j])) j++;
      const word = script.slice(i, j).toUpperCase();
      if (word === 'ATOMIC' && lastWord === 'BEGIN') atomicDepth++;
      else if (atomicDepth > 0 && word === 'CASE') atomicDepth++;
      else if (atomicDepth > 0 && word === 'END') atomicDepth--;
      lastWord = word;
      sql += script.slice(i, j);
      masked += script.slice(i, j);
      i = j;
    } else if (c === ';' && atomicDepth === 0) {
      flush();
      i++;
    } else {
      sql += c;
      masked += c;
      i++;
    }
  }
  flush();
  return out;
}

const TRANSACTION_CONTROL =
  /^(BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION)\b/i;

function classify(name: string, script: string): Pick<MigrationFile, 'transactional' | 'statements' | 'problem'> {
  const statements = splitStatements(script);
  const transactional = !statements.some((s) => /\bCONCURRENTLY\b/i.test(s.masked));
  let problem: string | undefined;
  if (!transactional && statements.length !== 1) {
    problem =
      `${name} uses CONCURRENTLY, so it must run outside a transaction, and PostgreSQL runs a multi-statement ` +
      `script as one implicit transaction: it must contain exactly one statement, and it has ${statements.length}. ` +
      'Move each CONCURRENTLY statement into a migration folder of its own (e.g. 0007_…, 0008_…).';
  }
  const control = statements.find((s) => TRANSACTION_CONTROL.test(s.masked));
  if (control !== undefined) {
    problem =
      `${name} contains the transaction-control statement "${control.sql.split(/\s+/).slice(0, 2).join(' ')}". ` +
      'The migrator wraps every migration in a transaction itself; remove BEGIN/COMMIT/ROLLBACK from the file.';
  }
  return { transactional, statements: statements.map((s) => s.sql), problem };
}

/** Reads every `<dir>/<name>/migration.sql`, in name order. Throws NO_MIGRATIONS or INVALID_MIGRATION. */
export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  let entries: { name: string; isDirectory(): boolean }[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    throw new MigrationError('NO_MIGRATIONS', `The migrations directory ${dir} cannot be read (${String(cause)}).`, {
      cause,
    });
  }
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const migrations: MigrationFile[] = [];
  for (const name of names) {
    const path = join(dir, name, 'migration.sql');
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (cause) {
      throw new MigrationError(
        'INVALID_MIGRATION',
        `The migration folder ${join(dir, name)} has no readable migration.sql. Add the file, or remove the folder.`,
        { migration: name, cause },
      );
    }
    const script = bytes.toString('utf8');
    migrations.push({ name, path, script, checksum: checksumOf(bytes), ...classify(name, script) });
  }
  if (migrations.length === 0) {
    throw new MigrationError(
      'NO_MIGRATIONS',
      `No migrations found in ${dir} (expected ${dir}/NNNN_name/migration.sql).`,
    );
  }
  return migrations;
}

/** For a failed `CREATE [UNIQUE] INDEX CONCURRENTLY name …`: the index it may have left behind, INVALID. */
export function concurrentIndexName(migration: MigrationFile): string | undefined {
  const match =
    /^CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|[\w$.]+)/i.exec(
      migration.statements[0] ?? '',
    );
  return match?.[1];
}
