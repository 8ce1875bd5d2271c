import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ACCOUNTS } from '@core/identity-service';
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

async function query(url: string, body: string, token?: string): Promise<{ data?: unknown; errors?: unknown[] }> {
  return post(url, JSON.stringify({ query: body }), token);
}

async function post(url: string, body: string, token?: string): Promise<{ data?: unknown; errors?: unknown[] }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  return (await response.json()) as { data?: unknown; errors?: unknown[] };
}

interface Login {
  login: { accessToken: string; refreshToken: string; user: { name: string; roles: string[] } };
}

/** The JSON body of the banner's ready-to-paste `curl … -d '<body>'` login. */
function bannerLoginBody(output: string): string {
  const match = /curl -s (\S+) -H 'content-type: application\/json' -d '(\{"query":"mutation \{ login\(.*?)'$/m.exec(output);
  expect(match, `no login curl in the banner:\n${output}`).not.toBeNull();
  return match![2]!;
}

const ME = '{ me { username roles } }';

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
      IDENTITY_GRPC_PORT: String(await freePort()),
      IDENTITY_SUBGRAPH_PORT: String(await freePort()),
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
    // Identity: the banner's login works as pasted, and a demo account signs in through the gateway.
    expect(first.output()).toContain(`demo accounts: created ${DEMO_ACCOUNTS.length}`);
    expect(first.output()).toMatch(/gRPC identity: 127\.0\.0\.1:\d+/);
    expect(first.output()).toMatch(/JWKS:\s+http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json/);
    for (const account of DEMO_ACCOUNTS) expect(first.output()).toContain(`${account.username} / ${account.password}`);
    const bannerLogin = await post(first.graphqlUrl, bannerLoginBody(first.output()));
    expect(bannerLogin.errors).toBeUndefined();
    expect((bannerLogin.data as Login).login.user.roles).toEqual(['admin']);

    const merchandiser = DEMO_ACCOUNTS.find((account) => account.role === 'md')!;
    const signIn = `mutation { login(login: "${merchandiser.nip}", password: "${merchandiser.password}") { accessToken refreshToken user { name roles } } }`;
    const login = await query(first.graphqlUrl, signIn);
    expect(login.errors).toBeUndefined();
    const { accessToken } = (login.data as Login).login;
    expect((login.data as Login).login.user).toEqual({ name: merchandiser.name, roles: ['md'] });
    // Master data needs a signed-in caller: refused without a token, served with the md's one.
    const refused = await query(first.graphqlUrl, CUSTOMERS);
    expect((refused.errors as Array<{ extensions: { code: string } }>).map((e) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
    const result = await query(first.graphqlUrl, CUSTOMERS, accessToken);
    expect(result.errors).toBeUndefined();
    const edges = (result.data as { customers: { edges: Array<{ node: { code: string; name: string; region: { name: string } | null } }> } })
      .customers.edges;
    expect(edges).toHaveLength(5);
    for (const { node } of edges) {
      expect(node.code).toMatch(/\S/);
      expect(node.name).toMatch(/\S/);
      expect(node.region?.name).toMatch(/\S/);
    }

    // Uploads: stored under the data folder for a signed-in caller, typed by content.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
    const upload = new FormData();
    upload.append('file', new Blob([png]), 'foto-toko.jpg');
    const uploaded = await fetch(first.graphqlUrl.replace(/\/graphql$/, '/uploads'), { method: 'POST', headers: { authorization: `Bearer ${accessToken}` }, body: upload });
    expect(uploaded.status).toBe(201);
    expect(await uploaded.json()).toMatchObject({ contentType: 'image/png', size: png.length });
    const me = await query(first.graphqlUrl, ME, accessToken);
    expect(me).toEqual({ data: { me: { username: merchandiser.username, roles: ['md'] } } });
    const anonymous = await query(first.graphqlUrl, ME);
    expect((anonymous.errors as Array<{ extensions: { code: string } }>).map((e) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);

    // Audit: the data team's cache drop (master data) and the sign-ins (identity) are one log for an admin.
    const dataTeam = DEMO_ACCOUNTS.find((account) => account.role === 'data-team')!;
    const dataTeamLogin = await query(first.graphqlUrl, `mutation { login(login: "${dataTeam.username}", password: "${dataTeam.password}") { accessToken } }`);
    const dropped = await query(first.graphqlUrl, 'mutation { invalidateMasterDataCache(entity: "customer") }', (dataTeamLogin.data as Login).login.accessToken);
    expect(dropped.errors).toBeUndefined();
    const adminToken = (bannerLogin.data as Login).login.accessToken;
    const audit = await query(
      first.graphqlUrl,
      '{ auditEvents(first: 50) { edges { node { service action actor { name } clientAddress userAgent } } } }',
      adminToken,
    );
    expect(audit.errors).toBeUndefined();
    type AuditNode = { service: string; action: string; actor: { name: string } | null; clientAddress: string | null; userAgent: string | null };
    const nodes = (audit.data as { auditEvents: { edges: Array<{ node: AuditNode }> } }).auditEvents.edges.map(({ node }) => node);
    const events = nodes.map((node) => `${node.service} ${node.action} ${node.actor?.name}`);
    expect(events[0]).toBe(`master-data masterdata.InvalidateCache ${dataTeam.name}`);
    expect(events).toContain(`identity identity.Login ${merchandiser.name}`);
    // Where from: the gateway passes the client's address and user agent on to the services.
    expect(nodes[0]).toMatchObject({ clientAddress: '127.0.0.1', userAgent: expect.stringMatching(/\S/) });
    expect(await stopMesh(first)).toBe(0);

    const second = await startMesh(env);
    expect(second.output()).toContain('demo data: reused');
    expect(second.output()).toContain('demo accounts: reused');
    const again = await query(second.graphqlUrl, CUSTOMERS, accessToken);
    expect(again).toEqual(result);
    // The signing key and the accounts survived the restart: the earlier token still verifies.
    expect(await query(second.graphqlUrl, ME, accessToken)).toEqual(me);
    const loginAgain = await query(second.graphqlUrl, signIn);
    expect(loginAgain.errors).toBeUndefined();
    expect(await stopMesh(second)).toBe(0);
  }, 600_000);
});
