/**
 * `npm run compose`: composes every subgraph listed in federation-gateway/supergraph.config.json into
 * federation-gateway/supergraph.graphql (committed, served by the gateway).
 *
 * `npm run compose -- --check` (CI): exits 1 when the committed file differs from a fresh
 * composition, and lists the client-breaking changes a fresh composition would make.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import {
  breakingChanges,
  CompositionError,
  composeSupergraph,
  loadSupergraphConfig,
  supergraphPath,
} from '../federation-gateway/src/supergraph.js';

function main(argv: string[]): number {
  const check = argv.includes('--check');
  let composed: string;
  try {
    composed = composeSupergraph(loadSupergraphConfig());
  } catch (error) {
    process.stderr.write(`${error instanceof CompositionError ? error.message : String(error)}\n`);
    return 1;
  }
  const committed = existsSync(supergraphPath) ? readFileSync(supergraphPath, 'utf8') : undefined;
  const breaking = committed === undefined ? [] : breakingChanges(committed, composed);
  for (const change of breaking) process.stderr.write(`breaking change: ${change}\n`);

  if (check) {
    if (committed === composed) {
      process.stdout.write('supergraph.graphql is up to date\n');
      return 0;
    }
    process.stderr.write(
      committed === undefined
        ? 'federation-gateway/supergraph.graphql is missing: run `npm run compose` and commit it\n'
        : 'federation-gateway/supergraph.graphql is stale: run `npm run compose` and commit the result\n',
    );
    return 1;
  }
  if (committed !== composed) writeFileSync(supergraphPath, composed);
  process.stdout.write(
    `${committed === composed ? 'unchanged' : 'wrote'} federation-gateway/supergraph.graphql` +
      `${breaking.length > 0 ? ` (${breaking.length} breaking change(s), see above)` : ''}\n`,
  );
  return 0;
}

process.exitCode = main(process.argv.slice(2));
