/**
 * Every role of the mesh, in one place. Roles are coarse grants that services check per RPC;
 * scopes (area, region, unit, approval level) narrow what a role sees.
 */
export const ROLES = [
  /** User and service-client administration, audit. */
  'admin',
  /** Master-data sync triggers and cache control. */
  'data-team',
  /** Sales management across the whole country. */
  'nasional',
  /** Sales management of one region. */
  'regional',
  /** Area marketing officer: one area. */
  'amo',
  /** Team leader of merchandisers. */
  'tl',
  /** Merchandiser: field visits. */
  'md',
  /** Approves SPPD (official travel orders) up to the user's approval level. */
  'sppd-approver',
  /** Runs the retailer voucher programme. */
  'voucher-office',
  /** A wholesaler redeeming vouchers. */
  'wholesaler',
] as const;

/** One role name. */
export type Role = (typeof ROLES)[number];

/** The role every administrative RPC of the identity service needs. */
export const ADMIN_ROLE: Role = 'admin';

const known = new Set<string>(ROLES);

/** Whether `name` is a role of the mesh. */
export function isRole(name: string): name is Role {
  return known.has(name);
}
