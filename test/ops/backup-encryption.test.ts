// The streaming AES-256-GCM format of backup files (src/platform/backup/encryption.ts): round trips of any size in
// frames, and every kind of damage refused with its own code.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { BackupAdapterError } from '../../src/platform/backup/backup-error.js';
import { createBackupCipher, HEADER_BYTES } from '../../src/platform/backup/encryption.js';

const KEY = randomBytes(32);
const FRAME = 1024;
const cipher = createBackupCipher(KEY, FRAME);

/** Feeds `data` in small uneven chunks (frames must not depend on how input arrives). */
function chunked(data: Buffer): Readable {
  const parts: Buffer[] = [];
  for (let i = 0, step = 1; i < data.length; i += step, step = (step * 7 + 3) % 500 || 1)
    parts.push(data.subarray(i, i + step));
  return Readable.from(parts);
}

const encrypt = (data: Buffer, context = 'b1/postgres') => buffer(chunked(data).pipe(cipher.encrypt(context)));
const decrypt = (data: Buffer, context = 'b1/postgres', c = cipher) => buffer(chunked(data).pipe(c.decrypt(context)));

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(BackupAdapterError);
    return (err as BackupAdapterError).code;
  }
  throw new Error('expected a failure');
}

/** Offsets of each frame (its length word) in an encrypted file. */
function frames(enc: Buffer): number[] {
  const out: number[] = [];
  for (let at = HEADER_BYTES; at < enc.length; ) {
    out.push(at);
    at += 4 + (enc.readUInt32BE(at) & 0x7fffffff) + 16;
  }
  return out;
}

describe('backup file encryption', () => {
  it('round-trips empty, tiny, frame-sized and multi-frame inputs, never showing the plaintext', async () => {
    for (const size of [0, 1, FRAME - 1, FRAME, FRAME + 1, 5 * FRAME, 5 * FRAME + 77]) {
      const plain = Buffer.alloc(size, 'chimera secret row ');
      const enc = await encrypt(plain);
      expect((await decrypt(enc)).equals(plain)).toBe(true);
      expect(frames(enc).length).toBe(Math.max(1, Math.ceil(size / FRAME)));
      if (size >= 19) expect(enc.includes(Buffer.from('chimera secret row'))).toBe(false);
    }
  });

  it('gives the same plaintext two different ciphertexts (a fresh salt per file)', async () => {
    const plain = Buffer.from('same input');
    expect((await encrypt(plain)).equals(await encrypt(plain))).toBe(false);
  });

  it('refuses another key with BACKUP_WRONG_KEY', async () => {
    const enc = await encrypt(Buffer.from('data'));
    const other = createBackupCipher(randomBytes(32), FRAME);
    expect(await codeOf(decrypt(enc, 'b1/postgres', other))).toBe('BACKUP_WRONG_KEY');
    expect(other.keyId).not.toBe(cipher.keyId);
    expect(cipher.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(cipher.keyId).not.toContain(KEY.toString('hex').slice(0, 16));
  });

  it('refuses a flipped bit in a frame, a tag or the header with BACKUP_TAMPERED or BACKUP_WRONG_KEY', async () => {
    const enc = await encrypt(randomBytes(3 * FRAME));
    const [, second] = frames(enc) as [number, number];
    for (const [offset, code] of [
      [second + 10, 'BACKUP_TAMPERED'], // ciphertext of frame 1
      [second + 4 + FRAME + 3, 'BACKUP_TAMPERED'], // its tag
      [HEADER_BYTES + 4, 'BACKUP_TAMPERED'], // frame 0
      [20, 'BACKUP_WRONG_KEY'], // the salt: the key check no longer matches
      [62, 'BACKUP_TAMPERED'], // the reserved header bytes are authenticated too
    ] as const) {
      const bad = Buffer.from(enc);
      bad[offset] = (bad[offset] as number) ^ 0x01;
      expect(await codeOf(decrypt(bad)), `offset ${offset}`).toBe(code);
    }
  });

  it('detects truncation: a missing last frame, a cut inside a frame, a cut header', async () => {
    const enc = await encrypt(randomBytes(3 * FRAME + 5));
    const starts = frames(enc);
    expect(await codeOf(decrypt(enc.subarray(0, starts[3])))).toBe('BACKUP_TRUNCATED');
    expect(await codeOf(decrypt(enc.subarray(0, enc.length - 7)))).toBe('BACKUP_TRUNCATED');
    expect(await codeOf(decrypt(enc.subarray(0, 30)))).toBe('BACKUP_TRUNCATED');
  });

  it('detects reordered or repeated frames, a faked last-frame flag, and bytes after the end', async () => {
    const enc = await encrypt(randomBytes(3 * FRAME));
    const [a, b, c] = frames(enc) as [number, number, number];
    const f0 = enc.subarray(a, b);
    const f1 = enc.subarray(b, c);
    const header = enc.subarray(0, a);
    expect(await codeOf(decrypt(Buffer.concat([header, f1, f0, enc.subarray(c)])))).toBe('BACKUP_TAMPERED');
    expect(await codeOf(decrypt(Buffer.concat([header, f0, f0, enc.subarray(c)])))).toBe('BACKUP_TAMPERED');
    // Marking frame 0 as the last one (to cut the file short) changes its nonce: authentication fails.
    const flagged = Buffer.from(enc.subarray(0, b));
    flagged.writeUInt32BE((flagged.readUInt32BE(a) | 0x80000000) >>> 0, a);
    expect(await codeOf(decrypt(flagged))).toBe('BACKUP_TAMPERED');
    expect(await codeOf(decrypt(Buffer.concat([enc, Buffer.from('x')])))).toBe('BACKUP_TAMPERED');
  });

  it('binds a file to its context: a part cannot be passed off as another backup’s', async () => {
    const enc = await encrypt(Buffer.from('dump of backup 1'), 'b1/postgres');
    expect(await codeOf(decrypt(enc, 'b2/postgres'))).toBe('BACKUP_TAMPERED');
  });

  it('refuses a file that is not encrypted at all', async () => {
    expect(await codeOf(decrypt(Buffer.alloc(200, 'PGDMP')))).toBe('BACKUP_BAD_FORMAT');
  });

  it('signs manifests with a key of their own (not the file key check)', () => {
    expect(cipher.mac('{"a":1}')).toMatch(/^[0-9a-f]{64}$/);
    expect(cipher.mac('{"a":1}')).not.toBe(cipher.mac('{"a":2}'));
    expect(createBackupCipher(randomBytes(32)).mac('{"a":1}')).not.toBe(cipher.mac('{"a":1}'));
  });
});
