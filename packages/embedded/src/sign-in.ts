import { DEMO_ACCOUNTS, type DemoAccount } from '@core/identity-service';

/** The account the banner's ready-to-paste login uses. */
export const BANNER_ACCOUNT: DemoAccount = DEMO_ACCOUNTS.find((account) => account.role === 'admin') ?? DEMO_ACCOUNTS[0]!;

/** A `curl` of one GraphQL operation against the gateway, safe to paste into a POSIX shell. */
function curl(graphqlUrl: string, query: string, headers: string[] = []): string {
  // JSON.stringify never emits a single quote, so single-quoting the body needs no escaping.
  const body = JSON.stringify({ query });
  return [`curl -s ${graphqlUrl}`, `-H 'content-type: application/json'`, ...headers.map((h) => `-H '${h}'`), `-d '${body}'`].join(' ');
}

/**
 * The banner's sign-in help: a ready-to-paste `login` through the gateway, how to use the token,
 * and every demo account (from the identity service's own list, so the two never disagree).
 */
export function signInHelp(graphqlUrl: string): string[] {
  const login = `mutation { login(login: "${BANNER_ACCOUNT.username}", password: "${BANNER_ACCOUNT.password}") { accessToken refreshToken user { name roles } } }`;
  const width = Math.max(...DEMO_ACCOUNTS.map((account) => account.role.length));
  return [
    '  sign in (demo accounts exist only in this embedded mode):',
    `    ${curl(graphqlUrl, login)}`,
    '  then send the access token with every request (every query needs a signed-in user):',
    `    ${curl(graphqlUrl, '{ customers(first: 5) { edges { node { code name region { name } } } } }', ['authorization: Bearer <accessToken>'])}`,
    `    ${curl(graphqlUrl, '{ me { name roles scope { area region unit approvalLevel } } }', ['authorization: Bearer <accessToken>'])}`,
    '  upload a photo or PDF (stored under the data folder; the answer carries its id):',
    `    curl -s ${graphqlUrl.replace(/\/graphql$/, '/uploads')} -H 'authorization: Bearer <accessToken>' -F file=@foto-toko.jpg`,
    '  demo accounts (role: login / password; employees also sign in by NIP):',
    ...DEMO_ACCOUNTS.map(
      (account) =>
        `    ${account.role.padEnd(width)}  ${account.username} / ${account.password}${account.nip ? `   (NIP ${account.nip})` : ''}`,
    ),
  ];
}
