import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { type DocumentNode, GraphQLError, type GraphQLSchema, Lexer, Source, TokenKind, type ValidationRule, validate } from 'graphql';

/**
 * Bounds on one GraphQL document, enforced before the full validation (whose overlapping-fields rule
 * is quadratic in aliases) and long before any subgraph
 * is called. Depth, aliases, cost and directives are counted per operation (fragments included)
 * by `@escape.tech/graphql-armor` rules; `__schema` introspection is exempt from depth and cost.
 */
export interface QueryLimits {
  /** Deepest field nesting, e.g. `{ customers { edges { node { code } } } }` is 4. */
  maxDepth: number;
  /** Aliased fields (`a: field`); `__typename` aliases are free. */
  maxAliases: number;
  /**
   * Estimated cost (graphql-armor's formula: 1 per scalar, 2 per object, ×1.5 per nesting
   * level, and a `first`/`last` literal multiplies its field's subtree).
   */
  maxCost: number;
  /** Directives (`@include`, `@skip`, …) in the document. */
  maxDirectives: number;
  /** Lexical tokens of the query text, checked before it is parsed. */
  maxTokens: number;
}

/**
 * Defaults sized from this API: a full page (500) of customers with a dozen fields and their
 * branch and region costs about 50 000, so one request can fetch about two such pages; the deepest
 * natural query is 6 levels.
 */
export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDepth: 10,
  maxAliases: 15,
  maxCost: 100_000,
  maxDirectives: 50,
  maxTokens: 5_000,
};

/** Which limit refused a document: also the `reason` label of the refusal metric. */
export type QueryLimitReason = 'depth' | 'aliases' | 'cost' | 'directives' | 'tokens';

/** `extensions.code` of each refusal (HTTP 400). */
export const QUERY_LIMIT_CODES: Record<QueryLimitReason, string> = {
  depth: 'QUERY_TOO_DEEP',
  aliases: 'TOO_MANY_ALIASES',
  cost: 'QUERY_TOO_COSTLY',
  directives: 'TOO_MANY_DIRECTIVES',
  tokens: 'TOO_MANY_TOKENS',
};

/** A refusal of a document over a limit; HTTP 400 through `extensions.http`. */
export class QueryLimitError extends GraphQLError {
  constructor(
    readonly reason: QueryLimitReason,
    message: string,
    limit: number,
  ) {
    super(message, { extensions: { code: QUERY_LIMIT_CODES[reason], limit } });
    this.name = 'QueryLimitError';
  }
}

function refusal(reason: QueryLimitReason, message: string, limit: number): QueryLimitError {
  return new QueryLimitError(reason, message, limit);
}

/** The refusal of a query text with more than `maxTokens` tokens (see {@link exceedsTokens}). */
export function refusalOfTokens(maxTokens: number): QueryLimitError {
  return refusal('tokens', `Token limit of ${maxTokens} exceeded.`, maxTokens);
}

/** Whether `source` has more than `max` tokens; stops lexing at the first token past the limit. */
export function exceedsTokens(source: string, max: number): boolean {
  const lexer = new Lexer(new Source(source));
  let count = 0;
  // A lexing error (bad character) is the parser's to report with its position: stop counting.
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      count += 1;
      if (count > max) return true;
    }
  } catch (err) {
    if (err instanceof GraphQLError) return false;
    throw err;
  }
  return false;
}

/** A document over one of the limits: which one, and the error to answer. */
export interface QueryLimitRefusal {
  reason: QueryLimitReason;
  error: QueryLimitError;
}

/**
 * Checks a parsed document against the depth, alias, cost and directive limits: the first
 * exceeded limit (in that order), or undefined when the document is within all of them.
 */
export function checkDocument(schema: GraphQLSchema, document: DocumentNode, limits: QueryLimits): QueryLimitRefusal | undefined {
  const found: Array<{ reason: QueryLimitReason; message: string; limit: number }> = [];
  // graphql-armor reports through onReject; its messages carry a misleading "Syntax Error: " prefix.
  const collect = (reason: QueryLimitReason, limit: number) => ({
    propagateOnRejection: false,
    exposeLimits: true,
    onReject: [(_ctx: unknown, error: GraphQLError) => found.push({ reason, message: error.message.replace(/^Syntax Error: /, ''), limit })],
  });
  const rules = [
    maxDepthRule({ n: limits.maxDepth, ...collect('depth', limits.maxDepth) }),
    maxAliasesRule({ n: limits.maxAliases, ...collect('aliases', limits.maxAliases) }),
    costLimitRule({ maxCost: limits.maxCost, ...collect('cost', limits.maxCost) }),
    maxDirectivesRule({ n: limits.maxDirectives, ...collect('directives', limits.maxDirectives) }),
  ] as unknown as ValidationRule[];
  validate(schema, document, rules);
  const first = found[0];
  return first ? { reason: first.reason, error: refusal(first.reason, first.message, first.limit) } : undefined;
}
