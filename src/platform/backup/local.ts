// The local-directory backup target (BACKUP_TARGET=local, BACKUP_DIR). Files are written beside their final name
// and renamed into place, so a crash never leaves half a file under a backup's name. The staging area of backups in
// progress (`.staging/`) lives in the same directory and is not listed.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { BackupAdapterError, messageOf, systemCodeOf } from './backup-error.js';
import { type BackupStore, checkKey, type StoredObject } from './target.js';

export const STAGING_DIR = '.staging';

export function createLocalStore(dir: string): BackupStore {
  const root = resolve(dir);
  const pathOf = (key: string) => join(root, ...checkKey(key).split('/'));
  const fail = (what: string, err: unknown): never => {
    throw new BackupAdapterError('BACKUP_TARGET_UNAVAILABLE', `${what} in ${root} failed: ${messageOf(err)}`, {
      cause: err,
    });
  };
  const missing = (key: string) =>
    new BackupAdapterError('BACKUP_OBJECT_NOT_FOUND', `There is no ${key} in the backup directory ${root}.`);

  async function place(key: string, write: (tmp: string) => Promise<void>) {
    const target = pathOf(key);
    const tmp = `${target}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await mkdir(dirname(target), { recursive: true });
      await write(tmp);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      fail(`Writing ${key}`, err);
    }
  }

  async function walk(dirPath: string, out: StoredObject[]) {
    let names: string[];
    try {
      names = await readdir(dirPath);
    } catch (err) {
      if (systemCodeOf(err) === 'ENOENT') return;
      throw err;
    }
    for (const name of names.sort()) {
      if (dirPath === root && name === STAGING_DIR) continue;
      if (/\.tmp-[0-9a-f]{8}$/.test(name)) continue;
      const path = join(dirPath, name);
      const info = await stat(path).catch(() => null);
      if (!info) continue;
      if (info.isDirectory()) await walk(path, out);
      else out.push({ key: relative(root, path).split(sep).join('/'), size: info.size, modified: info.mtime });
    }
  }

  return {
    description: `directory ${root}`,
    putFile: (key, file) => place(key, (tmp) => copyFile(file, tmp)),
    putData: (key, data) => place(key, (tmp) => writeFile(tmp, data)),
    async getFile(key, file) {
      try {
        await copyFile(pathOf(key), file);
      } catch (err) {
        if (systemCodeOf(err) === 'ENOENT') throw missing(key);
        fail(`Reading ${key}`, err);
      }
    },
    async getData(key) {
      try {
        return await readFile(pathOf(key));
      } catch (err) {
        if (systemCodeOf(err) === 'ENOENT') throw missing(key);
        return fail(`Reading ${key}`, err);
      }
    },
    async list(prefix = '') {
      const out: StoredObject[] = [];
      try {
        await walk(root, out);
      } catch (err) {
        fail('Listing', err);
      }
      return out.filter((o) => o.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    async delete(key) {
      const path = pathOf(key);
      try {
        await rm(path, { force: true });
        // Remove the directories the key leaves empty, up to the root.
        for (let d = dirname(path); d.startsWith(root + sep); d = dirname(d)) {
          if ((await readdir(d)).length > 0) break;
          await rmdir(d);
        }
      } catch (err) {
        if (systemCodeOf(err) !== 'ENOENT') fail(`Deleting ${key}`, err);
      }
    },
  };
}
