import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';

/** argon2id cost parameters (see IDENTITY_ARGON2_* in the config). */
export interface PasswordCost {
  readonly memoryKib: number;
  readonly timeCost: number;
}

/** Hashes and checks passwords with argon2id. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Whether a stored hash was made with other parameters and should be replaced after a successful login. */
  needsRehash(hash: string): boolean;
  /**
   * Spends the same time as a real check against an account that does not exist, so response
   * times do not reveal which logins exist.
   */
  verifyNothing(password: string): Promise<void>;
}

/** An argon2id hasher; parallelism 1 keeps one login to one libuv thread on small nodes. */
export async function createPasswordHasher(cost: PasswordCost): Promise<PasswordHasher> {
  const options = { type: argon2.argon2id, memoryCost: cost.memoryKib, timeCost: cost.timeCost, parallelism: 1 } as const;
  const hash = (password: string) => argon2.hash(password, options);
  const decoy = await hash(randomBytes(32).toString('base64url'));
  return {
    hash,
    verify: (stored, password) => argon2.verify(stored, password),
    needsRehash: (stored) => argon2.needsRehash(stored, options),
    async verifyNothing(password) {
      await argon2.verify(decoy, password);
    },
  };
}
