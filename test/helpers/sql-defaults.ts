// Column defaults as PostgreSQL prints them (pg_get_expr), reduced to one spelling per value, so that the default
// schema.prisma describes and the one the database has compare equal exactly when they are the same value.

/** `(…)` around the whole expression, not `(a) + (b)`. */
function wrappedInParentheses(e: string): boolean {
  if (!e.startsWith('(') || !e.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < e.length; i++) {
    if (e[i] === '(') depth++;
    else if (e[i] === ')') depth--;
    if (depth === 0 && i < e.length - 1) return false;
  }
  return true;
}

/** `'it''s'` → `it's`, as a SQL string literal is quoted. */
export const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** One element of a PostgreSQL array literal, quoted as array_out prints it: `{usb,"hybrid transport",t}`. */
function arrayElement(value: unknown): string {
  if (typeof value === 'boolean') return value ? 't' : 'f';
  const text = String(value);
  return text === '' || /^null$/i.test(text) || /[{}",\\\s]/.test(text) ? `"${text.replace(/[\\"]/g, '\\$&')}"` : text;
}

/** An array default as PostgreSQL prints a literal one: `'{a,b}'`. */
export const arrayLiteral = (values: unknown[]): string => sqlString(`{${values.map(arrayElement).join(',')}}`);

/** The top-level comma-separated items of `a, 'b,c'::text, f(x, y)`. */
function splitItems(list: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const ch = list[i];
    if (ch === "'") quoted = !quoted;
    else if (quoted) continue;
    else if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === ',' && depth === 0) {
      items.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = list.slice(start).trim();
  return last === '' && items.length === 0 ? [] : [...items, last];
}

/**
 * `ARRAY['a'::text, 'b'::text]` (how Prisma Migrate writes list defaults) → `'{a,b}'`, the spelling of the same
 * constant written as an array literal; anything but string, number and boolean constants stays as it is.
 */
function arrayConstructorAsLiteral(e: string): string {
  const match = /^ARRAY\[(.*)\]$/is.exec(e);
  if (match === null) return e;
  const values: unknown[] = [];
  for (const item of splitItems(match[1] ?? '')) {
    if (/^\(*ARRAY\[/i.test(item)) return e; // a multidimensional array: left to the exact comparison
    const constant = normalizeDefault(item) ?? '';
    if (/^'([^']|'')*'$/.test(constant)) values.push(constant.slice(1, -1).replaceAll("''", "'"));
    else if (/^-?\d+(\.\d+)?$/.test(constant)) values.push(constant);
    else if (/^(true|false)$/i.test(constant)) values.push(constant.toLowerCase() === 'true');
    else return e;
  }
  return arrayLiteral(values);
}

/**
 * Removes trailing casts (`'x'::character varying` → `'x'`), unquotes numbers, `CURRENT_TIMESTAMP` → `now()`,
 * `ARRAY[…]` of constants → `'{…}'`.
 */
export function normalizeDefault(expression: string | null): string | null {
  if (expression === null) return null;
  let e = expression.trim();
  for (let previous = ''; previous !== e; ) {
    previous = e;
    e = e.replace(/::[a-z_ ]+(\(\d+(,\s*\d+)?\))?(\[\])?$/i, '').trim();
    if (wrappedInParentheses(e)) e = e.slice(1, -1).trim();
  }
  if (/^'-?\d+(\.\d+)?'$/.test(e)) e = e.slice(1, -1);
  if (/^current_timestamp$/i.test(e)) e = 'now()';
  if (/^nextval\(/i.test(e)) e = 'autoincrement()';
  return arrayConstructorAsLiteral(e);
}
