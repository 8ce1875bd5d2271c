import type { Employee } from '@core/contracts/masterdata/v1';
import { presentText, toConnection } from '@core/platform/graphql-connections';
import { pageRequest, presentId, text } from '../arguments.js';
import type { MasterDataContext } from '../context.js';
import { getOrNull } from './lookup.js';

interface EmployeesArgs {
  first?: number;
  after?: string | null;
  query?: string | null;
  updatedSince?: Date | null;
  branchCode?: string | null;
  salesmenOnly?: boolean | null;
}

/** Employees: list, lookup by number (NIP), entity resolution, and the branch and supervisor links. */
export const employeeResolvers = {
  Query: {
    async employees(_: unknown, args: EmployeesArgs, ctx: MasterDataContext) {
      const page = await ctx.masterData.listEmployees({
        ...pageRequest(args.first, args.after),
        query: text(args.query),
        updatedSince: args.updatedSince ?? undefined,
        branchCode: text(args.branchCode),
        salesmenOnly: args.salesmenOnly ?? false,
      });
      return toConnection(page.employees, page.nextPageToken);
    },
    async employee(_: unknown, args: { number: string }, ctx: MasterDataContext) {
      return (await getOrNull(() => ctx.masterData.getEmployee({ number: args.number })))?.employee ?? null;
    },
  },
  Employee: {
    __resolveReference: (ref: { number: string }, ctx: MasterDataContext) => ctx.loaders.employees.load(ref.number),
    salesrepId: (e: Employee) => presentId(e.salesrepId),
    supervisorNumber: (e: Employee) => presentText(e.supervisorNumber),
    supervisor: (e: Employee, _: unknown, ctx: MasterDataContext) =>
      e.supervisorNumber !== '' ? ctx.loaders.employees.load(e.supervisorNumber) : null,
    branch: (e: Employee, _: unknown, ctx: MasterDataContext) =>
      e.branchId !== 0 ? ctx.loaders.branches.load({ id: e.branchId }) : null,
    subinventoryCode: (e: Employee) => presentText(e.subinventoryCode),
    locatorId: (e: Employee) => presentId(e.locatorId),
    effectiveStartDate: (e: Employee) => e.effectiveStartDate ?? null,
    effectiveEndDate: (e: Employee) => e.effectiveEndDate ?? null,
  },
};
