// Reading a backup's part files back: each part's encryption context, and a staged file as plaintext.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { OperationsError } from './backup-errors.js';
import type { PartName } from './backup-manifest.js';
import type { CipherPort } from './backup-ports.js';

/** Authenticated with every frame of the part's encryption: a part cannot be passed off as another's. */
export const partContext = (id: string, part: PartName) => `${id}/${part}`;

/** A staged part file, decrypted on the way out when the backup is encrypted. */
export function openPart(
  path: string,
  deps: { cipher?: CipherPort | undefined },
  context: string,
  encrypted: boolean,
): Readable {
  if (encrypted && !deps.cipher) {
    throw new OperationsError(
      'BACKUP_KEY_REQUIRED',
      'This backup is encrypted: set BACKUP_ENCRYPTION_KEY to restore it.',
    );
  }
  const file = createReadStream(path);
  if (!encrypted || !deps.cipher) return file;
  const plain = deps.cipher.decrypt(context);
  file.on('error', (err) => plain.destroy(err));
  return file.pipe(plain);
}
