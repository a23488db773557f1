// Password hashing: argon2id (memory-hard), OWASP parameters by default (19 MiB, 2 passes, 1 lane).
import { hash, verify } from '@node-rs/argon2';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hashed: string, password: string): Promise<boolean>;
}

// @node-rs/argon2's Algorithm.Argon2id (a const enum, which isolatedModules cannot import).
const ARGON2ID = 2;

export function createPasswordHasher(memoryKib: number): PasswordHasher {
  const options = { algorithm: ARGON2ID, memoryCost: memoryKib, timeCost: 2, parallelism: 1 } as const;
  return {
    hash: (password) => hash(password, options),
    async verify(hashed, password) {
      try {
        return await verify(hashed, password);
      } catch {
        return false;
      }
    },
  };
}
