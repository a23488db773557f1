// Envelope encryption for the secrets that sign money away (wallet keys). Each secret gets a data key of its own
// (AES-256-GCM, bound to a context such as the wallet's address); the data key is stored wrapped by a key-encryption
// key — derived from ENCRYPTION_KEY ('local') or held by a Vault transit engine ('vault') that never hands it out.
// Swapping the KEK provider re-wraps 32-byte data keys, never the secrets themselves.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

export type KekProvider = 'local' | 'vault';

/** A key-encryption key: wraps and unwraps data keys. */
export interface KeyEncryptionKey {
  readonly provider: KekProvider;
  /** Which key wrapped a value (a local key's fingerprint, a Vault key name): stored beside it. */
  readonly keyRef: string;
  wrap(dataKey: Buffer): Promise<string>;
  unwrap(wrapped: string): Promise<Buffer>;
  /** Earlier KEKs whose envelopes still open (during a key rotation); new envelopes always use this one. */
  readonly previous?: readonly KeyEncryptionKey[];
}

export interface Envelope {
  provider: KekProvider;
  keyRef: string;
  wrappedKey: string;
  ciphertext: string;
}

export class EnvelopeError extends Error {
  override name = 'EnvelopeError';
}

function gcmSeal(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), ciphertext]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

function gcmOpen(key: Buffer, sealed: string, aad: string): Buffer {
  const parts = sealed.split('.');
  const [version, iv, tag, ciphertext] = parts;
  if (parts.length !== 4 || version !== 'v1' || !iv || !tag || ciphertext === undefined) {
    throw new EnvelopeError('Not a sealed value.');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
  } catch {
    throw new EnvelopeError('The sealed value was tampered with, moved to another owner, or sealed with another key.');
  }
}

/** Seals `plaintext` under a fresh data key bound to `context`; the data key is wrapped by the KEK. */
export async function seal(kek: KeyEncryptionKey, plaintext: Buffer, context: string): Promise<Envelope> {
  const dataKey = randomBytes(32);
  try {
    const ciphertext = gcmSeal(dataKey, plaintext, context);
    return { provider: kek.provider, keyRef: kek.keyRef, wrappedKey: await kek.wrap(dataKey), ciphertext };
  } finally {
    dataKey.fill(0);
  }
}

/** Opens an envelope sealed for `context` (a value copied to another owner's row does not open). */
export async function open(kek: KeyEncryptionKey, envelope: Envelope, context: string): Promise<Buffer> {
  const dataKey = await unwrapDataKey(kek, envelope);
  try {
    return gcmOpen(dataKey, envelope.ciphertext, context);
  } finally {
    dataKey.fill(0);
  }
}

/** The envelope's data key, unwrapped by the KEK (or the earlier one) that wrapped it. */
async function unwrapDataKey(kek: KeyEncryptionKey, envelope: Envelope): Promise<Buffer> {
  const wrapper = [kek, ...(kek.previous ?? [])].find(
    (k) => k.provider === envelope.provider && k.keyRef === envelope.keyRef,
  );
  if (!wrapper) {
    throw new EnvelopeError(
      `Sealed under ${envelope.provider} key ${envelope.keyRef}, but the configured key is ${kek.provider} ${kek.keyRef}.`,
    );
  }
  return wrapper.unwrap(envelope.wrappedKey);
}

/** The same envelope with its data key wrapped by the current KEK: the secret itself is never decrypted. */
export async function rewrap(kek: KeyEncryptionKey, envelope: Envelope): Promise<Envelope> {
  if (envelope.provider === kek.provider && envelope.keyRef === kek.keyRef) return envelope;
  const dataKey = await unwrapDataKey(kek, envelope);
  try {
    return {
      provider: kek.provider,
      keyRef: kek.keyRef,
      wrappedKey: await kek.wrap(dataKey),
      ciphertext: envelope.ciphertext,
    };
  } finally {
    dataKey.fill(0);
  }
}

/** A KEK derived from the configured ENCRYPTION_KEY (HKDF, so it is never the key other secrets use). */
export function localKek(encryptionKey: Buffer): KeyEncryptionKey {
  if (encryptionKey.length !== 32) throw new EnvelopeError('The encryption key must be 32 bytes.');
  const kek = Buffer.from(hkdfSync('sha256', encryptionKey, 'chimera', 'wallet-key-encryption-key', 32));
  const keyRef = `local:${createHash('sha256').update(kek).digest('base64url').slice(0, 8)}`;
  return {
    provider: 'local',
    keyRef,
    wrap: async (dataKey) => gcmSeal(kek, dataKey, keyRef),
    unwrap: async (wrapped) => gcmOpen(kek, wrapped, keyRef),
  };
}

export interface VaultTransitOptions {
  /** e.g. https://vault.example.com:8200 */
  address: string;
  token: string;
  namespace?: string;
  /** The transit key's name (created with `vault write -f transit/keys/<name>`). */
  keyName: string;
  /** The transit engine's mount path (default "transit"). */
  mount?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** A KEK held by HashiCorp Vault's transit engine: data keys go to Vault to be wrapped and unwrapped. */
export function vaultTransitKek(opts: VaultTransitOptions): KeyEncryptionKey {
  const doFetch = opts.fetch ?? fetch;
  const base = `${opts.address.replace(/\/$/, '')}/v1/${opts.mount ?? 'transit'}`;
  const call = async (op: 'encrypt' | 'decrypt', body: Record<string, string>) => {
    let res: Response;
    try {
      res = await doFetch(`${base}/${op}/${encodeURIComponent(opts.keyName)}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-vault-token': opts.token,
          ...(opts.namespace ? { 'x-vault-namespace': opts.namespace } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5_000),
      });
    } catch (err) {
      throw new EnvelopeError(`Vault did not answer (${(err as Error).message}).`);
    }
    const json = (await res.json().catch(() => ({}))) as { data?: Record<string, string>; errors?: string[] };
    if (!res.ok || !json.data) {
      // Vault's error texts never contain the plaintext or the token.
      throw new EnvelopeError(
        `Vault refused to ${op} (${res.status}): ${(json.errors ?? []).join('; ') || 'no reason'}`,
      );
    }
    return json.data;
  };
  return {
    provider: 'vault',
    keyRef: `vault:${opts.keyName}`,
    async wrap(dataKey) {
      const data = await call('encrypt', { plaintext: dataKey.toString('base64') });
      if (!data.ciphertext?.startsWith('vault:')) throw new EnvelopeError('Vault answered without a ciphertext.');
      return data.ciphertext;
    },
    async unwrap(wrapped) {
      const data = await call('decrypt', { ciphertext: wrapped });
      const key = Buffer.from(data.plaintext ?? '', 'base64');
      if (key.length !== 32) throw new EnvelopeError('Vault answered with a data key of the wrong size.');
      return key;
    },
  };
}

/** The KEK a deployment configured: Vault transit when given, else one derived from ENCRYPTION_KEY. */
export function createKek(
  keys:
    | { provider: 'local' }
    | { provider: 'vault'; address: string; token: string; namespace: string | undefined; transitKey: string },
  encryptionKey: Buffer,
  previousEncryptionKeys: readonly Buffer[] = [],
): KeyEncryptionKey {
  // Local KEKs of earlier encryption keys open what they wrapped, also after a move to Vault.
  const previous = [...(keys.provider === 'vault' ? [encryptionKey] : []), ...previousEncryptionKeys]
    .filter((k) => k.length === 32)
    .map(localKek);
  const current =
    keys.provider === 'vault'
      ? vaultTransitKek({
          address: keys.address,
          token: keys.token,
          namespace: keys.namespace,
          keyName: keys.transitKey,
        })
      : localKek(encryptionKey);
  return previous.length ? { ...current, previous } : current;
}
