import { loadConfig, logConfig, portVariable } from '@core/platform';
import { z } from 'zod';
import type { AuditSource } from './audit/audit-log.js';

const SOURCE_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * `name=address` pairs separated by commas, e.g.
 * `identity=dns:///identity-headless:50052,master-data=dns:///master-data-headless:50051`.
 */
const auditSources = z
  .string()
  .optional()
  .transform((text, ctx): AuditSource[] | undefined => {
    if (text === undefined || text.trim() === '') return undefined;
    const sources: AuditSource[] = [];
    for (const entry of text.split(',')) {
      const [name = '', address = ''] = entry.trim().split(/=(.*)/s, 2);
      if (!SOURCE_NAME.test(name) || address.trim() === '') {
        ctx.addIssue({ code: 'custom', message: `"${entry.trim()}" is not name=address (name: lowercase letters, digits, -)` });
      } else if (sources.some((source) => source.name === name)) {
        ctx.addIssue({ code: 'custom', message: `${name} is listed twice` });
      } else {
        sources.push({ name, address: address.trim() });
      }
    }
    return sources;
  });

const schema = z.object({
  ...logConfig,
  /** HTTP port of the subgraph (4002 by convention). */
  PORT: portVariable(4002),
  HOST: z.string().default('0.0.0.0'),
  /** Where the identity gRPC service listens; `dns:///svc-headless:50052` spreads over replicas. */
  IDENTITY_GRPC_ADDRESS: z.string().min(1).default('127.0.0.1:50052'),
  /**
   * The services whose audit logs `auditEvents` merges, as `name=address` pairs (see above); unset
   * means the identity service alone.
   */
  AUDIT_SOURCES: auditSources,
});

/** The subgraph's settings, validated once at start. */
export type IdentitySubgraphConfig = z.infer<typeof schema>;

/** Reads and validates the environment (the only place this package reads it). */
export function loadIdentitySubgraphConfig(env: NodeJS.ProcessEnv = process.env): IdentitySubgraphConfig {
  return loadConfig(schema, env);
}
