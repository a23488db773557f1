// Wallet keys against a real database: a key made and sealed here controls the address it is stored for, and it
// opens only for that wallet — not for a wallet without a key row, nor when the row holds another wallet's key.
import { randomBytes } from 'node:crypto';
import { getAddress, type Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, WalletError } from '../../../src/domain/shared/errors.js';
import { createSealedKey, withWalletKey } from '../../../src/domain/wallets/keys.js';
import { addressOf, newPrivateKey } from '../../../src/platform/chain/evm.js';
import { type Envelope, type KeyEncryptionKey, localKek, open, seal } from '../../../src/platform/crypto/envelope.js';
import { createDatabase, type Database } from '../../../src/platform/db/prisma.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

const BLOCKCHAIN = 'eip155:31337';
const kek = localKek(randomBytes(32));

let database: TestDatabase;
let db: Database;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolSize: 4 });
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

async function makeWallet(address: string) {
  return db.wallet.create({ data: { address, blockchain: BLOCKCHAIN }, select: { id: true, address: true } });
}

async function storeKey(walletId: string, envelope: Envelope) {
  await db.walletKey.create({
    data: {
      walletId,
      kekProvider: envelope.provider,
      kekRef: envelope.keyRef,
      wrappedKey: envelope.wrappedKey,
      ciphertext: envelope.ciphertext,
    },
  });
}

/** A wallet with a key made by createSealedKey, as the wallet service stores it. */
async function walletWithKey() {
  const { address, envelope } = await createSealedKey(kek);
  const wallet = await makeWallet(address);
  await storeKey(wallet.id, envelope);
  return { wallet, envelope };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the promise to reject');
    },
    (e: unknown) => e,
  );
}

describe('createSealedKey', () => {
  it('returns a checksummed address and an envelope for it, not the key', async () => {
    const sealed = await createSealedKey(kek);
    expect(Object.keys(sealed).sort()).toEqual(['address', 'envelope']);
    expect(sealed.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(sealed.address).toBe(getAddress(sealed.address.toLowerCase()));
    expect(sealed.envelope).toMatchObject({ provider: 'local', keyRef: kek.keyRef });
  });

  it('seals the 32-byte key bound to the lower-cased address', async () => {
    const { address, envelope } = await createSealedKey(kek);
    const bytes = await open(kek, envelope, `chimera-wallet:${address.toLowerCase()}`);
    expect(bytes).toHaveLength(32);
    expect(addressOf(`0x${bytes.toString('hex')}`)).toBe(address);
    const stored = JSON.stringify(envelope);
    expect(stored).not.toContain(bytes.toString('hex'));
    expect(stored).not.toContain(bytes.toString('base64url'));
  });

  it('makes a new key every time', async () => {
    const a = await createSealedKey(kek);
    const b = await createSealedKey(kek);
    expect(a.address).not.toBe(b.address);
    expect(a.envelope.ciphertext).not.toBe(b.envelope.ciphertext);
  });
});

describe('withWalletKey', () => {
  it('hands `use` the key that controls the wallet, and returns what `use` returns', async () => {
    const { wallet } = await walletWithKey();
    let seen: Hex | undefined;
    const result = await withWalletKey(db, kek, wallet, async (privateKey) => {
      seen = privateKey;
      return 'signed';
    });
    expect(result).toBe('signed');
    expect(seen).toMatch(/^0x[0-9a-f]{64}$/);
    expect(addressOf(seen!)).toBe(wallet.address);
  });

  it('works inside a transaction, and with the address in any case', async () => {
    const { wallet } = await walletWithKey();
    const address = await db.$transaction((tx) =>
      withWalletKey(tx, kek, { id: wallet.id, address: wallet.address.toLowerCase() }, async (key) => addressOf(key)),
    );
    expect(address).toBe(wallet.address);
  });

  it("passes on `use`'s own error", async () => {
    const { wallet } = await walletWithKey();
    const boom = new Error('signing failed');
    expect(
      await failure(
        withWalletKey(db, kek, wallet, async () => {
          throw boom;
        }),
      ),
    ).toBe(boom);
  });

  it('refuses a wallet without a key row (ConflictError)', async () => {
    const wallet = await makeWallet(addressOf(newPrivateKey()));
    let called = false;
    const err = await failure(
      withWalletKey(db, kek, wallet, async () => {
        called = true;
      }),
    );
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).code).toBe('CONFLICT');
    expect((err as ConflictError).message).toBe(`Wallet ${wallet.id} has no key held by Chimera, so it cannot sign.`);
    expect(called).toBe(false);
  });

  it("refuses a key row holding another wallet's key (WALLET_KEY_UNAVAILABLE)", async () => {
    const { envelope } = await walletWithKey();
    const victim = await makeWallet(addressOf(newPrivateKey()));
    await storeKey(victim.id, envelope);
    let called = false;
    const err = await failure(
      withWalletKey(db, kek, victim, async () => {
        called = true;
      }),
    );
    expect(err).toBeInstanceOf(WalletError);
    expect((err as WalletError).code).toBe('WALLET_KEY_UNAVAILABLE');
    expect((err as WalletError).message).toMatch(/^The wallet's key cannot be opened: The sealed value was tampered/);
    expect(called).toBe(false);
  });

  it('refuses a key sealed for the address that does not control it (WALLET_KEY_UNAVAILABLE)', async () => {
    const wallet = await makeWallet(addressOf(newPrivateKey()));
    const otherKey = newPrivateKey();
    const envelope = await seal(
      kek,
      Buffer.from(otherKey.slice(2), 'hex'),
      `chimera-wallet:${wallet.address.toLowerCase()}`,
    );
    await storeKey(wallet.id, envelope);
    let called = false;
    const err = await failure(
      withWalletKey(db, kek, wallet, async () => {
        called = true;
      }),
    );
    expect(err).toBeInstanceOf(WalletError);
    expect((err as WalletError).code).toBe('WALLET_KEY_UNAVAILABLE');
    expect((err as WalletError).message).toBe("The wallet's stored key does not control its address.");
    expect((err as Error).message).not.toContain(otherKey.slice(2));
    expect(called).toBe(false);
  });

  it('refuses a key sealed under another KEK, naming both key refs', async () => {
    const { wallet } = await walletWithKey();
    const other = localKek(randomBytes(32));
    const err = await failure(withWalletKey(db, other, wallet, async () => undefined));
    expect(err).toBeInstanceOf(WalletError);
    expect((err as WalletError).code).toBe('WALLET_KEY_UNAVAILABLE');
    expect((err as Error).message).toContain(kek.keyRef);
    expect((err as Error).message).toContain(other.keyRef);
  });

  it('refuses a tampered row', async () => {
    const { wallet, envelope } = await walletWithKey();
    const [v, iv, tag, ct] = envelope.ciphertext.split('.') as [string, string, string, string];
    const bytes = Buffer.from(ct, 'base64url');
    bytes[0]! ^= 0xff;
    await db.walletKey.update({
      where: { walletId: wallet.id },
      data: { ciphertext: [v, iv, tag, bytes.toString('base64url')].join('.') },
    });
    const err = await failure(withWalletKey(db, kek, wallet, async () => undefined));
    expect(err).toBeInstanceOf(WalletError);
    expect((err as WalletError).code).toBe('WALLET_KEY_UNAVAILABLE');
  });

  it('does not pass on the text of a KEK failure that is not an EnvelopeError', async () => {
    const { wallet } = await walletWithKey();
    const failing: KeyEncryptionKey = {
      provider: kek.provider,
      keyRef: kek.keyRef,
      wrap: kek.wrap,
      unwrap: async () => {
        throw new Error('socket hang up at 10.0.0.7 with token hvs.secret');
      },
    };
    const err = await failure(withWalletKey(db, failing, wallet, async () => undefined));
    expect(err).toBeInstanceOf(WalletError);
    expect((err as WalletError).code).toBe('WALLET_KEY_UNAVAILABLE');
    expect((err as Error).message).toBe("The wallet's key cannot be opened: the key service failed.");
  });
});
