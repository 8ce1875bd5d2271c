import type { Logger } from '@core/platform';
import type { PasswordHasher } from '../auth/passwords.js';
import { DEMO_ACCOUNTS } from '../domain/demo-accounts.js';
import type { UserStore } from './user.store.js';

/**
 * Creates the demo accounts that do not exist yet (one per role, see DEMO_ACCOUNTS); existing
 * accounts, and any password someone changed, are left alone. Returns how many were created.
 */
export async function seedDemoAccounts(users: UserStore, passwords: PasswordHasher, now: Date, logger: Logger): Promise<number> {
  let created = 0;
  for (const account of DEMO_ACCOUNTS) {
    const inserted = await users.createIfAbsent(
      {
        username: account.username,
        email: account.email,
        nip: account.nip,
        name: account.name,
        roles: [account.role],
        scope: account.scope,
        passwordHash: await passwords.hash(account.password),
      },
      now,
    );
    if (inserted !== undefined) created += 1;
  }
  if (created > 0) logger.info({ created }, 'demo accounts created (password demo-<role>-pass)');
  return created;
}
