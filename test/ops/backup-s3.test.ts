// The S3 backup target (src/platform/backup/s3.ts): SigV4 as Amazon documents it, and the store against a local
// server that checks every signature itself (test/helpers/fake-s3-server.ts).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupAdapterError } from '../../src/platform/backup/backup-error.js';
import { createS3Store, type S3StoreOptions } from '../../src/platform/backup/s3.js';
import { EMPTY_SHA256, signRequest } from '../../src/platform/backup/s3-sign.js';
import { type FakeS3, startFakeS3 } from '../helpers/fake-s3-server.js';

// Amazon's published examples ("Signature Calculations for the Authorization Header", examplebucket).
const AWS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
  now: new Date('2013-05-24T00:00:00Z'),
};

describe('SigV4 signing', () => {
  it('reproduces Amazon’s GET Object example', () => {
    const h = signRequest({
      ...AWS,
      method: 'GET',
      url: 'https://examplebucket.s3.amazonaws.com/test.txt',
      headers: { Range: 'bytes=0-9' },
      payloadHash: EMPTY_SHA256,
    });
    expect(h.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
    expect(h['x-amz-date']).toBe('20130524T000000Z');
  });

  it('reproduces Amazon’s ListObjects example (query string canonicalisation)', () => {
    const h = signRequest({
      ...AWS,
      method: 'GET',
      url: 'https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J',
    });
    expect(h.authorization).toMatch(/Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7$/);
  });
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(BackupAdapterError);
    return (err as BackupAdapterError).code;
  }
  throw new Error('expected a failure');
}

describe('the S3 store against a signature-checking S3 server', () => {
  let s3: FakeS3;
  let dir: string;
  let options: S3StoreOptions;
  beforeAll(async () => {
    s3 = await startFakeS3();
    dir = mkdtempSync(join(tmpdir(), 'chimera-s3-'));
    options = {
      endpoint: s3.url,
      region: s3.region,
      bucket: s3.bucket,
      prefix: 'prod/chimera/',
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      forcePathStyle: true,
      retryDelayMs: 1,
    };
  });
  afterAll(async () => {
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts, lists, gets and deletes objects under its prefix, odd key characters included', async () => {
    const store = createS3Store(options);
    const file = join(dir, 'part');
    const data = randomBytes(100_000);
    writeFileSync(file, data);
    await store.putFile('20260101T000000Z-aaaaaa/postgres.dump', file);
    await store.putData('20260101T000000Z-aaaaaa/manifest.json', Buffer.from('{"a":1}'));
    await store.putData('odd keys/ä b+c=d&e.json', Buffer.from('odd'));
    expect([...s3.objects.keys()].sort()).toEqual([
      'prod/chimera/20260101T000000Z-aaaaaa/manifest.json',
      'prod/chimera/20260101T000000Z-aaaaaa/postgres.dump',
      'prod/chimera/odd keys/ä b+c=d&e.json',
    ]);
    const listed = await store.list();
    expect(listed.map((o) => o.key)).toEqual([
      '20260101T000000Z-aaaaaa/manifest.json',
      '20260101T000000Z-aaaaaa/postgres.dump',
      'odd keys/ä b+c=d&e.json',
    ]);
    expect(listed[1]?.size).toBe(100_000);
    expect((await store.list('odd keys/')).map((o) => o.key)).toEqual(['odd keys/ä b+c=d&e.json']);
    const back = join(dir, 'back');
    await store.getFile('20260101T000000Z-aaaaaa/postgres.dump', back);
    expect(readFileSync(back).equals(data)).toBe(true);
    expect((await store.getData('odd keys/ä b+c=d&e.json')).toString()).toBe('odd');
    await store.delete('odd keys/ä b+c=d&e.json');
    expect(s3.objects.has('prod/chimera/odd keys/ä b+c=d&e.json')).toBe(false);
    expect(s3.requests.every((r) => r.signed)).toBe(true);
  });

  it('pages through a long listing (continuation tokens)', async () => {
    const store = createS3Store({ ...options, prefix: 'paged/' });
    for (let i = 0; i < 7; i++) await store.putData(`k${i}`, Buffer.from([i]));
    s3.pageSize = 2;
    try {
      expect((await store.list()).map((o) => o.key)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6']);
    } finally {
      s3.pageSize = 1000;
    }
  });

  it('uploads a large file in parts (multipart) and it comes back whole', async () => {
    const store = createS3Store({ ...options, prefix: 'multi/', multipartBytes: 64 * 1024, partBytes: 50 * 1024 });
    const data = randomBytes(260 * 1024);
    const file = join(dir, 'big');
    writeFileSync(file, data);
    const before = s3.requests.length;
    await store.putFile('big.tar', file);
    const calls = s3.requests.slice(before).map((r) => `${r.method} ${r.url.replace(/uploadId=[^&]+/, 'uploadId=*')}`);
    expect(calls.filter((c) => c.includes('partNumber=')).length).toBe(6);
    expect(calls[0]).toMatch(/^POST .*\?uploads=$/);
    expect(s3.objects.get('multi/big.tar')?.equals(data)).toBe(true);
  });

  it('reports a missing object as BACKUP_OBJECT_NOT_FOUND', async () => {
    expect(await codeOf(createS3Store(options).getData('20990101T000000Z-ffffff/manifest.json'))).toBe(
      'BACKUP_OBJECT_NOT_FOUND',
    );
  });

  it('is refused with a wrong secret (the server checks the signature): BACKUP_TARGET_REJECTED, no secret in the message', async () => {
    const store = createS3Store({ ...options, secretAccessKey: 'not-the-secret' });
    try {
      await store.putData('x', Buffer.from('x'));
      throw new Error('expected a failure');
    } catch (err) {
      expect((err as BackupAdapterError).code).toBe('BACKUP_TARGET_REJECTED');
      expect((err as Error).message).toContain('SignatureDoesNotMatch');
      expect((err as Error).message).not.toContain('not-the-secret');
    }
    expect(s3.objects.has('prod/chimera/x')).toBe(false);
  });

  it('reports an unreachable endpoint as BACKUP_TARGET_UNAVAILABLE after its retries', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const store = createS3Store({ ...options, endpoint: `http://127.0.0.1:${port}`, attempts: 2 });
    const failure = store.list().catch((e: unknown) => e as BackupAdapterError);
    const err = (await failure) as BackupAdapterError;
    expect(err.code).toBe('BACKUP_TARGET_UNAVAILABLE');
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).not.toContain(options.secretAccessKey);
  });
});
