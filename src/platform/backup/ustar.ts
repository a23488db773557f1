// A minimal POSIX tar (ustar) writer and reader for the vector-store snapshots: regular files and directories only,
// long paths through PAX headers, sizes past 8 GiB in GNU base-256. `tar -xf` reads what this writes. The reader
// refuses anything else (links, devices) and any path that would leave the target directory.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackupAdapterError, messageOf } from './backup-error.js';
import { ByteReader } from './byte-reader.js';

const BLOCK = 512;

export interface TarEntry {
  /** The path inside the archive ('/'-separated, relative). */
  path: string;
  /** The file to read it from; omitted for a directory. */
  file?: string;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(path: string, size: number, type: '0' | '5' | 'x', mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(path) > 100) {
    const cut = path.lastIndexOf('/', 155);
    const ok = cut > 0 && Buffer.byteLength(path.slice(cut + 1)) <= 100 && Buffer.byteLength(path.slice(0, cut)) <= 155;
    if (!ok) throw new Error(`path too long for a plain ustar header: ${path}`);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  h.write(name, 0, 100, 'utf8');
  h.write(octal(type === '5' ? 0o755 : 0o644, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  if (size < 8 ** 11) {
    h.write(octal(size, 12), 124, 'latin1');
  } else {
    h[124] = 0x80;
    h.writeBigUInt64BE(BigInt(size), 128);
  }
  h.write(octal(Math.floor(mtime / 1000), 12), 136, 'latin1');
  h.write(' '.repeat(8), 148, 'latin1');
  h.write(type, 156, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

const padding = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (Buffer.byteLength(`${len}${body}`) !== len) len += 1;
  return Buffer.from(`${len}${body}`, 'utf8');
}

function headersFor(path: string, size: number, type: '0' | '5', mtime: number): Buffer[] {
  try {
    return [header(path, size, type, mtime)];
  } catch {
    const pax = paxRecord('path', path);
    return [
      header('PaxHeader/long-path', pax.length, 'x', mtime),
      pax,
      padding(pax.length),
      header('long-path', size, type, mtime),
    ];
  }
}

/**
 * The archive of `entries`, as a stream of chunks. Each file is read once at the size it had when its turn came:
 * a file that vanishes meanwhile fails the archive (ENOENT), one that changes size fails it too.
 */
export async function* tarStream(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    if (!entry.file) {
      yield* headersFor(entry.path.endsWith('/') ? entry.path : `${entry.path}/`, 0, '5', Date.now());
      continue;
    }
    const info = await stat(entry.file);
    yield* headersFor(entry.path, info.size, '0', info.mtimeMs);
    let read = 0;
    if (info.size > 0) {
      for await (const chunk of createReadStream(entry.file, { start: 0, end: info.size - 1 })) {
        read += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    }
    if (read !== info.size) throw new Error(`${entry.file} changed size while it was archived`);
    yield padding(info.size);
  }
  yield Buffer.alloc(BLOCK * 2);
}

function field(h: Buffer, start: number, length: number): string {
  const raw = h.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function sizeOf(h: Buffer): number {
  if (((h[124] as number) & 0x80) !== 0) return Number(h.readBigUInt64BE(128));
  return Number.parseInt(field(h, 124, 12).trim() || '0', 8);
}

/** A safe relative path under the target, or an error. */
function safePath(path: string): string {
  const p = normalize(path.replace(/^\.\//, ''));
  if (p === '.' || p === '') return '';
  if (isAbsolute(p) || p.split(sep).includes('..')) throw new Error(`refusing the path ${JSON.stringify(path)}`);
  return p.replace(/[/\\]+$/, '');
}

/** Unpacks an archive into `dir` (which must exist). Returns the number of files written. */
export async function untar(source: Readable, dir: string): Promise<{ files: number; bytes: number }> {
  const reader = new ByteReader(source);
  const bad = (m: string) =>
    new BackupAdapterError('BACKUP_BAD_FORMAT', `The vector snapshot archive is damaged: ${m}.`);
  let files = 0;
  let bytes = 0;
  let paxPath: string | undefined;
  try {
    for (;;) {
      const h = await reader.read(BLOCK);
      if (!h) throw bad('it ends without its end marker');
      if (h.every((b) => b === 0)) {
        // The rest is the second end block and tar's padding: read it all, so upstream checks see the whole file.
        await reader.drain();
        return { files, bytes };
      }
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
      if (Number.parseInt(field(h, 148, 8).trim(), 8) !== sum) throw bad('a header checksum is wrong');
      const type = String.fromCharCode(h[156] as number);
      const size = sizeOf(h);
      const prefix = field(h, 345, 155);
      const name = paxPath ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
      if (type === 'x' || type === 'g') {
        const body = (await reader.need(size)).toString('utf8');
        await reader.need((BLOCK - (size % BLOCK)) % BLOCK);
        if (type === 'x') paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body)?.[1];
        continue;
      }
      paxPath = undefined;
      const rel = safePath(name);
      const target = join(dir, rel);
      if (type === '5') {
        await mkdir(target, { recursive: true });
      } else if (type === '0' || type === '\0') {
        await mkdir(dirname(target), { recursive: true });
        const out = createWriteStream(target, { flags: 'wx' });
        let left = size;
        await pipeline(
          (async function* () {
            while (left > 0) {
              const chunk = await reader.need(Math.min(left, 1 << 20));
              left -= chunk.length;
              yield chunk;
            }
          })(),
          out,
        );
        await reader.need((BLOCK - (size % BLOCK)) % BLOCK);
        files += 1;
        bytes += size;
      } else {
        throw bad(`it holds an entry of type ${JSON.stringify(type)} (only files and directories are expected)`);
      }
    }
  } catch (err) {
    if (err instanceof BackupAdapterError) throw err;
    throw bad(messageOf(err));
  } finally {
    await reader.close();
  }
}
