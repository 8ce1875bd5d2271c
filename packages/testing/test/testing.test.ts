import { createServer, connect, type AddressInfo } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, startTcpProxy, uniquePrefix } from '../src/index.js';

function echoServer(): Promise<{ port: number; close(): void }> {
  const server = createServer((socket) => socket.pipe(socket));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as AddressInfo).port, close: () => server.close() })),
  );
}

function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(String(data));
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed without an answer')));
  });
}

describe('startTcpProxy', () => {
  it('forwards, cuts open and new connections, and restores', async () => {
    const echo = await echoServer();
    const proxy = await startTcpProxy('127.0.0.1', echo.port);
    try {
      expect(await roundTrip(proxy.port, 'ping')).toBe('ping');
      const open = connect(proxy.port, '127.0.0.1');
      await new Promise((resolve) => open.once('connect', resolve));
      const closed = new Promise((resolve) => open.once('close', resolve));
      proxy.cut();
      await closed;
      await expect(roundTrip(proxy.port, 'ping')).rejects.toThrow();
      proxy.restore();
      expect(await roundTrip(proxy.port, 'pong')).toBe('pong');
    } finally {
      await proxy.close();
      echo.close();
    }
  });
});

describe('createTestDatabase', () => {
  it('creates a usable uniquely named database and drops it', async () => {
    const [a, b] = await Promise.all([createTestDatabase('testing-helpers'), createTestDatabase('testing-helpers')]);
    expect(a.name).not.toBe(b.name);
    const client = new pg.Client({ connectionString: a.url });
    // pg reports the server ending the session (and then the closed socket) as 'error' events.
    const terminated = new Promise<Error>((resolve) => client.on('error', resolve));
    await client.connect();
    expect((await client.query('SELECT current_database() AS name')).rows[0].name).toBe(a.name);
    await a.drop();
    await b.drop();
    // DROP … WITH (FORCE) ends the sessions a test left open instead of failing on them.
    expect((await terminated).message).toMatch(/terminat/i);
  });

  it('gives distinct key prefixes', () => {
    expect(uniquePrefix('x')).not.toBe(uniquePrefix('x'));
  });
});
