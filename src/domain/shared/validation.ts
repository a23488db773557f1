// Input validation shared by every domain: zod schemas in, ValidationError (with field paths) out.
import { z } from 'zod';
import { type FieldIssue, ValidationError } from './errors.js';

/** The spec's resource limit `content.max_text_length`. */
export const MAX_TEXT_LENGTH = 50_000;
/** Largest accepted free-form JSON document (metadata, details), serialized. */
export const MAX_JSON_BYTES = 64 * 1024;

/** A score in [0, 1], stored as DECIMAL(3,2): rounded half-up to two decimals. */
export const score = z
  .number()
  .refine(Number.isFinite, 'must be a finite number')
  .refine((n) => n >= 0 && n <= 1, 'must be between 0 and 1')
  .transform((n) => Math.round(n * 100) / 100);

export const nonBlank = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

export const longText = z.string().max(MAX_TEXT_LENGTH, `must be at most ${MAX_TEXT_LENGTH} characters`);

export const jsonObject = z
  .record(z.string(), z.unknown())
  .refine(
    (v) => Buffer.byteLength(JSON.stringify(v)) <= MAX_JSON_BYTES,
    `must be at most ${MAX_JSON_BYTES} bytes as JSON`,
  );

export const uuid = z.uuid('must be a UUID');

/** An MCP (or any scheme) resource URI, e.g. mcp://news/latest. */
const resourceUri = z
  .string()
  .max(2048)
  .regex(/^[a-z][a-z0-9+.-]*:\/\/\S+$/i, 'must be a resource URI such as mcp://news/latest');

/** The spec's task context lists (Agent Task Schema), shared by tasks and goals. */
export const goalContextFields = {
  goalDescription: nonBlank(MAX_TEXT_LENGTH),
  personaConstraints: withDefault(z.array(nonBlank(1000)).max(50), []),
  requiredResources: withDefault(z.array(resourceUri).max(50), []),
};

/** Null and absent both mean "use the default" (GraphQL clients send null for fields they leave empty). */
export function withDefault<S extends z.ZodType>(schema: S, fallback: z.output<S>) {
  return schema.nullish().transform((v): z.output<S> => v ?? fallback);
}

/** Parses input with a schema or throws a ValidationError naming every offending field. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  root: (string | number)[] = ['input'],
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.map((i) => ({
    path: [...root, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: i.message,
  }));
  const summary = issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new ValidationError(`Invalid input — ${summary}`, issues);
}
