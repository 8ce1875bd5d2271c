import type { Role } from './roles.js';
import type { UserScope } from './user.rules.js';

/** A demo account created by IDENTITY_SEED_DEMO=true (embedded and demo installations only). */
export interface DemoAccount {
  readonly role: Role;
  readonly username: string;
  readonly email: string;
  /** Employees also sign in by NIP (Nomor Induk Pegawai). */
  readonly nip: string | null;
  readonly name: string;
  /** Documented on purpose: these accounts exist only where IDENTITY_SEED_DEMO is on, never in production. */
  readonly password: string;
  readonly scope: UserScope;
}

const scope = (area: string, region: string, unit: string, approvalLevel: number | null): UserScope => ({
  area,
  region,
  unit,
  approvalLevel,
});

/**
 * One account per role. Sign in with the username (e.g. `demo.admin`), the email, or for
 * employees the NIP; the password is `demo-<role>-pass` (e.g. `demo-admin-pass`).
 */
export const DEMO_ACCOUNTS: readonly DemoAccount[] = (
  [
    ['admin', 'Demo Administrator', null, scope('', '', 'HEAD-OFFICE', null)],
    ['data-team', 'Demo Data Team', null, scope('', '', 'IT', null)],
    ['nasional', 'Demo Nasional', '198001010001', scope('', '', 'HEAD-OFFICE', 6)],
    ['regional', 'Demo Regional', '198002020002', scope('', 'JATIM', 'SBY', 4)],
    ['amo', 'Demo AMO', '198503030003', scope('SBY-1', 'JATIM', 'SBY', 3)],
    ['tl', 'Demo Team Leader', '199004040004', scope('SBY-1', 'JATIM', 'SBY', 2)],
    ['md', 'Demo Merchandiser', '199505050005', scope('SBY-1', 'JATIM', 'SBY', null)],
    ['sppd-approver', 'Demo SPPD Approver', '197806060006', scope('', 'JATIM', 'SBY', 5)],
    ['voucher-office', 'Demo Voucher Office', null, scope('', '', 'VOUCHER', 1)],
    ['wholesaler', 'Demo Wholesaler', null, scope('SBY-1', 'JATIM', '', null)],
  ] as const
).map(([role, name, nip, accountScope]) => ({
  role,
  username: `demo.${role}`,
  email: `${role}@demo.core.local`,
  nip,
  name,
  password: `demo-${role}-pass`,
  scope: accountScope,
}));
