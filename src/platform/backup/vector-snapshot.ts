// Snapshots of the embedded vector store (LanceDB files under VECTOR_STORE_DIR) as a tar archive, taken while the
// store is in use. LanceDB never changes a file once written: a commit writes new data, deletion and index files,
// then publishes a new manifest (`<table>.lance/_versions/<n>.manifest`) atomically; a version is readable once its
// manifest exists. So a consistent copy is: pick the manifests that exist *now*, then copy every other file, then
// exactly those manifests. Each picked version's files were written before its manifest, so they are in the copy;
// files of later commits may come along unreferenced (harmless); later manifests do not. The meta table (which
// table holds each collection) is picked first, so every table it names exists when the tables are listed.
// Skipped: object_store's in-flight staging files (`…#n`) and `latest_version_hint.json` (a mutable hint LanceDB
// does without). Optimize's cleanup may delete old files during a copy: that attempt fails and is started over.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { openLanceDbMaintenance, openLanceDbStore } from '../vector/lancedb.js';
import { META_TABLE } from '../vector/lancedb-rows.js';
import { COLLECTIONS, type CollectionName } from '../vector/vector-store.js';
import { BackupAdapterError, messageOf, systemCodeOf } from './backup-error.js';
import { type TarEntry, tarStream, untar } from './ustar.js';

export type CollectionCounts = Record<CollectionName, number>;

const isManifest = (name: string) => name.endsWith('.manifest');
const skipped = (name: string) => name.includes('#') || name === 'latest_version_hint.json' || name.startsWith('.tmp');

/** A file vanished under the copy: the attempt is started over. */
class Vanished extends Error {}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function listManifests(tableDir: string): Promise<string[]> {
  try {
    return (await readdir(join(tableDir, '_versions'))).filter(isManifest).sort();
  } catch (err) {
    if (systemCodeOf(err) === 'ENOENT') return [];
    throw err;
  }
}

/** Every file under `dir` except manifests and skipped files, as archive entries under `base`. */
async function* filesUnder(dir: string, base: string): AsyncGenerator<TarEntry> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    if (systemCodeOf(err) === 'ENOENT') throw new Vanished(dir);
    throw err;
  }
  for (const name of names) {
    if (skipped(name)) continue;
    const path = join(dir, name);
    const rel = `${base}/${name}`;
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (err) {
      if (systemCodeOf(err) === 'ENOENT') throw new Vanished(path);
      throw err;
    }
    if (info.isDirectory()) {
      yield { path: rel };
      yield* filesUnder(path, rel);
    } else if (!(base.endsWith('/_versions') && isManifest(name))) {
      yield { path: rel, file: path };
    }
  }
}

/** The archive's entries for one consistent copy of `dir`. */
async function* entriesOf(dir: string): AsyncGenerator<TarEntry> {
  const meta = `${META_TABLE}.lance`;
  const picked = new Map<string, string[]>();
  picked.set(meta, await listManifests(join(dir, meta)));
  const tables = (await readdir(dir)).filter((n) => !skipped(n)).sort();
  for (const t of tables) if (t !== meta) picked.set(t, await listManifests(join(dir, t)));
  for (const name of tables) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => null);
    // A table dropped since the listing (a re-index replaced it): the picked meta version may still name it.
    if (!info) throw new Vanished(path);
    if (!info.isDirectory()) {
      yield { path: name, file: path };
      continue;
    }
    yield { path: name };
    yield* filesUnder(path, name);
    for (const m of picked.get(name) ?? []) yield { path: `${name}/_versions/${m}`, file: join(path, '_versions', m) };
  }
}

async function* guarded(entries: AsyncIterable<TarEntry>): AsyncGenerator<Buffer> {
  try {
    yield* tarStream(entries);
  } catch (err) {
    if (systemCodeOf(err) === 'ENOENT' || /changed size/.test(messageOf(err))) throw new Vanished(messageOf(err));
    throw err;
  }
}

export interface LanceSnapshotOptions {
  dir: string;
  /** Copies attempted when files keep vanishing under them (default 5). */
  attempts?: number;
}

export function createLanceSnapshots(options: LanceSnapshotOptions) {
  const dir = resolve(options.dir);
  const attempts = options.attempts ?? 5;

  async function counts(at: string): Promise<CollectionCounts> {
    const store = await openLanceDbMaintenance({ dir: at });
    try {
      const out = {} as CollectionCounts;
      for (const c of COLLECTIONS) out[c] = await store.count(c);
      return out;
    } finally {
      await store.close();
    }
  }

  return {
    kind: 'lancedb' as const,
    dir,

    /**
     * Streams a consistent archive of the store into `sink`. When files vanish during a copy the sink is called
     * again: each call must start its output over.
     */
    async snapshot(sink: (data: Readable) => Promise<void>): Promise<void> {
      for (let attempt = 1; ; attempt++) {
        const present = await exists(dir);
        const entries = present ? entriesOf(dir) : (async function* () {})();
        try {
          await sink(Readable.from(guarded(entries)));
          return;
        } catch (err) {
          if (!(err instanceof Vanished)) throw err;
          if (attempt >= attempts) {
            throw new BackupAdapterError(
              'BACKUP_UNSTABLE_SOURCE',
              `The vector store in ${dir} kept changing under the snapshot (${attempts} attempts): ${err.message}`,
            );
          }
        }
      }
    },

    /** Unpacks an archive into a scratch directory and counts its collections (proving the copy opens). */
    async inspect(source: Readable, scratchParent: string): Promise<CollectionCounts> {
      const scratch = join(scratchParent, `vectors-check-${randomBytes(4).toString('hex')}`);
      await mkdir(scratch, { recursive: true });
      try {
        await untar(source, scratch);
        return await counts(scratch);
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    },

    /**
     * Replaces the store with the archive read from `source`: unpacked beside it, then swapped in by renames (the
     * previous directory is removed). Stop the processes that use the store first.
     */
    async restore(source: Readable): Promise<{ files: number }> {
      const tag = randomBytes(4).toString('hex');
      const incoming = `${dir}.restore-${tag}`;
      const previous = `${dir}.old-${tag}`;
      await mkdir(incoming, { recursive: true });
      let files: number;
      try {
        ({ files } = await untar(source, incoming));
      } catch (err) {
        await rm(incoming, { recursive: true, force: true });
        throw err;
      }
      await mkdir(dirname(dir), { recursive: true });
      const had = await exists(dir);
      if (had) await rename(dir, previous);
      try {
        await rename(incoming, dir);
      } catch (err) {
        if (had) await rename(previous, dir).catch(() => undefined);
        await rm(incoming, { recursive: true, force: true });
        throw err;
      }
      if (had) await rm(previous, { recursive: true, force: true });
      return { files };
    },

    /** Rows per collection in the store now. */
    counts: () => counts(dir),

    /** Builds the indexes and compacts (the rebuild_indexes step); a store of mixed models is left as it is. */
    async optimize(): Promise<string[]> {
      const maintenance = await openLanceDbMaintenance({ dir });
      const models = Object.values(await maintenance.models()).filter((m) => m !== null);
      await maintenance.close();
      const first = models[0];
      if (!first) return ['nothing to index (no collections)'];
      if (
        models.some((m) => m.model !== first.model || m.dimension !== first.dimension || m.provider !== first.provider)
      ) {
        return ['skipped: the collections hold vectors of different models (run the re-index command)'];
      }
      const store = await openLanceDbStore({ dir, model: first });
      try {
        const report = await store.optimize();
        return Object.entries(report.collections).flatMap(([c, r]) => r.actions.map((a) => `${c}: ${a}`));
      } finally {
        await store.close();
      }
    },
  };
}

export type LanceSnapshots = ReturnType<typeof createLanceSnapshots>;
