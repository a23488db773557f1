// What keeps the running system working during an encryption-key rotation: a SecretBox and a local KEK that seal
// with the new key but still open what the previous key sealed (the key id stored beside each value picks the key),
// and re-wrapping an envelope's data key without touching its ciphertext.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKek, EnvelopeError, localKek, open, rewrap, seal } from '../../src/platform/crypto/envelope.js';
import { createSecretBox, SecretBoxError } from '../../src/platform/crypto/secret-box.js';

const OLD = randomBytes(32);
const NEW = randomBytes(32);
const CONTEXT = 'chimera-wallet:0xabc';

describe('SecretBox with previous keys', () => {
  it('seals with the new key and opens values of either key; the old box cannot open the new values', () => {
    const old = createSecretBox(OLD);
    const during = createSecretBox(NEW, [OLD]);
    const sealedOld = old.encrypt('totp-secret-a');
    const sealedNew = during.encrypt('totp-secret-b');
    expect(during.keyId).toBe(createSecretBox(NEW).keyId);
    expect(sealedNew.split('.')[1]).toBe(during.keyId);
    expect(during.decrypt(sealedOld).toString()).toBe('totp-secret-a');
    expect(during.decrypt(sealedNew).toString()).toBe('totp-secret-b');
    expect(during.sealedWithCurrentKey(sealedOld)).toBe(false);
    expect(during.sealedWithCurrentKey(sealedNew)).toBe(true);
    expect(() => old.decrypt(sealedNew)).toThrow(SecretBoxError);
    expect(() => createSecretBox(NEW).decrypt(sealedOld)).toThrow(/Sealed with key .*, but the configured key is/);
  });

  it('refuses a value whose key id names a previous key but which another key sealed (tampering)', () => {
    const other = createSecretBox(randomBytes(32)).encrypt('x');
    const parts = other.split('.');
    parts[1] = createSecretBox(OLD).keyId;
    expect(() => createSecretBox(NEW, [OLD]).decrypt(parts.join('.'))).toThrow(/tampered with/);
  });
});

describe('local KEK with previous keys', () => {
  it('opens envelopes of the previous key, seals new ones with the new key', async () => {
    const before = await seal(localKek(OLD), Buffer.from('wallet key bytes'), CONTEXT);
    const kek = createKek({ provider: 'local' }, NEW, [OLD]);
    expect(kek.keyRef).toBe(localKek(NEW).keyRef);
    expect((await open(kek, before, CONTEXT)).toString()).toBe('wallet key bytes');
    const fresh = await seal(kek, Buffer.from('another'), CONTEXT);
    expect(fresh.keyRef).toBe(localKek(NEW).keyRef);
    await expect(open(localKek(OLD), fresh, CONTEXT)).rejects.toThrow(EnvelopeError);
  });

  it('rewrap changes only the wrapped data key: the ciphertext is the same and opens with the new KEK alone', async () => {
    const before = await seal(localKek(OLD), Buffer.from('wallet key bytes'), CONTEXT);
    const after = await rewrap(createKek({ provider: 'local' }, NEW, [OLD]), before);
    expect(after.ciphertext).toBe(before.ciphertext);
    expect(after.wrappedKey).not.toBe(before.wrappedKey);
    expect(after.keyRef).toBe(localKek(NEW).keyRef);
    expect((await open(localKek(NEW), after, CONTEXT)).toString()).toBe('wallet key bytes');
    // Already under the current KEK: the same envelope back.
    expect(await rewrap(localKek(NEW), after)).toBe(after);
    // An envelope of a key it does not know: refused, naming key references only.
    const stranger = await seal(localKek(randomBytes(32)), Buffer.from('x'), CONTEXT);
    await expect(rewrap(createKek({ provider: 'local' }, NEW, [OLD]), stranger)).rejects.toThrow(
      /Sealed under local key local:\S+, but the configured key is local/,
    );
  });

  it('after a move to Vault transit, the local KEK of ENCRYPTION_KEY still opens the old envelopes', async () => {
    const before = await seal(localKek(NEW), Buffer.from('wallet key bytes'), CONTEXT);
    const kek = createKek(
      { provider: 'vault', address: 'http://127.0.0.1:1', token: 't', namespace: undefined, transitKey: 'wallets' },
      NEW,
    );
    expect(kek.keyRef).toBe('vault:wallets');
    expect((await open(kek, before, CONTEXT)).toString()).toBe('wallet key bytes');
  });
});
