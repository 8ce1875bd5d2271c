import { request } from 'node:http';
import type { Data } from '../../subgraphs/master-data/test/stack.js';

/** One HTTP answer, body as text. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON (throws if it is not); its shape is what the assertions check. */
  json(): Data;
}

/** Options of {@link send}. */
export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /**
   * Source address of the connection, e.g. `127.0.0.2`: on Linux every 127.0.0.0/8 address is
   * local, so a test can be a second, distinct client of a server on 127.0.0.1.
   */
  localAddress?: string;
}

/** A request over a fresh connection (no keep-alive), so the source address is exactly the one given. */
export function send(url: string, options: SendOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, localAddress: options.localAddress, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POSTs a GraphQL operation as JSON. */
export function postQuery(
  url: string,
  body: { query?: string; variables?: Record<string, unknown>; operationName?: string; extensions?: Record<string, unknown> },
  options: Omit<SendOptions, 'method' | 'body'> = {},
): Promise<HttpAnswer> {
  return send(url, {
    ...options,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(body),
  });
}
