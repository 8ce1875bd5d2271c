import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '..', '..', '..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

interface Started {
  child: ChildProcess;
  output: () => string;
  graphqlUrl: string;
}

/** Runs `npm start`'s entry point exactly as a newcomer would, with its data in a temp folder. */
async function startMesh(env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(join(repoRoot, 'node_modules', '.bin', 'tsx'), ['packages/embedded/src/main.ts'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const graphqlUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mesh did not start in time:\n${output}`)), 240_000);
    const check = () => {
      const match = /GraphQL:\s+(\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mesh exited with ${code} before it was ready:\n${output}`));
    });
  });
  return { child, output: () => output, graphqlUrl };
}

async function stopMesh(started: Started): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => started.child.once('exit', (code) => resolve(code)));
  started.child.kill('SIGINT');
  return exited;
}

async function query(url: string, body: string): Promise<{ data?: unknown; errors?: unknown[] }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: body }),
  });
  return (await response.json()) as { data?: unknown; errors?: unknown[] };
}

const CUSTOMERS = '{ customers(first: 5) { edges { node { code name region { name } } } } }';

describe('embedded start (npm start)', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mesh-embedded-'));
    env = {
      MESH_DATA_DIR: dataDir,
      GATEWAY_PORT: String(await freePort()),
      MASTERDATA_SUBGRAPH_PORT: String(await freePort()),
      MASTERDATA_GRPC_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
    };
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('loads the demo data, serves the customer query through the gateway, stops cleanly and reuses the data', async () => {
    const first = await startMesh(env);
    expect(first.output()).toContain('demo data: loaded');
    expect(first.output()).toMatch(/gRPC master-data: 127\.0\.0\.1:\d+/);
    const result = await query(first.graphqlUrl, CUSTOMERS);
    expect(result.errors).toBeUndefined();
    const edges = (result.data as { customers: { edges: Array<{ node: { code: string; name: string; region: { name: string } | null } }> } })
      .customers.edges;
    expect(edges).toHaveLength(5);
    for (const { node } of edges) {
      expect(node.code).toMatch(/\S/);
      expect(node.name).toMatch(/\S/);
      expect(node.region?.name).toMatch(/\S/);
    }
    expect(await stopMesh(first)).toBe(0);

    const second = await startMesh(env);
    expect(second.output()).toContain('demo data: reused');
    const again = await query(second.graphqlUrl, CUSTOMERS);
    expect(again).toEqual(result);
    expect(await stopMesh(second)).toBe(0);
  }, 600_000);
});
