import { fromGrpcError } from '@core/platform';

/** Runs a Get RPC and turns NOT_FOUND into null: a missing row is an answer, not an error, for a nullable field. */
export async function getOrNull<T>(call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (err) {
    if (fromGrpcError(err)?.code === 'NOT_FOUND') return null;
    throw err;
  }
}

/**
 * The GraphQL enum value of a proto enum number: `SYNC_MODE_FULL` → `FULL`. GraphQL enums keep their
 * names as internal values because argument defaults (`mode = INCREMENTAL`) must stay printable.
 */
export function enumName(protoEnum: Record<string | number, string | number>, value: number, prefix: string): string {
  const name = protoEnum[value];
  if (typeof name !== 'string' || !name.startsWith(prefix) || name.endsWith('_UNSPECIFIED')) {
    throw new Error(`unexpected ${prefix}* value ${value} from the master-data service`);
  }
  return name.slice(prefix.length);
}
