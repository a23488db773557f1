// The manifest of a backup (`<id>/manifest.json`): what it holds, how to check it, how to restore it. Written last,
// so a backup without one is incomplete. With encryption, the manifest is signed (HMAC under a key derived from
// BACKUP_ENCRYPTION_KEY) over everything but its `pruned` list, which pruning appends to.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { OperationsError } from './backup-errors.js';

export const MANIFEST_FORMAT = 'chimera-backup/1';
export const PART_KINDS = ['postgres', 'redis', 'vectors'] as const;
export type PartKind = (typeof PART_KINDS)[number];
/** The stored parts: the three kinds, and the full-server Redis RDB file (`--rdb`, never restored automatically). */
export type PartName = PartKind | 'redis_rdb';

/** Ids sort as they were made: 20260314T093012Z-a1b2c3. */
export const BACKUP_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

export function newBackupId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

const fileSchema = z.object({
  file: z.string().regex(/^[a-z_]+\.[a-z.]+$/),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  plain_bytes: z.number().int().min(0),
});
const tableSchema = z.object({ rows: z.number().int().min(0), checksum: z.string() });
const migrationSchema = z.object({ name: z.string(), checksum: z.string() });

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  id: z.string().regex(BACKUP_ID),
  created_at: z.iso.datetime(),
  chimera_version: z.string(),
  migrations: z.array(migrationSchema),
  encryption: z.object({ algorithm: z.literal('AES-256-GCM-STREAM'), key_id: z.string() }).nullable(),
  parts: z.object({
    postgres: fileSchema.extend({ database: z.string(), server_version: z.string() }).optional(),
    redis: fileSchema.extend({ key_prefix: z.string(), keys: z.number().int().min(0) }).optional(),
    redis_rdb: fileSchema.optional(),
    vectors: z
      .discriminatedUnion('store', [
        fileSchema.extend({ store: z.literal('lancedb') }),
        z.object({
          store: z.literal('weaviate'),
          backend: z.string(),
          backup_id: z.string(),
          classes: z.array(z.string()),
          path: z.string().optional(),
        }),
      ])
      .optional(),
  }),
  integrity: z.object({
    postgres: z.object({ tables: z.record(z.string(), tableSchema) }).optional(),
    redis: z.object({ keys: z.number().int().min(0) }).optional(),
    vectors: z
      .object({
        collections: z.record(z.string(), z.number().int().min(0)),
        /** True when the counts are of the snapshot itself (LanceDB); Weaviate's are taken beside the backup. */
        exact: z.boolean(),
      })
      .optional(),
  }),
  pruned: z
    .array(z.object({ part: z.enum(['postgres', 'redis', 'redis_rdb', 'vectors']), at: z.iso.datetime() }))
    .optional(),
  mac: z.string().optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type PartFile = z.infer<typeof fileSchema>;

export const manifestKey = (id: string) => `${id}/manifest.json`;

/** JSON with sorted keys: the text a signature covers. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What the signature covers: everything but the signature and the pruning notes. */
export function signedText(manifest: Manifest): string {
  const { mac: _mac, pruned: _pruned, ...rest } = manifest;
  return canonicalJson(rest);
}

export function parseManifest(data: Buffer | string, id: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(data.toString());
  } catch (err) {
    throw new OperationsError(
      'BACKUP_BAD_MANIFEST',
      `The manifest of backup ${id} is not JSON: ${(err as Error).message}`,
    );
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new OperationsError('BACKUP_BAD_MANIFEST', `The manifest of backup ${id} is not valid: ${issues}`);
  }
  if (parsed.data.id !== id) {
    throw new OperationsError(
      'BACKUP_BAD_MANIFEST',
      `The manifest stored as backup ${id} names backup ${parsed.data.id}.`,
    );
  }
  return parsed.data;
}

/** The parts a backup still holds (not pruned). */
export function liveParts(manifest: Manifest): PartName[] {
  const pruned = new Set((manifest.pruned ?? []).map((p) => p.part));
  return (Object.keys(manifest.parts) as PartName[]).filter((p) => manifest.parts[p] && !pruned.has(p));
}

/** The stored file of a part, when it has one (a Weaviate part lives in Weaviate's backup module). */
export function fileOf(manifest: Manifest, part: PartName): PartFile | undefined {
  const p = manifest.parts[part];
  if (!p || ('store' in p && p.store === 'weaviate')) return undefined;
  return p as PartFile;
}

/** Parses `--only postgres,redis` (undefined: all). */
export function parseSelection(only: string | undefined): PartKind[] {
  if (only === undefined || only.trim() === '') return [...PART_KINDS];
  const names = only
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const aliases: Record<string, PartKind> = {
    postgres: 'postgres',
    postgresql: 'postgres',
    pg: 'postgres',
    redis: 'redis',
    vectors: 'vectors',
    vector: 'vectors',
    weaviate: 'vectors',
    lancedb: 'vectors',
  };
  const out = new Set<PartKind>();
  for (const n of names) {
    const kind = aliases[n];
    if (!kind) {
      throw new OperationsError(
        'BACKUP_BAD_SELECTION',
        `--only takes postgres, redis and vectors; not ${JSON.stringify(n)}.`,
      );
    }
    out.add(kind);
  }
  return PART_KINDS.filter((k) => out.has(k));
}
