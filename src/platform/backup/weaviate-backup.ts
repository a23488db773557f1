// Weaviate backups through its backup module's REST API (VECTOR_STORE=weaviate): POST /v1/backups/{backend} starts a
// backup of Chimera's classes, GET /v1/backups/{backend}/{id} reports it, POST …/{id}/restore and GET …/{id}/restore
// restore it. The data stays where the module keeps it (the backup-s3, backup-gcs, backup-azure or
// backup-filesystem module configured on the Weaviate server, WEAVIATE_BACKUP_BACKEND); Chimera's manifest records the
// backup's id, backend and classes. Weaviate refuses to restore over an existing class, so a restore deletes Chimera's
// classes first.
import { COLLECTIONS } from '../vector/vector-store.js';
import { BackupAdapterError, messageOf } from './backup-error.js';

export interface WeaviateBackupOptions {
  /** http(s)://host:port of Weaviate's REST endpoint. */
  url: string;
  apiKey?: string | undefined;
  /** The backup module without its `backup-` prefix: s3, gcs, azure, filesystem. */
  backend: string;
  /** Class names (default: the spec's three collections). */
  classes?: readonly string[];
  /** Between status polls (default 1 s). */
  pollMs?: number;
  /** Longest wait for a backup or restore (default 4 hours, the spec's RTO). */
  timeoutMs?: number;
}

export interface WeaviateBackupRef {
  backend: string;
  backupId: string;
  classes: string[];
  path?: string | undefined;
}

type Json = Record<string, unknown>;

const DONE = 'SUCCESS';
const FAILED = new Set(['FAILED', 'CANCELED', 'CANCELLED']);

/** Weaviate's ids are lower-case letters, digits, '_' and '-'. */
export const weaviateBackupId = (backupId: string) => `chimera-${backupId.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`;

export function createWeaviateBackups(options: WeaviateBackupOptions) {
  const base = options.url.replace(/\/+$/, '');
  const classes = [...(options.classes ?? COLLECTIONS)];
  const pollMs = options.pollMs ?? 1_000;
  const timeoutMs = options.timeoutMs ?? 4 * 3_600_000;
  const backend = encodeURIComponent(options.backend);

  async function call(method: string, path: string, body?: Json, okStatuses = [200]): Promise<Json> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new BackupAdapterError(
        'BACKUP_TARGET_UNAVAILABLE',
        `Weaviate at ${base} cannot be reached: ${messageOf((err as { cause?: unknown }).cause ?? err)}`,
        { cause: err },
      );
    }
    const text = await res.text();
    let json: Json = {};
    try {
      json = text ? (JSON.parse(text) as Json) : {};
    } catch {
      json = { raw: text.slice(0, 300) };
    }
    if (!okStatuses.includes(res.status)) {
      const errors = Array.isArray(json.error) ? (json.error as { message?: string }[]) : [];
      const detail = errors.map((e) => e.message).join('; ') || String(json.raw ?? json.message ?? '');
      const code = res.status === 401 || res.status === 403 ? 'BACKUP_TARGET_REJECTED' : 'BACKUP_REMOTE_FAILED';
      throw new BackupAdapterError(
        code,
        `Weaviate ${method} ${path} answered ${res.status}: ${detail || res.statusText}`,
      );
    }
    return json;
  }

  async function existing(): Promise<string[]> {
    const schema = await call('GET', '/v1/schema');
    const names = new Set(((schema.classes as { class: string }[] | undefined) ?? []).map((c) => c.class));
    return classes.filter((c) => names.has(c));
  }

  async function waitFor(path: string, what: string): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await call('GET', path);
      const s = String(status.status ?? '').toUpperCase();
      if (s === DONE) return status;
      if (FAILED.has(s)) {
        throw new BackupAdapterError(
          'BACKUP_REMOTE_FAILED',
          `Weaviate ${what} ended ${s}: ${String(status.error ?? 'no reason given')}`,
        );
      }
      if (Date.now() > deadline) {
        throw new BackupAdapterError(
          'BACKUP_REMOTE_FAILED',
          `Weaviate ${what} did not finish in ${timeoutMs} ms (last status ${s}).`,
        );
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  return {
    kind: 'weaviate' as const,

    /** Backs up Chimera's classes that exist, and waits until Weaviate reports SUCCESS. */
    async create(backupId: string): Promise<WeaviateBackupRef> {
      const id = weaviateBackupId(backupId);
      const include = await existing();
      if (include.length === 0) return { backend: options.backend, backupId: id, classes: [] };
      const started = await call('POST', `/v1/backups/${backend}`, { id, include });
      const done = await waitFor(`/v1/backups/${backend}/${encodeURIComponent(id)}`, `backup ${id}`);
      return {
        backend: options.backend,
        backupId: id,
        classes: include,
        path: String(done.path ?? started.path ?? ''),
      };
    },

    /** Deletes the backup's classes where they exist, restores them, and waits for SUCCESS. */
    async restore(ref: WeaviateBackupRef): Promise<void> {
      if (ref.classes.length === 0) {
        for (const c of await existing()) await call('DELETE', `/v1/schema/${encodeURIComponent(c)}`);
        return;
      }
      const present = new Set(await existing());
      for (const c of ref.classes) if (present.has(c)) await call('DELETE', `/v1/schema/${encodeURIComponent(c)}`);
      const id = encodeURIComponent(ref.backupId);
      await call('POST', `/v1/backups/${encodeURIComponent(ref.backend)}/${id}/restore`, { include: ref.classes });
      await waitFor(`/v1/backups/${encodeURIComponent(ref.backend)}/${id}/restore`, `restore of ${ref.backupId}`);
    },

    /** Objects per class (Aggregate meta count); classes that do not exist count 0. */
    async counts(): Promise<Record<string, number>> {
      const present = await existing();
      const out: Record<string, number> = Object.fromEntries(classes.map((c) => [c, 0]));
      if (present.length === 0) return out;
      const query = `{ Aggregate { ${present.map((c) => `${c} { meta { count } }`).join(' ')} } }`;
      const res = await call('POST', '/v1/graphql', { query });
      const errors = res.errors as { message?: string }[] | undefined;
      if (errors?.length) {
        throw new BackupAdapterError(
          'BACKUP_REMOTE_FAILED',
          `Weaviate Aggregate failed: ${errors.map((e) => e.message).join('; ')}`,
        );
      }
      const agg = ((res.data as Json | undefined)?.Aggregate ?? {}) as Record<string, { meta?: { count?: number } }[]>;
      for (const c of present) out[c] = Number(agg[c]?.[0]?.meta?.count ?? 0);
      return out;
    },
  };
}

export type WeaviateBackups = ReturnType<typeof createWeaviateBackups>;
