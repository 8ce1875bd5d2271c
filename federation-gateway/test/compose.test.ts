import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { breakingChanges, composeSupergraph, loadSupergraphConfig, subgraphsOf, supergraphPath } from '../src/supergraph.js';

const run = promisify(execFile);
const repoRoot = new URL('../../', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'compose-test-'));

async function compose(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const tsx = join(repoRoot, 'node_modules/.bin/tsx');
    const { stdout, stderr } = await run(tsx, ['scripts/compose-supergraph.ts', ...args], { cwd: repoRoot });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('supergraph composition', () => {
  it('the committed supergraph is what composing the subgraph schemas produces', async () => {
    const result = await compose('--check');
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('up to date');
    expect(result.code).toBe(0);
    expect(composeSupergraph(loadSupergraphConfig())).toBe(readFileSync(supergraphPath, 'utf8'));
  });

  it('records every configured subgraph with its default routing URL', () => {
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    const config = loadSupergraphConfig();
    expect(subgraphsOf(readFileSync(supergraphPath, 'utf8')).sort(byName)).toEqual(
      config.map((subgraph) => ({ name: subgraph.name, url: subgraph.routingUrl })).sort(byName),
    );
  });

  it('--check fails on a stale file and names the breaking changes a fresh composition makes', async () => {
    // A committed file that still has a field the subgraphs no longer serve: composing removes it.
    const committed = readFileSync(supergraphPath, 'utf8');
    const stale = committed.replace(
      /(type Region\b[^{]*\{)/,
      '$1\n  """Legacy field."""\n  legacyCode: String @join__field(graph: MASTERDATA)\n',
    );
    expect(stale).not.toBe(committed);
    const file = join(scratch, 'stale.graphql');
    writeFileSync(file, stale);

    const result = await compose('--check', '--supergraph', file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is stale');
    expect(result.stderr).toContain('breaking change: FIELD_REMOVED: Region.legacyCode was removed.');
    expect(readFileSync(file, 'utf8')).toBe(stale);
  });

  it('--check fails when the supergraph file is missing', async () => {
    const result = await compose('--check', '--supergraph', join(scratch, 'absent.graphql'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is missing');
  });

  it('breakingChanges reports removed fields and changed argument types, and nothing for an unchanged graph', () => {
    const committed = readFileSync(supergraphPath, 'utf8');
    expect(breakingChanges(committed, committed)).toEqual([]);

    const config = loadSupergraphConfig();
    const masterData = config.find((subgraph) => subgraph.name === 'masterdata');
    const sdl = readFileSync(masterData!.schemaFile, 'utf8');
    const regionType = 'type Region @key(fields: "code") {\n  "REGION_CODE."\n  code: String!\n  "REGION_NAME."\n  name: String!\n  "LAST_UPDATE_DATE in the source."\n  updatedAt: DateTime\n}';
    const regionLookup = 'region("Region code." code: String!): Region';
    expect(sdl).toContain(regionType);
    expect(sdl).toContain(regionLookup);
    const changedFile = join(scratch, 'changed.graphql');
    writeFileSync(
      changedFile,
      sdl
        .replace(regionType, 'type Region @key(fields: "code") {\n  "REGION_CODE."\n  code: String!\n  "REGION_NAME."\n  name: String!\n}')
        .replace(regionLookup, 'region("Region code." code: Int!): Region'),
    );
    // Only master data changes; the other subgraphs compose as committed.
    const changed = composeSupergraph(config.map((subgraph) => (subgraph === masterData ? { ...subgraph, schemaFile: changedFile } : subgraph)));

    expect(breakingChanges(committed, changed).sort()).toEqual([
      'ARG_CHANGED_KIND: Query.region arg code has changed type from String! to Int!.',
      'FIELD_REMOVED: Region.updatedAt was removed.',
    ]);
  });
});
