// Streaming AES-256-GCM for backup files (BACKUP_ENCRYPTION_KEY). A file is a 64-byte header and a sequence of
// frames, each encrypted and authenticated on its own, so a dump of any size streams through in constant memory:
//
//   header  "CHBKENC1" | frame size u32 | salt (32 random bytes) | key check (16) | 4 zero bytes
//   frame   length u32 (high bit: last frame) | ciphertext | GCM tag (16)
//
// Each file gets its own key, HKDF-SHA256(master key, salt), so frame nonces can be a counter: nonce = 7 zero bytes
// | frame number u32 | last-frame flag. This is the STREAM construction: frames cannot be reordered (the number is in
// the nonce), the last one cannot be dropped or moved (its flag is in the nonce; a stream must end with it), and the
// header and the caller's context (backup id and part) are authenticated with every frame (additional data), so a
// part cannot be swapped for another backup's. The key check (HKDF of the master key and the salt) tells a wrong key
// apart from a tampered file.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BackupAdapterError } from './backup-error.js';

const MAGIC = Buffer.from('CHBKENC1', 'latin1');
export const HEADER_BYTES = 64;
const TAG_BYTES = 16;
const LAST = 0x8000_0000;
/** Plaintext bytes per frame (1 MiB): memory per stream stays near twice this. */
export const DEFAULT_FRAME_BYTES = 1 << 20;
const MAX_FRAME_BYTES = 64 << 20;

export interface BackupCipher {
  /** A public fingerprint of the key (not the key, not reversible): recorded in manifests to name the key needed. */
  readonly keyId: string;
  /** A transform that encrypts what passes through; `context` (e.g. "<backup id>/postgres") is authenticated. */
  encrypt(context: string): Transform;
  /** The inverse; errors BACKUP_WRONG_KEY, BACKUP_TAMPERED, BACKUP_TRUNCATED, BACKUP_BAD_FORMAT. */
  decrypt(context: string): Transform;
  /** HMAC-SHA256 of a text under a key derived for manifests (hex). */
  mac(text: string): string;
}

const derive = (key: Buffer, salt: Buffer, info: string, length: number) =>
  Buffer.from(hkdfSync('sha256', key, salt, info, length));

function nonce(frame: number, last: boolean): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(frame, 7);
  iv[11] = last ? 1 : 0;
  return iv;
}

/** A growing byte queue (avoids re-concatenating on every chunk). */
class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;
  push(chunk: Buffer) {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }
  take(n: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.length);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.length = rest.length;
    return out;
  }
  peek(n: number): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.length)];
    return (this.chunks[0] ?? Buffer.alloc(0)).subarray(0, n);
  }
}

export function createBackupCipher(masterKey: Buffer, frameBytes = DEFAULT_FRAME_BYTES): BackupCipher {
  if (masterKey.length !== 32) throw new Error('The backup encryption key must be 32 bytes.');
  if (!Number.isInteger(frameBytes) || frameBytes < 1 || frameBytes > MAX_FRAME_BYTES) {
    throw new Error(`The frame size must be 1 to ${MAX_FRAME_BYTES} bytes.`);
  }
  const keyId = createHmac('sha256', masterKey).update('chimera-backup/key-id').digest('hex').slice(0, 16);
  const macKey = derive(masterKey, Buffer.alloc(0), 'chimera-backup/v1/manifest-mac', 32);

  function encrypt(context: string): Transform {
    const salt = randomBytes(32);
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeUInt32BE(frameBytes, 8);
    salt.copy(header, 12);
    derive(masterKey, salt, 'chimera-backup/v1/key-check', 16).copy(header, 44);
    const fileKey = derive(masterKey, salt, 'chimera-backup/v1/frame-key', 32);
    const aad = Buffer.concat([header, Buffer.from(context, 'utf8')]);
    const pending = new ByteQueue();
    let frame = 0;
    const seal = (plain: Buffer, last: boolean): Buffer => {
      if (frame > 0xffff_ffff) throw new BackupAdapterError('BACKUP_BAD_FORMAT', 'The file is too large to encrypt.');
      const cipher = createCipheriv('aes-256-gcm', fileKey, nonce(frame, last));
      cipher.setAAD(aad);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      const length = Buffer.alloc(4);
      length.writeUInt32BE((plain.length | (last ? LAST : 0)) >>> 0);
      frame += 1;
      return Buffer.concat([length, body, cipher.getAuthTag()]);
    };
    let started = false;
    return new Transform({
      transform(chunk: Buffer, _enc, done: TransformCallback) {
        if (!started) {
          this.push(header);
          started = true;
        }
        pending.push(chunk);
        try {
          // Keep at least one byte back: the last frame is only known at the end.
          while (pending.length > frameBytes) this.push(seal(pending.take(frameBytes), false));
          done();
        } catch (err) {
          done(err as Error);
        }
      },
      flush(done: TransformCallback) {
        try {
          if (!started) this.push(header);
          this.push(seal(pending.take(pending.length), true));
          done();
        } catch (err) {
          done(err as Error);
        }
      },
    });
  }

  function decrypt(context: string): Transform {
    const input = new ByteQueue();
    let fileKey: Buffer | undefined;
    let aad: Buffer | undefined;
    let maxFrame = 0;
    let frame = 0;
    let finished = false;
    const fail = (code: 'BACKUP_WRONG_KEY' | 'BACKUP_TAMPERED' | 'BACKUP_TRUNCATED' | 'BACKUP_BAD_FORMAT', m: string) =>
      new BackupAdapterError(code, m);

    const readHeader = () => {
      const header = input.take(HEADER_BYTES);
      if (!header.subarray(0, 8).equals(MAGIC)) {
        throw fail('BACKUP_BAD_FORMAT', 'The file is not an encrypted Chimera backup file (bad header).');
      }
      maxFrame = header.readUInt32BE(8);
      if (maxFrame < 1 || maxFrame > MAX_FRAME_BYTES) {
        throw fail('BACKUP_TAMPERED', 'The encrypted file has an impossible frame size in its header.');
      }
      const salt = header.subarray(12, 44);
      const check = derive(masterKey, salt, 'chimera-backup/v1/key-check', 16);
      if (!timingSafeEqual(check, header.subarray(44, 60))) {
        throw fail(
          'BACKUP_WRONG_KEY',
          'The file was encrypted with another key than the configured BACKUP_ENCRYPTION_KEY (or its header was altered).',
        );
      }
      fileKey = derive(masterKey, salt, 'chimera-backup/v1/frame-key', 32);
      aad = Buffer.concat([header, Buffer.from(context, 'utf8')]);
    };

    /** Opens the next frame if it is all there; null when more input is needed. */
    const openFrame = (): Buffer | null => {
      if (input.length < 4) return null;
      const word = input.peek(4).readUInt32BE(0);
      const last = (word & LAST) !== 0;
      const length = word & ~LAST;
      if (length > maxFrame) throw fail('BACKUP_TAMPERED', `Frame ${frame} of the encrypted file has a bad length.`);
      if (input.length < 4 + length + TAG_BYTES) return null;
      const bytes = input.take(4 + length + TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', fileKey as Buffer, nonce(frame, last));
      decipher.setAAD(aad as Buffer);
      decipher.setAuthTag(bytes.subarray(4 + length));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(bytes.subarray(4, 4 + length)), decipher.final()]);
      } catch {
        throw fail('BACKUP_TAMPERED', `Frame ${frame} of the encrypted file fails authentication: it was altered.`);
      }
      frame += 1;
      if (last) finished = true;
      return plain;
    };

    return new Transform({
      transform(chunk: Buffer, _enc, done: TransformCallback) {
        try {
          if (finished) throw fail('BACKUP_TAMPERED', 'The encrypted file has bytes after its last frame.');
          input.push(chunk);
          if (!fileKey) {
            if (input.length < HEADER_BYTES) return done();
            readHeader();
          }
          for (let plain = openFrame(); plain; plain = finished ? null : openFrame()) {
            if (plain.length) this.push(plain);
          }
          if (finished && input.length > 0) {
            throw fail('BACKUP_TAMPERED', 'The encrypted file has bytes after its last frame.');
          }
          done();
        } catch (err) {
          done(err as Error);
        }
      },
      flush(done: TransformCallback) {
        if (!fileKey) return done(fail('BACKUP_TRUNCATED', 'The encrypted file ends inside its header.'));
        if (!finished) {
          return done(fail('BACKUP_TRUNCATED', `The encrypted file ends after frame ${frame}, before its last frame.`));
        }
        done();
      },
    });
  }

  return {
    keyId,
    encrypt,
    decrypt,
    mac: (text) => createHmac('sha256', macKey).update(text, 'utf8').digest('hex'),
  };
}
