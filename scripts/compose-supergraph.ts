/**
 * `npm run compose`: composes every subgraph listed in federation-gateway/supergraph.config.json into
 * federation-gateway/supergraph.graphql (committed, served by the gateway).
 *
 * `npm run compose -- --check` (CI): exits 1 when the committed file differs from a fresh
 * composition, and lists the client-breaking changes a fresh composition would make.
 * `--supergraph <file>` compares with (or writes) another file than the committed one.
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
  const fileArgument = argv.indexOf('--supergraph');
  const target = fileArgument >= 0 ? argv[fileArgument + 1] : supergraphPath;
  if (target === undefined) {
    process.stderr.write('--supergraph needs a file path\n');
    return 2;
  }
  let composed: string;
  try {
    composed = composeSupergraph(loadSupergraphConfig());
  } catch (error) {
    process.stderr.write(`${error instanceof CompositionError ? error.message : String(error)}\n`);
    return 1;
  }
  const committed = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
  const breaking = committed === undefined ? [] : breakingChanges(committed, composed);
  for (const change of breaking) process.stderr.write(`breaking change: ${change}\n`);

  if (check) {
    if (committed === composed) {
      process.stdout.write('supergraph.graphql is up to date\n');
      return 0;
    }
    process.stderr.write(
      committed === undefined
        ? `${target} is missing: run \`npm run compose\` and commit it\n`
        : `${target} is stale: run \`npm run compose\` and commit the result\n`,
    );
    return 1;
  }
  if (committed !== composed) writeFileSync(target, composed);
  process.stdout.write(
    `${committed === composed ? 'unchanged' : 'wrote'} ${target}` +
      `${breaking.length > 0 ? ` (${breaking.length} breaking change(s), see above)` : ''}\n`,
  );
  return 0;
}

process.exitCode = main(process.argv.slice(2));
