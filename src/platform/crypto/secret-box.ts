// Secrets at rest: AES-256-GCM with a key from configuration. The format names its version and key id
// ("v1.<keyId>.<iv>.<tag>.<ciphertext>", base64url parts) so a later key, or a Vault transit key, can replace this one
// while old values stay readable.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface SecretBox {
  encrypt(plaintext: string | Buffer): string;
  decrypt(sealed: string): Buffer;
  /** A short, non-secret identifier of the key (first bytes of its SHA-256). */
  readonly keyId: string;
  /** Whether a sealed value is under the current key (false: a previous key's, to be re-sealed). */
  sealedWithCurrentKey(sealed: string): boolean;
}

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

function keyIdOf(key: Buffer): string {
  if (key.length !== 32) throw new SecretBoxError('The encryption key must be 32 bytes.');
  return createHash('sha256').update(key).digest('base64url').slice(0, 8);
}

/**
 * Seals with `key`; opens what `key` or any of `previous` sealed (the key id in the value picks it), so values sealed
 * before a key rotation stay readable until `chimera rotate-keys --encryption-key` has re-sealed them.
 */
export function createSecretBox(key: Buffer, previous: readonly Buffer[] = []): SecretBox {
  const keyId = keyIdOf(key);
  const keys = new Map<string, Buffer>([...previous.map((k) => [keyIdOf(k), k] as const), [keyId, key]]);
  return {
    keyId,
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const parts = [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'));
      return ['v1', keyId, ...parts].join('.');
    },
    decrypt(sealed) {
      const parts = sealed.split('.');
      const [version, id, iv, tag, ciphertext] = parts;
      if (parts.length !== 5 || version !== 'v1' || !id || !iv || !tag || ciphertext === undefined) {
        throw new SecretBoxError('Not a sealed secret.');
      }
      const opener = keys.get(id);
      if (!opener) throw new SecretBoxError(`Sealed with key ${id}, but the configured key is ${keyId}.`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', opener, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
      } catch {
        throw new SecretBoxError('The sealed secret was tampered with or sealed with another key.');
      }
    },
    sealedWithCurrentKey: (sealed) => sealed.split('.')[1] === keyId,
  };
}
