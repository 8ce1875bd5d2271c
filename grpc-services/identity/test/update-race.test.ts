import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdentity, type TestIdentity } from './helpers.js';

let t: TestIdentity;

beforeAll(async () => {
  t = await startTestIdentity('update_race');
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

describe('concurrent user updates', () => {
  it('never lets concurrent updates clear every login identifier of a user', async () => {
    const as = await admin();
    for (let round = 0; round < 5; round++) {
      const { user } = await t.identity.createUser(
        { username: `race.user${round}`, email: `race${round}@demo.core.local`, name: 'Race User', roles: ['amo'], password: 'race-password-1' },
        as,
      );
      // One clears the username, the other the email: either alone is fine, both would leave none.
      const results = await Promise.allSettled([
        t.identity.updateUser({ user: { ...user!, username: '' }, updateMask: ['username'] }, as),
        t.identity.updateUser({ user: { ...user!, email: '' }, updateMask: ['email'] }, as),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(String(refused.reason)).toMatch(/INVALID_ARGUMENT/);
      const { user: after } = await t.identity.getUser({ id: user!.id }, as);
      expect(Boolean(after!.username) || Boolean(after!.email)).toBe(true);
    }
  });

});

async function admin() {
  return t.as(await t.tokenOf('admin'));
}
