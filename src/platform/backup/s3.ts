// The S3-compatible backup target (BACKUP_TARGET=s3): AWS S3, MinIO, Ceph RGW, R2, … over fetch, signed with SigV4
// (s3-sign.ts). It uses PUT Object (multipart upload past `multipartBytes`), GET Object, ListObjectsV2 and DELETE
// Object. Bodies are signed by their SHA-256; parts are read from disk one at a time, so memory stays near one part.
// Network failures and 5xx answers are retried a few times; 4xx answers are reported with S3's error code.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { XMLParser } from 'fast-xml-parser';
import { BackupAdapterError, messageOf } from './backup-error.js';
import { sha256Hex, signRequest, uriEncode } from './s3-sign.js';
import { type BackupStore, checkKey, type StoredObject } from './target.js';

export interface S3StoreOptions {
  /** https://host[:port]; default https://s3.<region>.amazonaws.com. */
  endpoint?: string | undefined;
  region: string;
  bucket: string;
  /** Prepended to every key ("chimera/"). */
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Path-style URLs (endpoint/bucket/key) instead of virtual-hosted ones (bucket.endpoint/key). */
  forcePathStyle: boolean;
  /** Files larger than this go up in parts (default 64 MiB). */
  multipartBytes?: number;
  /** Size of each part (default 64 MiB; S3 wants at least 5 MiB but for the last). */
  partBytes?: number;
  /** Attempts per request on network errors and 5xx (default 3). */
  attempts?: number;
  /** First pause between attempts (default 250 ms, doubled each time). */
  retryDelayMs?: number;
}

const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (name) => name === 'Contents' });

interface S3Answer {
  status: number;
  headers: Headers;
  body: Response['body'];
  text(): Promise<string>;
}

export function createS3Store(options: S3StoreOptions): BackupStore {
  const endpoint = new URL(options.endpoint ?? `https://s3.${options.region}.amazonaws.com`);
  const base = options.forcePathStyle
    ? `${endpoint.origin}${endpoint.pathname.replace(/\/+$/, '')}/${uriEncode(options.bucket, false)}`
    : `${endpoint.protocol}//${options.bucket}.${endpoint.host}${endpoint.pathname.replace(/\/+$/, '')}`;
  const multipartBytes = options.multipartBytes ?? 64 << 20;
  const partBytes = options.partBytes ?? 64 << 20;
  const attempts = options.attempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 250;
  const description = `s3://${options.bucket}/${options.prefix} at ${endpoint.origin}`;
  const fullKey = (key: string) => `${options.prefix}${checkKey(key)}`;
  const objectUrl = (key: string) => `${base}/${uriEncode(fullKey(key), true)}`;

  async function send(
    method: string,
    url: string,
    opts: { body?: Buffer; headers?: Record<string, string>; ok?: number[] } = {},
  ): Promise<S3Answer> {
    const payloadHash = sha256Hex(opts.body ?? Buffer.alloc(0));
    for (let attempt = 1; ; attempt++) {
      const headers = signRequest({
        method,
        url,
        region: options.region,
        accessKeyId: options.accessKeyId,
        secretAccessKey: options.secretAccessKey,
        headers: opts.headers ?? {},
        payloadHash,
      });
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers,
          ...(opts.body
            ? { body: new Uint8Array(opts.body.buffer as ArrayBuffer, opts.body.byteOffset, opts.body.byteLength) }
            : {}),
        });
      } catch (err) {
        if (attempt < attempts) {
          await new Promise((r) => setTimeout(r, retryDelayMs * 2 ** (attempt - 1)));
          continue;
        }
        throw new BackupAdapterError(
          'BACKUP_TARGET_UNAVAILABLE',
          `S3 endpoint ${endpoint.origin} cannot be reached (${method} ${options.bucket}, ${attempts} attempts): ` +
            messageOf((err as { cause?: unknown }).cause ?? err),
          { cause: err },
        );
      }
      if (res.status >= 500 && attempt < attempts) {
        await res.body?.cancel();
        await new Promise((r) => setTimeout(r, retryDelayMs * 2 ** (attempt - 1)));
        continue;
      }
      if ((opts.ok ?? [200]).includes(res.status)) {
        return { status: res.status, headers: res.headers, body: res.body, text: () => res.text() };
      }
      const text = await res.text().catch(() => '');
      const parsed = (text ? xml.parse(text) : {}) as { Error?: { Code?: string; Message?: string } };
      const code = parsed.Error?.Code ?? `HTTP ${res.status}`;
      const message = parsed.Error?.Message ?? res.statusText;
      const path = new URL(url).pathname;
      if (res.status === 404 && code !== 'NoSuchBucket') {
        throw new BackupAdapterError('BACKUP_OBJECT_NOT_FOUND', `S3 has no object ${path} (${description}).`);
      }
      throw new BackupAdapterError(
        res.status >= 500 ? 'BACKUP_TARGET_UNAVAILABLE' : 'BACKUP_TARGET_REJECTED',
        `S3 refused ${method} ${path}: ${res.status} ${code}: ${message}`,
      );
    }
  }

  async function putBuffer(key: string, data: Buffer) {
    await send('PUT', objectUrl(key), { body: data, headers: { 'content-type': 'application/octet-stream' } });
  }

  async function putMultipart(key: string, file: string, size: number) {
    const url = objectUrl(key);
    const created = xml.parse(await (await send('POST', `${url}?uploads=`)).text()) as {
      InitiateMultipartUploadResult?: { UploadId?: string };
    };
    const uploadId = created.InitiateMultipartUploadResult?.UploadId;
    if (!uploadId)
      throw new BackupAdapterError('BACKUP_TARGET_REJECTED', 'S3 started no multipart upload (no UploadId).');
    const q = `uploadId=${encodeURIComponent(uploadId)}`;
    const handle = await open(file, 'r');
    try {
      const etags: string[] = [];
      for (let offset = 0, part = 1; offset < size; offset += partBytes, part++) {
        const length = Math.min(partBytes, size - offset);
        const chunk = Buffer.alloc(length);
        const { bytesRead } = await handle.read(chunk, 0, length, offset);
        if (bytesRead !== length) throw new Error(`${file} changed while it was uploaded`);
        const res = await send('PUT', `${url}?partNumber=${part}&${q}`, { body: chunk });
        etags.push(res.headers.get('etag') ?? '');
      }
      const body = Buffer.from(
        `<CompleteMultipartUpload>${etags
          .map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`)
          .join('')}</CompleteMultipartUpload>`,
      );
      const done = await (
        await send('POST', `${url}?${q}`, { body, headers: { 'content-type': 'application/xml' } })
      ).text();
      if (/<Error>/.test(done))
        throw new BackupAdapterError('BACKUP_TARGET_REJECTED', `S3 did not complete the upload: ${done.slice(0, 300)}`);
    } catch (err) {
      await send('DELETE', `${url}?${q}`, { ok: [200, 204, 404] }).catch(() => undefined);
      throw err;
    } finally {
      await handle.close();
    }
  }

  return {
    description,
    async putFile(key, file) {
      const handle = await open(file, 'r');
      let size: number;
      let data: Buffer | undefined;
      try {
        size = (await handle.stat()).size;
        if (size <= multipartBytes) data = await handle.readFile();
      } finally {
        await handle.close();
      }
      if (data) await putBuffer(key, data);
      else await putMultipart(key, file, size);
    },
    putData: putBuffer,
    async getFile(key, file) {
      const res = await send('GET', objectUrl(key));
      const tmp = `${file}.part-${randomBytes(4).toString('hex')}`;
      try {
        if (!res.body) throw new Error('empty answer');
        await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(tmp));
        await rename(tmp, file);
      } catch (err) {
        await rm(tmp, { force: true });
        if (err instanceof BackupAdapterError) throw err;
        throw new BackupAdapterError(
          'BACKUP_TARGET_UNAVAILABLE',
          `Downloading ${key} from ${description} failed: ${messageOf(err)}`,
        );
      }
    },
    async getData(key) {
      const res = await send('GET', objectUrl(key));
      return Buffer.from(await new Response(res.body).arrayBuffer());
    },
    async list(prefix = '') {
      const out: StoredObject[] = [];
      let token: string | undefined;
      do {
        const params = new URLSearchParams({ 'list-type': '2', prefix: `${options.prefix}${prefix}` });
        if (token) params.set('continuation-token', token);
        const text = await (await send('GET', `${base}/?${params.toString().replace(/\+/g, '%20')}`)).text();
        const result = (
          xml.parse(text) as {
            ListBucketResult?: {
              Contents?: { Key: string; Size: string; LastModified: string }[];
              IsTruncated?: string;
              NextContinuationToken?: string;
            };
          }
        ).ListBucketResult;
        if (!result)
          throw new BackupAdapterError('BACKUP_TARGET_REJECTED', `S3 answered the listing with no ListBucketResult.`);
        for (const c of result.Contents ?? []) {
          out.push({
            key: c.Key.slice(options.prefix.length),
            size: Number(c.Size),
            modified: new Date(c.LastModified),
          });
        }
        token = result.IsTruncated === 'true' ? result.NextContinuationToken : undefined;
      } while (token);
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    async delete(key) {
      await send('DELETE', objectUrl(key), { ok: [200, 204, 404] });
    },
  };
}
