// Wallet keys: made here, sealed at once (envelope encryption bound to the wallet's address), and opened only for the
// moment a transfer is signed. No function returns a key to a caller: signing takes a callback, and the key's text
// never reaches a log, an error, an audit row or the API.
import type { Hex } from 'viem';
import { addressOf, newPrivateKey } from '../../platform/chain/evm.js';
import { type Envelope, EnvelopeError, type KeyEncryptionKey, open, seal } from '../../platform/crypto/envelope.js';
import type { Tx } from '../audit/audit.service.js';
import { ConflictError, WalletError } from '../shared/errors.js';

/** A new key, sealed: its address and the envelope to store (wallet_keys). The key itself is not returned. */
export async function createSealedKey(kek: KeyEncryptionKey): Promise<{ address: string; envelope: Envelope }> {
  const privateKey = newPrivateKey();
  const address = addressOf(privateKey);
  return { address, envelope: await seal(kek, Buffer.from(privateKey.slice(2), 'hex'), keyContext(address)) };
}

/** The sealed key belongs to this address (a key copied onto another wallet's row does not open). */
const keyContext = (address: string) => `chimera-wallet:${address.toLowerCase()}`;

/** Opens the wallet's key for `use` alone (the bytes are wiped afterwards; the hex string is left to the GC). */
export async function withWalletKey<T>(
  tx: Pick<Tx, 'walletKey'>,
  kek: KeyEncryptionKey,
  wallet: { id: string; address: string },
  use: (privateKey: Hex) => Promise<T>,
): Promise<T> {
  const row = await tx.walletKey.findUnique({ where: { walletId: wallet.id } });
  if (!row) throw new ConflictError('Wallet', wallet.id, 'has no key held by Chimera, so it cannot sign.');
  let bytes: Buffer;
  try {
    bytes = await open(
      kek,
      {
        provider: row.kekProvider as Envelope['provider'],
        keyRef: row.kekRef,
        wrappedKey: row.wrappedKey,
        ciphertext: row.ciphertext,
      },
      keyContext(wallet.address),
    );
  } catch (err) {
    throw new WalletError(
      'WALLET_KEY_UNAVAILABLE',
      `The wallet's key cannot be opened: ${err instanceof EnvelopeError ? err.message : 'the key service failed.'}`,
    );
  }
  try {
    const privateKey = `0x${bytes.toString('hex')}` as Hex;
    if (addressOf(privateKey).toLowerCase() !== wallet.address.toLowerCase()) {
      throw new WalletError('WALLET_KEY_UNAVAILABLE', "The wallet's stored key does not control its address.");
    }
    return await use(privateKey);
  } finally {
    bytes.fill(0);
  }
}
