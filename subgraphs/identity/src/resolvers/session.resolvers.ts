import type { TokenPair, User } from '@core/contracts/identity/v1';
import { Metadata } from 'nice-grpc-common';
import type { IdentityContext } from '../context.js';

/** What `login` and `refreshTokens` resolve to before field mapping. */
interface AuthPayloadSource {
  tokens: TokenPair | undefined;
  /** Login answers with the user; a refresh does not, so `user` asks for it with the new token. */
  user: User | undefined;
}

function tokensOf(payload: AuthPayloadSource): TokenPair {
  if (!payload.tokens) throw new Error('the identity service answered without tokens');
  return payload.tokens;
}

/** Sign-in, token rotation, logout and the caller's own password. */
export const sessionResolvers = {
  Mutation: {
    async login(_: unknown, args: { login: string; password: string }, ctx: IdentityContext): Promise<AuthPayloadSource> {
      const response = await ctx.identity.login({ login: args.login, password: args.password });
      return { tokens: response.tokens, user: response.user };
    },
    async refreshTokens(_: unknown, args: { refreshToken: string }, ctx: IdentityContext): Promise<AuthPayloadSource> {
      const response = await ctx.identity.refreshTokens({ refreshToken: args.refreshToken });
      return { tokens: response.tokens, user: undefined };
    },
    async logout(_: unknown, args: { refreshToken: string }, ctx: IdentityContext) {
      await ctx.identity.logout({ refreshToken: args.refreshToken });
      return true;
    },
    async changePassword(_: unknown, args: { currentPassword: string; newPassword: string }, ctx: IdentityContext) {
      await ctx.identity.changePassword({ currentPassword: args.currentPassword, newPassword: args.newPassword });
      return true;
    },
  },
  AuthPayload: {
    accessToken: (p: AuthPayloadSource) => tokensOf(p).accessToken,
    tokenType: (p: AuthPayloadSource) => tokensOf(p).tokenType,
    accessTokenExpiresAt: (p: AuthPayloadSource) => tokensOf(p).accessTokenExpireTime,
    refreshToken: (p: AuthPayloadSource) => tokensOf(p).refreshToken,
    refreshTokenExpiresAt: (p: AuthPayloadSource) => tokensOf(p).refreshTokenExpireTime,
    async user(p: AuthPayloadSource, _: unknown, ctx: IdentityContext) {
      if (p.user) return p.user;
      // The refreshed session's own token identifies its user; the request's header may be absent or stale.
      const metadata = Metadata({ authorization: `Bearer ${tokensOf(p).accessToken}` });
      return (await ctx.identity.getMe({}, { metadata })).user;
    },
  },
};
