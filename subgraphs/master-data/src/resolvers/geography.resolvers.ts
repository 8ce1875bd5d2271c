import type { City, District, SubDistrict } from '@core/contracts/masterdata/v1';
import { toConnection } from '@core/platform/graphql-connections';
import { pageRequest, text } from '../arguments.js';
import type { MasterDataContext } from '../context.js';
import { getOrNull } from './lookup.js';

interface GeoListArgs {
  first?: number;
  after?: string | null;
  query?: string | null;
  updatedSince?: Date | null;
}

function listRequest(args: GeoListArgs) {
  return { ...pageRequest(args.first, args.after), query: text(args.query), updatedSince: args.updatedSince ?? undefined };
}

/**
 * The administrative tree of Indonesia: provinsi → kota/kabupaten → kecamatan → kelurahan/desa.
 * The four levels share one file because each is a thin mapping of the same shape.
 */
export const geographyResolvers = {
  Query: {
    async provinces(_: unknown, args: GeoListArgs, ctx: MasterDataContext) {
      const page = await ctx.masterData.listProvinces(listRequest(args));
      return toConnection(page.provinces, page.nextPageToken);
    },
    async province(_: unknown, args: { code: string }, ctx: MasterDataContext) {
      return (await getOrNull(() => ctx.masterData.getProvince({ code: args.code })))?.province ?? null;
    },
    async cities(_: unknown, args: GeoListArgs & { provinceCode?: string | null }, ctx: MasterDataContext) {
      const page = await ctx.masterData.listCities({ ...listRequest(args), provinceCode: text(args.provinceCode) });
      return toConnection(page.cities, page.nextPageToken);
    },
    async city(_: unknown, args: { code: string }, ctx: MasterDataContext) {
      return (await getOrNull(() => ctx.masterData.getCity({ code: args.code })))?.city ?? null;
    },
    async districts(_: unknown, args: GeoListArgs & { cityCode?: string | null }, ctx: MasterDataContext) {
      const page = await ctx.masterData.listDistricts({ ...listRequest(args), cityCode: text(args.cityCode) });
      return toConnection(page.districts, page.nextPageToken);
    },
    async district(_: unknown, args: { code: string }, ctx: MasterDataContext) {
      return (await getOrNull(() => ctx.masterData.getDistrict({ code: args.code })))?.district ?? null;
    },
    async subDistricts(_: unknown, args: GeoListArgs & { districtCode?: string | null }, ctx: MasterDataContext) {
      const page = await ctx.masterData.listSubDistricts({ ...listRequest(args), districtCode: text(args.districtCode) });
      return toConnection(page.subDistricts, page.nextPageToken);
    },
    async subDistrict(_: unknown, args: { code: string }, ctx: MasterDataContext) {
      return (await getOrNull(() => ctx.masterData.getSubDistrict({ code: args.code })))?.subDistrict ?? null;
    },
  },
  Province: {
    __resolveReference: (ref: { code: string }, ctx: MasterDataContext) => ctx.loaders.provinces.load(ref.code),
  },
  City: {
    __resolveReference: (ref: { code: string }, ctx: MasterDataContext) => ctx.loaders.cities.load(ref.code),
    province: (c: City, _: unknown, ctx: MasterDataContext) =>
      c.provinceCode !== '' ? ctx.loaders.provinces.load(c.provinceCode) : null,
  },
  District: {
    __resolveReference: (ref: { code: string }, ctx: MasterDataContext) => ctx.loaders.districts.load(ref.code),
    city: (d: District, _: unknown, ctx: MasterDataContext) => (d.cityCode !== '' ? ctx.loaders.cities.load(d.cityCode) : null),
  },
  SubDistrict: {
    __resolveReference: (ref: { code: string }, ctx: MasterDataContext) => ctx.loaders.subDistricts.load(ref.code),
    district: (s: SubDistrict, _: unknown, ctx: MasterDataContext) =>
      s.districtCode !== '' ? ctx.loaders.districts.load(s.districtCode) : null,
  },
};
